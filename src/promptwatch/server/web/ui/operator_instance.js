// The operator console's Instance tab: database, schema and counts (GET /api/v1/admin/health) and requests
// per day from the access log, with no account in them (GET /api/v1/admin/traffic).
import { html } from "./lib.js";
import { api } from "./api.js";
import { count, millis } from "./format.js";
import { Facts, Panel, useLoad } from "./widgets.js";
import { Pending, Rows } from "./operator_parts.js";

const TRAFFIC = [
  ["Day", (d) => d.day], ["Requests", (d) => count(d.requests), "num"], ["Errors", (d) => count(d.errors), "num"],
  ["Mean latency", (d) => millis(d.mean_latency_ms), "num"],
];

export function InstanceTab() {
  const health = useLoad(() => api("/api/v1/admin/health"), []);
  const traffic = useLoad(() => api("/api/v1/admin/traffic", { query: { days: 30 } }), []);
  const h = health.data;
  return html`<${Panel} id="instance-title" title="Health">
      <${Pending} load=${health} what="Checking the instance" />
      ${h && html`<${Facts} items=${[["Status", h.status], ["Database", h.database], ["Schema", h.schema || h.current],
        ["Accounts", count(h.accounts)], ["Users", count(h.users)], ["Staff", count(h.staff)], ["Detail", h.detail]]} />`}
    <//>
    <${Panel} id="traffic-title" title="Requests per day (last 30 days)">
      <${Pending} load=${traffic} what="Loading traffic" />
      ${traffic.data && html`<${Rows} label="Requests per day" columns=${TRAFFIC} rows=${traffic.data.items} empty="No request logged." />`}
    <//>`;
}
