// Costs and usage: totals, charts over time (cost and what the cache saved, tokens, calls and errors,
// latency p50/p95, cost per group) and tables per project, tenant, model or template, with the most
// expensive templates, of the whole account or one project and tenant. All from GET /api/v1/metrics/usage,
// which reads hourly roll-ups; a cost that leaves out calls without a price says so ("$x + N unpriced", or "–"
// when none has one). The range, interval (hour, day, week or month), grouping and filters live in the URL; days,
// weeks and months are those of the browser's time zone.
import { html, useEffect, useMemo, useState } from "./lib.js";
import { api } from "./api.js";
import { navigate } from "./router.js";
import { count, countShort, millis, money } from "./format.js";
import { ErrorNote, Loading, useLoad } from "./widgets.js";
import { Chart } from "./chart.js";
import { sessionsUrl } from "./sessions.js";
import {
  INTERVALS, RANGES, along, costPerPricedCall, groupsWithLastUse, periodName, sinceFor, timeAxis, timeZone, untilNow,
  usageCost,
} from "./usage.js";

const GROUPS = { model: "Model", project: "Project", tenant: "Tenant", template: "Template" };
// [query name, label, the list of GET /api/v1/session-facets that suggests its values]
const FILTERS = [
  ["project", "Project", "projects"],
  ["tenant", "Tenant", "tenants"],
];
const PALETTE = ["--chart-1", "--chart-2", "--chart-3", "--chart-4", "--chart-5", "--chart-6"];

function options(where) {
  const range = RANGES[where.query.get("range")] ? where.query.get("range") : "30d";
  const asked = where.query.get("interval");
  const interval = INTERVALS[asked] ? asked : range === "24h" || range === "7d" ? "hour" : "day";
  const group = GROUPS[where.query.get("group_by")] ? where.query.get("group_by") : "model";
  const filters = Object.fromEntries(FILTERS.map(([name]) => [name, where.query.get(name) || ""]));
  return { range, interval, group_by: group, ...filters };
}

// the filters chosen, for the API and for the sessions list (which has filters of the same names)
function filtersOf(chosen) {
  return Object.fromEntries(FILTERS.map(([name]) => [name, chosen[name]]).filter(([, value]) => value));
}

function useFacets() {
  const [facets, setFacets] = useState({});
  useEffect(() => {
    api("/api/v1/session-facets").then(setFacets, () => {}); // suggestions only: any value can be typed
  }, []);
  return facets;
}

function Controls({ chosen }) {
  const facets = useFacets();
  const change = (name) => (event) => {
    const next = new URLSearchParams({ ...chosen, [name]: event.currentTarget.value.trim() });
    if (name === "range") next.delete("interval");
    for (const [filter] of FILTERS) if (!next.get(filter)) next.delete(filter);
    navigate(`/ui/usage?${next}`);
  };
  return html`<form class="filters compact" onSubmit=${(e) => e.preventDefault()} aria-label="Dashboard options">
    <label>Time
      <select value=${chosen.range} onChange=${change("range")}>
        ${Object.entries(RANGES).map(([value, text]) => html`<option value=${value}>${text}</option>`)}
      </select>
    </label>
    <label>Interval
      <select value=${chosen.interval} onChange=${change("interval")}>
        ${Object.entries(INTERVALS).map(([value, text]) => html`<option value=${value}>${text}</option>`)}
      </select>
    </label>
    <label>Group by
      <select value=${chosen.group_by} onChange=${change("group_by")}>
        ${Object.entries(GROUPS).map(([value, text]) => html`<option value=${value}>${text}</option>`)}
      </select>
    </label>
    ${FILTERS.map(([name, label, facet]) => html`<label>${label}
      <input name=${name} key=${`${name}:${chosen[name]}`} defaultValue=${chosen[name]} placeholder="All"
        list=${`usage-${facet}`} autocomplete="off" onChange=${change(name)} />
      <datalist id=${`usage-${facet}`}>${(facets[facet] || []).map((value) => html`<option value=${value} />`)}</datalist>
    </label>`)}
  </form>`;
}

function Cards({ totals }) {
  const rate = totals.calls ? ` (${((100 * totals.errors) / totals.calls).toFixed(1)} %)` : "";
  const cards = [
    ["cost", "Cost", usageCost(totals), totals.cost],
    ["saved", "Saved by the cache", `${money(totals.saved_cost)} (${count(totals.cache_hits)} hits)`, totals.saved_cost],
    ["calls", "Model calls", count(totals.calls), totals.calls],
    ["tokens", "Tokens", count(totals.total_tokens), totals.total_tokens],
    ["errors", "Errors", count(totals.errors) + rate, totals.errors],
    ["p50", "Latency p50", millis(totals.latency_p50_ms), totals.latency_p50_ms],
    ["p95", "Latency p95", millis(totals.latency_p95_ms), totals.latency_p95_ms],
  ];
  return html`<div class="cards">
    ${cards.map(([key, name, text, raw]) => html`<div class="card metric" data-metric=${key} data-value=${raw ?? ""}>
      <span class="muted">${name}</span><strong>${text}</strong>
    </div>`)}
  </div>`;
}

