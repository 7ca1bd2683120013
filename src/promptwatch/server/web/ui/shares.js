// Share links (P1): the "Share" control of a session page, which creates a read-only link with an expiry and
// shows its address once, and the account's list of links with their views, expiry and standing, where a
// member revokes one at once. The address is the one the API gives (`url`, on the instance's public address)
// and opens /ui/shared/<token>, readable without signing in.
import { html, useState } from "./lib.js";
import { api } from "./api.js";
import { count, when } from "./format.js";
import { CopyButton, ErrorNote, Loading, useAction, useInlineDialog, useLoad } from "./widgets.js";
import { sessionPath } from "./router.js";
import { Standing } from "./access.js";
import { can } from "./permissions.js";

const LIFETIMES = { 24: "1 day", 168: "7 days", 720: "30 days", 2160: "90 days" };

export function ShareSession({ id, kind = "session" }) {
  const [open, setOpen] = useState(false);
  const create = useAction((form) => {
    const body = { kind, object_id: id, expires_in_hours: Number(form.get("hours")) };
    return api("/api/v1/share-links", { method: "POST", body });
  });
  const link = create.done;
  const dialog = useInlineDialog(open, () => setOpen(false));
  if (!open) return html`<button type="button" class="ghost" ref=${dialog.openerRef} onClick=${() => setOpen(true)}>Share</button>`;
  return html`<div class="note share-session" role="dialog" aria-label=${`Share this ${kind}`}
    ref=${dialog.dialogRef} onKeyDown=${dialog.onKeyDown}>
    ${link
      ? html`<p><strong>Anyone with this link can read this ${kind}</strong> until ${when(link.expires_at)} or until
          it is revoked (Settings → Security & sharing). Copy it now: it is shown only once.</p>
        <div class="secret"><code class="share-url">${link.url}</code> <${CopyButton} text=${link.url} what="link" /></div>`
      : html`<form onSubmit=${create.submit} aria-label="Create a share link">
          <p>A read-only link to this ${kind}, for anyone who holds it; its views are counted.</p>
          <label class="inline">Expires after
            <select name="hours">${Object.entries(LIFETIMES).map(([hours, label]) => html`<option value=${hours} selected=${hours === "168"}>${label}</option>`)}</select>
          </label>
          <button type="submit" class="primary" disabled=${create.busy}>Create link</button>
        </form>`}
    <button type="button" class="ghost" onClick=${() => setOpen(false)}>Close</button>
    <${ErrorNote} error=${create.error} />
  </div>`;
}

export function ShareLinks({ me }) {
  const links = useLoad(() => api("/api/v1/share-links"), []);
  const revoke = useAction(async (id) => {
    await api(`/api/v1/share-links/${id}`, { method: "DELETE" });
    links.reload();
  });
  const manage = can(me, "share");
  const items = links.data ? links.data.items : [];
  return html`<${ErrorNote} error=${revoke.error || links.error} />
    ${links.loading && !links.data && html`<${Loading} what="Loading share links" />`}
    ${links.data && items.length === 0 && html`<p class="muted">Nothing is shared. A session page's "Share" button creates a link.</p>`}
    ${items.length > 0 && html`<table class="list" aria-label="Share links">
      <thead><tr><th>Shares</th><th>Created by</th><th>Created</th><th>Expires</th><th class="num">Views</th>
        <th>Last viewed</th><th>Status</th><th></th></tr></thead>
      <tbody>${items.map((link) => html`<tr data-link=${link.id}>
        <td>${link.kind} <a class="id" href=${link.kind === "dataset" ? `/ui/datasets/${encodeURIComponent(link.object_id)}` : sessionPath(link.object_id)}>${link.object_id}</a></td>
        <td class="id">${link.created_by}</td><td>${when(link.created_at)}</td><td>${when(link.expires_at)}</td>
        <td class="num">${count(link.views)}</td><td>${when(link.last_viewed_at)}</td><td><${Standing} item=${link} /></td>
        <td class="actions">${manage && link.live &&
          html`<button type="button" class="ghost" disabled=${revoke.busy} onClick=${() => revoke.run(link.id)}>Revoke</button>`}</td>
      </tr>`)}</tbody>
    </table>`}`;
}
