// Number, money, duration and time formatting for tables, cards and charts.
const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const compact = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });
const dateTime = new Intl.DateTimeFormat(undefined, {
  year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit",
});
const shortDate = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
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

export function millis(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return blank;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function duration(start, end) {
  if (!start || !end) return blank;
  return millis(Date.parse(end) - Date.parse(start));
}

export function when(iso) {
  return iso ? dateTime.format(new Date(iso)) : blank;
}

export function whenShort(iso) {
  return iso ? shortDate.format(new Date(iso)) : blank;
}

// a day bucket of the metrics API (midnight UTC) as its date
export function day(iso) {
  return iso ? dayOnly.format(new Date(iso)) : blank;
}

export function json(value) {
  return JSON.stringify(value, null, 2);
}

// a share (0–1) as a percentage; null stays blank
export function percent(value) {
  return value === null || value === undefined ? blank : `${(value * 100).toFixed(value < 0.1 && value > 0 ? 1 : 0)} %`;
}
