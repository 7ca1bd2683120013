// Prompt templates as the API knows them: every template name seen on LLM calls, with its calls, errors,
// tokens and cost from GET /api/v1/metrics/usage?group_by=template, and a link to the sessions that used it.
// Each call's template version and input values are shown in the session detail.
import { html } from "./lib.js";
import { api } from "./api.js";
import { count, day, money } from "./format.js";
import { ErrorNote, Loading, useLoad } from "./widgets.js";
import { sumsByGroup } from "./usage.js";

export function Templates() {
  const { data, error, loading } = useLoad(
    () => api("/api/v1/metrics/usage", { query: { group_by: "template", interval: "day" } }),
    [],
  );
  const rows = data ? sumsByGroup(data.series) : [];
  const named = rows.filter((row) => row.group !== null);
  const untemplated = rows.find((row) => row.group === null);
  return html`<section class="screen">
    <h1>Prompt templates</h1>
    <p class="muted">Templates are recorded with each LLM call (name, version and input values). Open a template's
      sessions to see each execution with the exact prompt it produced.</p>
    <${ErrorNote} error=${error} />
    ${loading && html`<${Loading} what="Loading templates" />`}
    ${data && named.length === 0 && html`<p class="note">No LLM call used a named prompt template yet.</p>`}
    ${named.length > 0 && html`<table class="list" aria-label="Prompt templates">
      <thead><tr><th>Template</th><th class="num">Calls</th><th class="num">Errors</th><th class="num">Tokens</th>
        <th class="num">Cost</th><th class="num">Cost per call</th><th>Last used</th><th></th></tr></thead>
      <tbody>${named.map((row) => html`<tr>
        <td class="name">${row.group}</td>
        <td class="num">${count(row.calls)}</td>
        <td class="num">${count(row.errors)}</td>
        <td class="num">${count(row.total_tokens)}</td>
        <td class="num">${money(row.cost)}</td>
        <td class="num">${row.calls ? money(row.cost / row.calls) : ""}</td>
        <td>${day(row.last)}</td>
        <td><a href=${`/ui/sessions?${new URLSearchParams({ template: row.group })}`}>Sessions</a></td>
      </tr>`)}</tbody>
    </table>`}
    ${untemplated && html`<p class="muted">${count(untemplated.calls)} calls (${money(untemplated.cost)}) used no named template.</p>`}
  </section>`;
}
