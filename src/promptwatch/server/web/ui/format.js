// Number, money, duration and time formatting for tables, cards and charts. A short time names its year unless
// it is this year's; a duration reads to the microsecond the API gives, and in days from 1,000 hours.
const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const compact = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });
const dateTime = new Intl.DateTimeFormat(undefined, {
  year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit",
});
const shortDate = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
const shortDateYear = new Intl.DateTimeFormat(undefined, {
  year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
});
const dayOnly = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" });

const blank = "–";

export function count(value) {
  return value === null || value === undefined ? blank : integer.format(value);
}

export function countShort(value) {
  return value === null || value === undefined ? blank : compact.format(value);
}

// a cost in USD, one rule everywhere: cents from a dollar up ("$1.23"), two significant digits below ("$0.12",
// "$0.0075", "$0.000014"; rounded first, so $0.996 reads "$1.00"), "<$0.000001" below a millionth of a dollar, "$0"
// when it is 0 and "–" only when no cost is known (an activity whose model has no price)
const dollars = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
const belowDollar = new Intl.NumberFormat("en-US", {
  style: "currency", currency: "USD", minimumSignificantDigits: 2, maximumSignificantDigits: 2,
});
export function money(value) {
  if (value === null || value === undefined) return blank;
  if (value === 0) return "$0";
  const rounded = Math.abs(Number(value.toPrecision(2)));
  if (rounded < 0.000001) return "<$0.000001";
  return rounded >= 1 ? dollars.format(value) : belowDollar.format(value);
}

// a session's cost, the sum of its LLM calls' known costs: "–" when none of its activities has a cost (the API's
// `cost_known`; for sums that lack it, when no call has a price), and the sum "+ N unpriced" when some calls'
// models have none (`unpriced_calls`), so that calls without a cost never read as free
export function sessionCost(session) {
  const unpriced = session.unpriced_calls || 0;
  const known = session.cost_known ?? (Boolean(session.cost) || (session.llm_calls || 0) > unpriced);
  if (!known) return blank;
  return unpriced ? `${money(session.cost)} + ${unpriced} unpriced` : money(session.cost);
}

// how a duration of a millisecond or more reads: each step's upper bound (ms, exclusive), the unit it is rounded to
// (ms) and its text. A duration is rounded to a step's unit before it is split, and goes on to the next step when
// the rounding reaches the bound: 59.96 s reads "1 min 0 s", not "60.0 s"; 3,599.6 s "1 h 0 min", not "59 min 60 s"
const DURATION_READINGS = [
  [1000, 1, (ms) => `${ms} ms`],
  [10_000, 10, (ms) => `${(ms / 1000).toFixed(2)} s`],
  [60_000, 100, (ms) => `${(ms / 1000).toFixed(1)} s`],
  [3_600_000, 1000, (ms) => `${Math.floor(ms / 60_000)} min ${(ms % 60_000) / 1000} s`],
  [3_600_000_000, 60_000, (ms) => `${Math.floor(ms / 3_600_000)} h ${(ms % 3_600_000) / 60_000} min`],
  [Infinity, 3_600_000, (ms) => `${integer.format(Math.floor(ms / 86_400_000))} d ${(ms % 86_400_000) / 3_600_000} h`],
];

// a duration: under a millisecond in tenths ("0.3 ms", "<0.1 ms"; a prompt template or a parser takes that
// little), then whole milliseconds, seconds (hundredths below 10 s, else tenths), minutes and seconds, hours and
// minutes, and days and hours from 1,000 hours
export function millis(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return blank;
  if (ms > 0 && ms < 0.95) return ms < 0.05 ? "<0.1 ms" : `${ms.toFixed(1)} ms`;
  for (const [below, unit, text] of DURATION_READINGS) {
    const rounded = Math.round(ms / unit) * unit;
    if (rounded < below) return text(rounded);
  }
  return blank;
}

// the microseconds past the millisecond of an ISO time ("…:05.123456Z" → 0.456 ms), which Date.parse drops
function subMillis(iso) {
  const digits = /\.\d{3}(\d{1,3})/.exec(iso);
  return digits ? Number(digits[1].padEnd(3, "0")) / 1000 : 0;
}

// an ISO time in ms with the microseconds that Date.parse leaves out; NaN when the browser cannot read it
export function preciseMs(iso) {
  return Date.parse(iso) + subMillis(iso);
}

export function duration(start, end) {
  if (!start || !end) return blank;
  return millis(preciseMs(end) - preciseMs(start));
}

// a time the browser cannot read is shown as it came
function formatted(iso, format) {
  if (!iso) return blank;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : format(date);
}

export function when(iso) {
  return formatted(iso, (date) => dateTime.format(date));
}

export function whenShort(iso) {
  const thisYear = new Date().getFullYear();
  return formatted(iso, (date) => (date.getFullYear() === thisYear ? shortDate : shortDateYear).format(date));
}

// a day bucket of the metrics API (midnight UTC) as its date
export function day(iso) {
  return formatted(iso, (date) => dayOnly.format(date));
}

// a size in bytes: "512 B", "12.5 kB", "19.0 MB"
export function fileSize(bytes) {
  return bytes < 1024 ? `${bytes} B` : bytes < 1_048_576 ? `${(bytes / 1024).toFixed(1)} kB` : `${(bytes / 1_048_576).toFixed(1)} MB`;
}

export function json(value) {
  return JSON.stringify(value, null, 2);
}

// a share (0–1) as a percentage; null stays blank
export function percent(value) {
  return value === null || value === undefined ? blank : `${(value * 100).toFixed(value < 0.1 && value > 0 ? 1 : 0)} %`;
}
