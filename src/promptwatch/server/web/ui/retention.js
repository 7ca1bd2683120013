// Retention policies (GET/PUT /api/v1/retention): how long sessions with their payloads, and the hourly cost
// and usage roll-ups, are kept — for the account, or for one project (a project's policy wins).
import { html, useState } from "./lib.js";
import { api } from "./api.js";
import { when } from "./format.js";
import { ErrorNote, Loading, useLoad } from "./widgets.js";
import { can } from "./permissions.js";

function days(value) {
  return value ? `${value} days` : html`<span class="muted">forever</span>`;
}

export function Retention({ me }) {
  const policies = useLoad(() => api("/api/v1/retention"), []);
  const [status, setStatus] = useState({ error: null, done: null });
  const save = async (event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const number = (name) => (String(form.get(name)).trim() ? Number(form.get(name)) : null);
    const body = { project: form.get("project").trim() || null, content_days: number("content_days"), aggregate_days: number("aggregate_days") };
    setStatus({ error: null, done: null });
    try {
      await api("/api/v1/retention", { method: "PUT", body });
      setStatus({ error: null, done: body.project ? `Saved for project ${body.project}.` : "Saved for the account." });
      policies.reload();
    } catch (error) {
      setStatus({ error, done: null });
    }
  };
  const items = policies.data ? policies.data.items : [];
  return html`${can(me, "setRetention") && html`<form class="filters" onSubmit=${save} aria-label="Retention policy">
      <label>Project <input name="project" maxlength="256" placeholder="the account's default" /></label>
      <label>Keep sessions and payloads, days <input name="content_days" type="number" min="1" step="1" placeholder="forever" /></label>
      <label>Keep cost and usage roll-ups, days <input name="aggregate_days" type="number" min="1" step="1" placeholder="forever" /></label>
      <div class="actions"><button type="submit" class="primary">Save policy</button></div>
    </form>`}
    ${status.done && html`<p class="note good" role="status">${status.done}</p>`}
    <${ErrorNote} error=${status.error || policies.error} />
    ${policies.loading && !policies.data && html`<${Loading} what="Loading retention" />`}
    ${policies.data && items.length === 0 && html`<p class="muted">No policy: everything is kept until it is deleted.</p>`}
    ${items.length > 0 && html`<table class="list" aria-label="Retention policies">
      <thead><tr><th>Applies to</th><th>Sessions and payloads</th><th>Cost and usage roll-ups</th><th>Changed</th></tr></thead>
      <tbody>${items.map((p) => html`<tr data-project=${p.project || ""}>
        <td>${p.project || html`<span class="muted">the account (default)</span>`}</td>
        <td>${days(p.content_days)}</td><td>${days(p.aggregate_days)}</td><td>${when(p.updated_at)}</td>
      </tr>`)}</tbody>
    </table>`}`;
}
