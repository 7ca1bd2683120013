// Shaping GET /api/v1/metrics/usage answers for the dashboard and the templates screen: gap-free time axes,
// groups with their last use, costs that own up to their unpriced calls, the time range and interval options.
// Days, weeks (from Monday) and months are the browser's: the dashboard sends its time zone as `tz`, and the
// axes below are cut by the browser's clock, which runs in that zone.
import { money, sessionCost, whenShort } from "./format.js";

export const RANGES = { "24h": "Last 24 hours", "7d": "Last 7 days", "30d": "Last 30 days", "90d": "Last 90 days", all: "All time" };
export const INTERVALS = { hour: "Hourly", day: "Daily", week: "Weekly", month: "Monthly" };
const RANGE_HOURS = { "24h": 24, "7d": 168, "30d": 720, "90d": 2160 };
const HOUR_MS = 3_600_000;
const LONGEST_MS = { hour: HOUR_MS, day: 25 * HOUR_MS, week: 7 * 25 * HOUR_MS, month: 31 * 25 * HOUR_MS };
const MAX_POINTS = 5000;
const dayName = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "numeric" });
const monthName = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "long" });

export function sinceFor(range) {
  return RANGE_HOURS[range] ? new Date(Date.now() - RANGE_HOURS[range] * HOUR_MS).toISOString() : undefined;
}

// the end of every range: the hour after the present one, so that a client whose clock runs a little ahead is
// counted and a call dated months or years ahead (a wrong clock) neither counts nor stretches the charts
export function untilNow() {
  return new Date(Date.now() + HOUR_MS).toISOString();
}

// the browser's IANA time zone (e.g. "Europe/Berlin"), in which the API is asked to cut days, weeks and months
export function timeZone() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

// the start of the hour, local day, week (from Monday) or month that holds `ms`; a local midnight that daylight
// saving skips starts its day at the first moment after it, as on the server. Hours are the roll-ups' UTC hours,
// which in a zone with a half-hour offset start at half past.
function periodStart(ms, interval) {
  if (interval === "hour") return Math.floor(ms / HOUR_MS) * HOUR_MS;
  const d = new Date(ms);
  if (interval === "month") return new Date(d.getFullYear(), d.getMonth(), 1).getTime();
  const back = interval === "week" ? (d.getDay() + 6) % 7 : 0;
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() - back).getTime();
}

// the start of the period after the one that starts at `start` (a local day lasts 23 to 25 hours)
function nextPeriod(start, interval) {
  if (interval === "hour") return start + HOUR_MS;
  const d = new Date(start);
  if (interval === "month") return new Date(d.getFullYear(), d.getMonth() + 1, 1).getTime();
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() + (interval === "week" ? 7 : 1)).getTime();
}

// one point per interval from the range's start (or the first bucket) to now, missing buckets as zero calls; at
// most the last MAX_POINTS of them
export function timeAxis(series, interval, since) {
  const known = series.map((row) => Date.parse(row.time));
  const end = periodStart(Math.max(Date.now(), ...known), interval);
  const first = since ? Date.parse(since) : Math.min(Date.now(), ...known);
  let t = periodStart(Math.max(first, end - MAX_POINTS * LONGEST_MS[interval]), interval);
  const points = [];
  for (; t <= end; t = nextPeriod(t, interval)) points.push(t);
  return points.slice(-MAX_POINTS);
}

// the start of a point of `interval` as a person reads it, in the browser's time zone
export function periodName(iso, interval) {
  if (!iso || interval === "hour") return whenShort(iso); // "–" for none
  if (interval === "month") return monthName.format(new Date(iso));
  return `${interval === "week" ? "Week of " : ""}${dayName.format(new Date(iso))}`;
}

// values of `field` along `axis` for the rows of one group; sums default to 0, latencies to null
export function along(axis, rows, field) {
  const byTime = new Map(rows.map((row) => [Date.parse(row.time), row[field]]));
  const missing = field.startsWith("latency") ? null : 0;
  return axis.map((t) => (byTime.has(t) ? byTime.get(t) : missing));
}

// the API's `groups` (sums, unpriced calls and latency over the whole range, the most expensive first), each with
// `last`: the start of its latest time bucket
export function groupsWithLastUse(usage) {
  const last = new Map();
  for (const row of usage.series) {
    const seen = last.get(row.group);
    if (seen === undefined || row.time > seen) last.set(row.group, row.time);
  }
  return usage.groups.map((group) => ({ ...group, last: last.get(group.group) }));
}

// the cost of calls of which some have no price (`unpriced_calls`), read as a session's cost: "–" when none has
// one, "$x + N unpriced" when some lack one, so that unpriced calls never read as free. A cost is known once a
// call with tokens has a price: calls the provider refused have no tokens, so a model that only failed reads "–"
export function usageCost(sums) {
  const known = sums.cost > 0 || ((sums.total_tokens || 0) > 0 && sums.calls > (sums.unpriced_calls || 0));
  return sessionCost({ cost: sums.cost, cost_known: known, unpriced_calls: sums.unpriced_calls });
}

// the mean cost of the calls that have a price ("–" when none has)
export function costPerPricedCall(sums) {
  const priced = sums.calls - (sums.unpriced_calls || 0);
  return money(priced > 0 ? sums.cost / priced : null);
}
