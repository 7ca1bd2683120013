// The account's audit log (P10), newest first: who did what to which target, with its details as text; a
// filter by action prefix kept in the address (?action=), older pages on request, and the whole log exported
// as JSON Lines (fetched with the bearer header, offered through an object URL). Owners and admins read it.
import { html, useEffect, useState } from "./lib.js";
import { api } from "./api.js";
import { navigate } from "./router.js";
import { when } from "./format.js";
import { ErrorNote, Loading, useAction, useLoad } from "./widgets.js";
import { NeedsRole } from "./access.js";
import { JsonLinesExport } from "./download.js";

const PAGE = 50;
const PREFIXES = ["member.", "key.", "support.", "share.", "settings.", "audit.", "session.", "export."];

// "user:3" → the member's e-mail where it is known
function actorName(actor, emails) {
  const match = /^user:(\d+)$/.exec(actor);
  return match && emails[match[1]] ? `${emails[match[1]]} (${actor})` : actor;
}

export function AuditLog({ where }) {
  const action = where.query.get("action") || "";
  const [older, setOlder] = useState({ items: [], next: undefined });
  const first = useLoad(() => api("/api/v1/audit", { query: { limit: PAGE, action } }), [action]);
  const members = useLoad(() => api("/api/v1/members"), []);
  useEffect(() => setOlder({ items: [], next: undefined }), [action, first.data]);
  const items = first.data ? [...first.data.items, ...older.items] : [];
  const next = older.next === undefined ? first.data && first.data.next_before : older.next;
  const more = useAction(async () => {
    const page = await api("/api/v1/audit", { query: { limit: PAGE, action, before: next } });
    setOlder((old) => ({ items: [...old.items, ...page.items], next: page.next_before }));
  });
  if (first.error && first.error.status === 403) return html`<${NeedsRole} error=${first.error} what="Reading the audit log" />`;
  const filter = (event) => {
    event.preventDefault();
    const chosen = new FormData(event.currentTarget).get("action").trim();
    navigate(`/ui/settings?tab=security${chosen ? `&action=${encodeURIComponent(chosen)}` : ""}`);
  };
  const emails = Object.fromEntries((members.data ? members.data.items : []).map((m) => [m.id, m.email]));
  return html`<form class="filters" onSubmit=${filter} role="search" aria-label="Filter the audit log">
      <label>Action starts with <input name="action" key=${action} defaultValue=${action} list="audit-actions" maxlength="100" placeholder="any action" /></label>
      <datalist id="audit-actions">${PREFIXES.map((prefix) => html`<option value=${prefix} />`)}</datalist>
      <div class="actions"><button type="submit" class="primary">Apply</button></div>
      <${JsonLinesExport} path="/api/v1/audit/export" file="audit.jsonl" className="audit-export" />
    </form>
    <${ErrorNote} error=${first.error || more.error} />
    ${first.loading && !first.data && html`<${Loading} what="Loading the audit log" />`}
    ${first.data && items.length === 0 && html`<p class="muted">No entry${action ? ` for actions starting with ${action}` : ""}.</p>`}
    ${items.length > 0 && html`<table class="list" aria-label="Audit log">
      <thead><tr><th>Time</th><th>Actor</th><th>Action</th><th>Target</th><th>Details</th></tr></thead>
      <tbody>${items.map((entry) => html`<tr data-action=${entry.action}>
        <td>${when(entry.at)}</td><td>${actorName(entry.actor, emails)}</td><td class="id">${entry.action}</td>
        <td>${entry.target || ""}</td><td><code class="details">${entry.details ? JSON.stringify(entry.details) : ""}</code></td>
      </tr>`)}</tbody>
    </table>`}
    ${next && html`<button type="button" class="more" disabled=${more.busy} onClick=${() => more.run()}>Older entries</button>`}`;
}
