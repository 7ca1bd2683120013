// Shaping GET /api/v1/metrics/usage answers for the dashboard and the templates screen: gap-free time axes,
// groups with their last use, costs that own up to their unpriced calls, the time range options.
import { money, sessionCost } from "./format.js";

export const RANGES = { "24h": "Last 24 hours", "7d": "Last 7 days", "30d": "Last 30 days", "90d": "Last 90 days", all: "All time" };
const RANGE_HOURS = { "24h": 24, "7d": 168, "30d": 720, "90d": 2160 };
const STEP_MS = { hour: 3_600_000, day: 86_400_000 };
const MAX_POINTS = 5000;

export function sinceFor(range) {
  return RANGE_HOURS[range] ? new Date(Date.now() - RANGE_HOURS[range] * 3_600_000).toISOString() : undefined;
}

// one point per interval from the range's start (or the first bucket) to now, missing buckets as zero calls
export function timeAxis(series, interval, since) {
  const step = STEP_MS[interval];
  const floor = (ms) => (interval === "day" ? Date.UTC(...ymd(ms)) : Math.floor(ms / step) * step);
  const known = series.map((row) => Date.parse(row.time));
  const end = floor(Math.max(Date.now(), ...known));
  const first = floor(since ? Date.parse(since) : Math.min(Date.now(), ...known));
  const start = Math.max(first, end - MAX_POINTS * step);
  const points = [];
  for (let t = start; t <= end; t += step) points.push(t);
  return points;
}

function ymd(ms) {
  const d = new Date(ms);
  return [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()];
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
// one, "$x + N unpriced" when some lack one, so that unpriced calls never read as free
export function usageCost(sums) {
  return sessionCost({ cost: sums.cost, llm_calls: sums.calls, unpriced_calls: sums.unpriced_calls });
}

// the mean cost of the calls that have a price ("–" when none has)
export function costPerPricedCall(sums) {
  const priced = sums.calls - (sums.unpriced_calls || 0);
  return money(priced > 0 ? sums.cost / priced : null);
}
