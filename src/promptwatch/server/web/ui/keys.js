// API keys of the account: the list (ids and scopes, never secrets), a form that creates one and shows its
// secret exactly once with a copy button, and revocation with a confirmation step. Shown to the admin scope.
import { html, useRef, useState } from "./lib.js";
import { api } from "./api.js";
import { when } from "./format.js";
import { CopyButton, ErrorNote, Loading, useInlineDialog, useLoad } from "./widgets.js";

function NewKey({ created, onDone }) {
  return html`<div class="note good" role="status">
    <p><strong>Your new API key.</strong> Copy it now: it is shown only once and cannot be recovered.</p>
    <div class="secret"><code class="new-key">${created.api_key}</code> <${CopyButton} text=${created.api_key} what="API key" /></div>
    <button type="button" class="ghost" onClick=${onDone}>I have copied it</button>
  </div>`;
}

function KeyRow({ item, onRevoke }) {
  const [confirming, setConfirming] = useState(false);
  const dialog = useInlineDialog(confirming, () => setConfirming(false));
  const status = item.revoked_at ? "revoked" : item.expires_at && Date.parse(item.expires_at) < Date.now() ? "expired" : "active";
  return html`<tr data-key=${item.key_id}>
    <td class="id">${item.key_id}</td>
    <td>${item.name || ""}</td>
    <td>${item.scope}</td>
    <td>${item.project || html`<span class="muted">all</span>`}</td>
    <td>${when(item.created_at)}</td>
    <td>${when(item.last_used_at)}</td>
    <td>${item.expires_at ? when(item.expires_at) : html`<span class="muted">never</span>`}</td>
    <td><span class=${`badge ${status === "active" ? "ok" : "bad"}`}>${status}</span></td>
    <td class="actions">
      ${status === "active" &&
      (confirming
        ? html`<span role="group" aria-label=${`Revoke ${item.key_id}?`} ref=${dialog.dialogRef} onKeyDown=${dialog.onKeyDown}>
            <button type="button" class="danger" onClick=${() => onRevoke(item.key_id)}>Confirm revoke</button>
            <button type="button" class="ghost" onClick=${() => setConfirming(false)} data-autofocus>Cancel</button></span>`
        : html`<button type="button" class="ghost" ref=${dialog.openerRef} onClick=${() => setConfirming(true)}>Revoke</button>`)}
    </td>
  </tr>`;
}

export function ApiKeys() {
  const keys = useLoad(() => api("/api/v1/keys"), []);
  const [created, setCreated] = useState(null);
  const [error, setError] = useState(null);
  const table = useRef(null); // takes the focus after a revoke: the row's button that had it is gone

  const create = async (event) => {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    const body = { scope: form.get("scope") };
    for (const name of ["name", "project"]) if (form.get(name).trim()) body[name] = form.get(name).trim();
    if (form.get("expires")) body.expires_at = new Date(form.get("expires")).toISOString();
    setError(null);
    try {
      setCreated(await api("/api/v1/keys", { method: "POST", body }));
      formElement.reset();
      keys.reload();
    } catch (caught) {
      setError(caught);
    }
  };
  const revoke = async (keyId) => {
    setError(null);
    try {
      await api(`/api/v1/keys/${encodeURIComponent(keyId)}`, { method: "DELETE" });
      table.current?.focus();
      keys.reload();
    } catch (caught) {
      setError(caught);
    }
  };

  return html`
    ${created && html`<${NewKey} created=${created} onDone=${() => setCreated(null)} />`}
    <form class="filters" onSubmit=${create} aria-label="Create an API key">
      <label>Name <input name="name" maxlength="200" placeholder="e.g. production app" /></label>
      <label class="fit">Scope
        <select name="scope">
          <option value="ingest">ingest: write and read back</option>
          <option value="write">write only: an app that only sends</option>
          <option value="read">read only</option>
          <option value="admin">admin: also manage keys</option>
        </select>
      </label>
      <label>Project <input name="project" maxlength="256" placeholder="all projects" /></label>
      <label>Expires <input name="expires" type="datetime-local" /></label>
      <div class="actions"><button type="submit" class="primary">Create key</button></div>
    </form>
    <${ErrorNote} error=${error || keys.error} />
    ${keys.loading && !keys.data && html`<${Loading} what="Loading keys" />`}
    ${keys.data && html`<table class="list" aria-label="API keys" tabindex="-1" ref=${table}>
      <thead><tr><th>Key id</th><th>Name</th><th>Scope</th><th>Project</th><th>Created</th><th>Last used</th>
        <th>Expires</th><th>Status</th><th></th></tr></thead>
      <tbody>${keys.data.items.map((item) => html`<${KeyRow} key=${item.key_id} item=${item} onRevoke=${revoke} />`)}</tbody>
    </table>`}`;
}
