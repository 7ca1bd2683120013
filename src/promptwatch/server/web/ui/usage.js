// Shaping GET /api/v1/metrics/usage answers for the dashboard and the templates screen: gap-free time axes,
// sums per group, the time range options.
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

// the rows of sumsByGroup with each group's latency over the whole range (the API's `groups`)
export function withLatency(rows, groups) {
  const latency = new Map((groups || []).map((g) => [g.group, g]));
  return rows.map((row) => ({
    ...row,
    latency_p50_ms: latency.get(row.group)?.latency_p50_ms ?? null,
    latency_p95_ms: latency.get(row.group)?.latency_p95_ms ?? null,
  }));
}

export function sumsByGroup(series) {
  const groups = new Map();
  for (const row of series) {
    const sums = groups.get(row.group) || { group: row.group, calls: 0, errors: 0, total_tokens: 0, cost: 0, last: row.time };
    sums.calls += row.calls;
    sums.errors += row.errors;
    sums.total_tokens += row.total_tokens;
    sums.cost += row.cost;
    if (row.time > sums.last) sums.last = row.time;
    groups.set(row.group, sums);
  }
  return [...groups.values()].sort((a, b) => b.cost - a.cost || b.calls - a.calls);
}
