// The operator console's Usage tab: volumes per account (GET /api/v1/admin/usage) and the anonymous
// statistics (GET /api/v1/operator/stats): feature use and page views by route, summed over the period,
// and this month's volume per plan, released only for groups of at least the minimum size.
import { html } from "./lib.js";
import { api } from "./api.js";
import { count, day, money } from "./format.js";
import { Panel, useLoad } from "./widgets.js";
import { Pending, Rows } from "./operator_parts.js";

const VOLUMES = [
  ["Account", (u) => u.account_id, "num"], ["Sessions", (u) => count(u.sessions), "num"],
  ["Activities", (u) => count(u.activities), "num"], ["LLM calls", (u) => count(u.llm_calls), "num"],
  ["Tokens", (u) => count(u.tokens), "num"], ["Cost", (u) => money(u.cost), "num"],
];
const TOTALS = [["Name", (t) => t.name], ["Count", (t) => count(t.count), "num"]];
const GROUPS = [["Plan", (g) => g.plan], ["Accounts", (g) => count(g.accounts), "num"], ["LLM calls", (g) => count(g.calls), "num"]];

// the daily counters summed per name, largest first
function totals(rows) {
  const sums = new Map();
  for (const row of rows) sums.set(row.name, (sums.get(row.name) || 0) + row.count);
  return [...sums].map(([name, n]) => ({ name, count: n })).sort((a, b) => b.count - a.count);
}

function Statistics() {
  const stats = useLoad(() => api("/api/v1/operator/stats", { query: { days: 30 } }), []);
  const s = stats.data;
  return html`<${Pending} load=${stats} what="Loading statistics" />
    ${s && html`<p class="muted">${day(s.since)} to ${day(s.until)}; ${s.collecting ? "collecting" : "collection is turned off"}.
      No user, account, address or content is in these counters.</p>
      <h3>Features</h3>
      <${Rows} label="Feature use" columns=${TOTALS} rows=${totals(s.features)} empty="No feature use counted." />
      <h3>Page views</h3>
      <${Rows} label="Page views" columns=${TOTALS} rows=${totals(s.page_views)} empty="No page view counted." />
      <h3>Volume this month</h3>
      <${Rows} label="Volume per plan" columns=${GROUPS} rows=${s.volume_this_month.groups} empty="No group large enough to show." />
      <p class="muted small">Groups of fewer than ${s.volume_this_month.min_group_size} accounts are withheld
        (${s.volume_this_month.withheld_groups} now).</p>`}`;
}

export function UsageTab() {
  const usage = useLoad(() => api("/api/v1/admin/usage"), []);
  return html`<${Panel} id="volumes-title" title="Volumes per account">
      <${Pending} load=${usage} what="Loading volumes" />
      ${usage.data && html`<${Rows} label="Volumes per account" columns=${VOLUMES} rows=${usage.data.items} rowKey=${(u) => u.account_id} empty="No account." />`}
    <//>
    <${Panel} id="stats-title" title="Anonymous usage statistics"><${Statistics} /><//>`;
}