function Charts({ overall, grouped, since }) {
  const charts = useMemo(() => {
    const axis = timeAxis([...overall.series, ...grouped.series], overall.interval, since);
    const times = axis.map((t) => t / 1000);
    const top = grouped.groups.slice(0, PALETTE.length);
    const of = (field) => along(axis, overall.series, field);
    return [
      {
        title: "Cost",
        format: money,
        empty: "No cost in this period.",
        lines: [
          { label: "cost", values: of("cost"), color: "--chart-1" },
          { label: "saved by the cache", values: of("saved_cost"), color: "--good" },
        ],
      },
      {
        title: "Tokens",
        format: countShort,
        whole: true,
        lines: [
          { label: "prompt", values: of("prompt_tokens"), color: "--chart-2" },
          { label: "completion", values: of("completion_tokens"), color: "--chart-3" },
        ],
      },
      {
        title: "Calls and errors",
        format: countShort,
        whole: true,
        lines: [
          { label: "calls", values: of("calls"), color: "--chart-2" },
          { label: "errors", values: of("errors"), color: "--bad" },
        ],
      },
      {
        title: "Latency",
        format: millis,
        lines: [
          { label: "p50", values: of("latency_p50_ms"), color: "--chart-4" },
          { label: "p95", values: of("latency_p95_ms"), color: "--chart-5" },
        ],
      },
      {
        title: `Cost by ${GROUPS[grouped.group_by].toLowerCase()}`,
        format: money,
        empty: "No cost in this period.",
        lines: top.map((g, i) => ({
          label: g.group ?? "(none)",
          values: along(axis, grouped.series.filter((row) => row.group === g.group), "cost"),
          color: PALETTE[i],
        })),
      },
    ].map((chart) => ({ ...chart, times }));
  }, [overall, grouped, since]);
  return html`<div class="charts">${charts.map((c) => html`<${Chart} key=${c.title} ...${c} />`)}</div>`;
}

function GroupTable({ title, rows, name, link, interval }) {
  if (rows.length === 0) return null;
  return html`<section class="panel scroll">
    <h2>${title}</h2>
    <table class="list" aria-label=${title}>
      <thead><tr><th>${name}</th><th class="num">Calls</th><th class="num">Errors</th><th class="num">Tokens</th>
        <th class="num">Cost</th><th class="num">Cost per call</th><th class="num">p50</th><th class="num">p95</th>
        <th>Last used</th></tr></thead>
      <tbody>${rows.map((row) => html`<tr>
        <td>${row.group === null ? html`<span class="muted">(none)</span>` : link ? html`<a href=${link(row.group)}>${row.group}</a>` : row.group}</td>
        <td class="num">${count(row.calls)}</td>
        <td class="num">${count(row.errors)}</td>
        <td class="num">${count(row.total_tokens)}</td>
        <td class="num">${usageCost(row)}</td>
        <td class="num">${row.calls ? costPerPricedCall(row) : ""}</td>
        <td class="num" data-value=${row.latency_p50_ms}>${millis(row.latency_p50_ms)}</td>
        <td class="num" data-value=${row.latency_p95_ms}>${millis(row.latency_p95_ms)}</td>
        <td>${periodName(row.last, interval)}</td>
      </tr>`)}</tbody>
    </table>
  </section>`;
}

export function Dashboard({ where }) {
  const chosen = options(where);
  const since = useMemo(() => sinceFor(chosen.range), [chosen.range]);
  const until = useMemo(() => untilNow(), [chosen.range]);
  const filters = filtersOf(chosen);
  const tz = timeZone();
  const ask = (group_by) => api("/api/v1/metrics/usage", { query: { interval: chosen.interval, since, until, group_by, tz, ...filters } });
  const { data, error, loading } = useLoad(
    () => Promise.all([ask(undefined), ask(chosen.group_by), chosen.group_by === "template" ? null : ask("template")]),
    [chosen.range, chosen.interval, chosen.group_by, chosen.project, chosen.tenant, since],
  );
  // the sessions list has a filter of the same name for each grouping and filter; its sessions are those of the
  // range shown
  const sessionsBy = (group) => (value) => sessionsUrl({ ...filters, [group]: value }, { range: chosen.range, since });
  let body = null;
  if (data) {
    const [overall, grouped, byTemplate] = data;
    const templates = groupsWithLastUse(byTemplate || grouped).filter((row) => row.group !== null);
    body = html`<${Cards} totals=${overall.totals} />
      <${Charts} overall=${overall} grouped=${grouped} since=${since} />
      <div class="columns">
        <${GroupTable} title=${`By ${GROUPS[grouped.group_by].toLowerCase()}`} name=${GROUPS[grouped.group_by]}
          rows=${groupsWithLastUse(grouped)} link=${sessionsBy(grouped.group_by)}
          interval=${grouped.interval} />
        <${GroupTable} title="Most expensive templates" name="Template" rows=${templates.slice(0, 10)}
          link=${sessionsBy("template")} interval=${grouped.interval} />
      </div>`;
  }
  return html`<section class="screen">
    <h1>Costs & usage</h1>
    <${Controls} chosen=${chosen} />
    <${ErrorNote} error=${error} />
    ${loading && !data ? html`<${Loading} what="Loading usage" />` : body}
  </section>`;
}
