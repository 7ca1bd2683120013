// Support access grants (P10): operator staff read customer data only under a live grant that an owner or
// admin gave — for the whole account or for named sessions, with a reason, for 72 hours unless set (at most
// 30 days). The list shows each grant's scope, reason, expiry and standing; a grant can be revoked at once.
import { html, useRef, useState } from "./lib.js";
import { api } from "./api.js";
import { when } from "./format.js";
import { ErrorNote, Loading, useAction, useLoad } from "./widgets.js";
import { NeedsRole, Standing } from "./access.js";
import { can } from "./permissions.js";

function sessionIds(text) {
  return String(text || "").split(/[\s,]+/).filter(Boolean);
}

function GrantForm({ onCreated }) {
  const [scope, setScope] = useState("account");
  const form = useRef(null);
  const create = useAction(async (data) => {
    const body = { scope, reason: data.get("reason"), expires_in_hours: Number(data.get("hours")) };
    if (scope === "sessions") body.session_ids = sessionIds(data.get("sessions"));
    await api("/api/v1/support-grants", { method: "POST", body });
    form.current.reset();
    setScope("account");
    onCreated();
  });
  return html`<form class="filters" ref=${form} onSubmit=${create.submit} aria-label="Grant support access">
      <label>Covers
        <select name="scope" value=${scope} onChange=${(e) => setScope(e.currentTarget.value)}>
          <option value="account">the whole account</option>
          <option value="sessions">named sessions</option>
        </select>
      </label>
      ${scope === "sessions" && html`<label class="wide">Session ids <input name="sessions" required placeholder="ids, separated by spaces or commas" /></label>`}
      <label class="wide">Reason or ticket <input name="reason" required maxlength="500" placeholder="e.g. ticket 4711" /></label>
      <label>Expires after, hours <input name="hours" type="number" min="1" step="1" defaultValue="72" /></label>
      <div class="actions"><button type="submit" class="primary" disabled=${create.busy}>Grant access</button></div>
    </form>
    <p class="muted small">Staff read only, each read is in the audit log; a grant lasts at most 30 days (720 hours).</p>
    <${ErrorNote} error=${create.error} />`;
}

export function SupportGrants({ me }) {
  const grants = useLoad(() => api("/api/v1/support-grants"), []);
  const revoke = useAction(async (id) => {
    await api(`/api/v1/support-grants/${id}`, { method: "DELETE" });
    grants.reload();
  });
  if (grants.error && grants.error.status === 403) return html`<${NeedsRole} error=${grants.error} what="Support access" />`;
  const manage = can(me, "grantSupport"); // consent is given by a person, not by a key
  const items = grants.data ? grants.data.items : [];
  return html`${manage && html`<${GrantForm} onCreated=${grants.reload} />`}
    <${ErrorNote} error=${revoke.error || grants.error} />
    ${grants.loading && !grants.data && html`<${Loading} what="Loading support grants" />`}
    ${grants.data && items.length === 0 && html`<p class="muted">No grant: operator staff cannot read this account's data.</p>`}
    ${items.length > 0 && html`<table class="list" aria-label="Support grants">
      <thead><tr><th>Covers</th><th>Reason</th><th>Granted</th><th>Expires</th><th>Status</th><th></th></tr></thead>
      <tbody>${items.map((g) => html`<tr data-grant=${g.id}>
        <td>${g.scope === "account" ? "the whole account" : html`sessions <span class="id">${g.session_ids.join(", ")}</span>`}</td>
        <td>${g.reason}</td><td>${when(g.created_at)}</td><td>${when(g.expires_at)}</td><td><${Standing} item=${g} /></td>
        <td class="actions">${manage && g.live &&
          html`<button type="button" class="ghost" disabled=${revoke.busy} onClick=${() => revoke.run(g.id)}>Revoke</button>`}</td>
      </tr>`)}</tbody>
    </table>`}`;
}
