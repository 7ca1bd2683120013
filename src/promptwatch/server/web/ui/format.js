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

// USD with enough digits to show small per-call costs (a call often costs a fraction of a cent)
const dollars = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
const cents = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumSignificantDigits: 3 });

// a cost: "$0" when it is 0, "–" only when no cost is known (an activity whose model has no price)
export function money(value) {
  if (value === null || value === undefined) return blank;
  return Math.abs(value) >= 1 ? dollars.format(value) : cents.format(value);
}

// a session's cost, the sum of its LLM calls' known costs: "–" when none of its calls has a price, and the sum
// "+ N unpriced" when some calls' models have none (`unpriced_calls`), so that unpriced calls never read as free
export function sessionCost(session) {
  const unpriced = session.unpriced_calls || 0;
  if (!session.cost && (session.llm_calls || 0) <= unpriced) return blank;
  return unpriced ? `${money(session.cost)} + ${unpriced} unpriced` : money(session.cost);
}

// a duration: under a millisecond in tenths ("0.3 ms", "<0.1 ms"; a prompt template or a parser takes that
// little), then whole milliseconds, seconds, minutes, hours and days
export function millis(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return blank;
  if (ms > 0 && ms < 0.05) return "<0.1 ms";
  if (ms > 0 && ms < 0.95) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 1000) return `${hours} h ${minutes % 60} min`;
  return `${integer.format(Math.floor(hours / 24))} d ${hours % 24} h`;
}

// the microseconds past the millisecond of an ISO time ("…:05.123456Z" → 0.456 ms), which Date.parse drops
function subMillis(iso) {
  const digits = /\.\d{3}(\d{1,3})/.exec(iso);
  return digits ? Number(digits[1].padEnd(3, "0")) / 1000 : 0;
}

export function duration(start, end) {
  if (!start || !end) return blank;
  return millis(Date.parse(end) - Date.parse(start) + subMillis(end) - subMillis(start));
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
