// Prompt templates: every template the account knows (GET /api/v1/templates: versions, current labels), with
// its calls, errors, tokens and cost ("$x + N unpriced" when some calls have no price) from
// GET /api/v1/metrics/usage?group_by=template, a link to its page (versions, stats, diffs, executions:
// template.js) and to the sessions that used it.
import { html } from "./lib.js";
import { api } from "./api.js";
import { templatePath } from "./router.js";
import { count, day, money, when } from "./format.js";
import { ErrorNote, Loading, useLoad } from "./widgets.js";
import { groupsWithLastUse, untilNow, usageCost } from "./usage.js";
import { sessionsUrl } from "./sessions.js";

async function loadTemplates() {
  const [known, usage] = await Promise.all([
    api("/api/v1/templates", { query: { limit: 500 } }),
    api("/api/v1/metrics/usage", { query: { group_by: "template", interval: "day", until: untilNow() } }),
  ]);
  const sums = groupsWithLastUse(usage);
  const byName = new Map(sums.filter((row) => row.group !== null).map((row) => [row.group, row]));
  const rows = known.items.map((t) => ({ ...t, usage: byName.get(t.name) || null }));
  for (const [name, row] of byName) if (!known.items.some((t) => t.name === name)) rows.push({ name, usage: row, labels: {} });
  return { rows, untemplated: sums.find((row) => row.group === null) };
}

export function LabelBadges({ labels, version }) {
  const names = Object.entries(labels || {}).filter(([, v]) => version === undefined || v === version);
  return names.map(([label, v]) => html`<span class="badge label" title=${`label ${label} → version ${v}`}>
    ${label}${version === undefined ? ` → ${v}` : ""}</span> `);
}

function TemplateRow({ t }) {
  const u = t.usage || {};
  const path = templatePath(t.name);
  return html`<tr>
    <td class="name">${path ? html`<a href=${path}>${t.name}</a>` : t.name}</td>
    <td class="num">${t.versions === undefined ? "" : count(t.versions)}</td>
    <td><${LabelBadges} labels=${t.labels} /></td>
    <td class="num">${count(u.calls || 0)}</td>
    <td class="num">${count(u.errors || 0)}</td>
    <td class="num">${count(u.total_tokens || 0)}</td>
    <td class="num">${t.usage ? usageCost(u) : money(0)}</td>
    <td>${u.last ? day(u.last) : when(t.last_version_at)}</td>
    <td><a href=${sessionsUrl({ template: t.name })}>Sessions</a></td>
  </tr>`;
}

export function Templates() {
  const { data, error, loading } = useLoad(loadTemplates, []);
  return html`<section class="screen">
    <h1>Prompt templates</h1>
    <p class="muted">Templates are recorded with each LLM call (name, version and input values), or registered through
      the API. Open one to compare its versions, see how each performs and which calls ran it.</p>
    <${ErrorNote} error=${error} />
    ${loading && html`<${Loading} what="Loading templates" />`}
    ${data && data.rows.length === 0 && html`<p class="note">No LLM call used a named prompt template yet.</p>`}
    ${data && data.rows.length > 0 && html`<table class="list" aria-label="Prompt templates">
      <thead><tr><th>Template</th><th class="num">Versions</th><th>Labels</th><th class="num">Calls</th>
        <th class="num">Errors</th><th class="num">Tokens</th><th class="num">Cost</th><th>Last used</th><th></th></tr></thead>
      <tbody>${data.rows.map((t) => html`<${TemplateRow} key=${t.name} t=${t} />`)}</tbody>
    </table>`}
    ${data && data.untemplated &&
    html`<p class="muted">${count(data.untemplated.calls)} calls (${usageCost(data.untemplated)}) used no named template.</p>`}
  </section>`;
}
