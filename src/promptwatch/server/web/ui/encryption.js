// Encryption at rest (GET/PUT /api/v1/account/encryption): the account's status, and switching it on after
// a confirmation — it cannot be turned off, and text search stops working for the account.
import { html, useState } from "./lib.js";
import { api } from "./api.js";
import { ErrorNote, Loading, useInlineDialog, useLoad } from "./widgets.js";
import { can } from "./permissions.js";

export function Encryption({ me }) {
  const status = useLoad(() => api("/api/v1/account/encryption"), []);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState(null);
  const dialog = useInlineDialog(confirming, () => setConfirming(false));
  const enable = async () => {
    setError(null);
    try {
      await api("/api/v1/account/encryption", { method: "PUT", body: { enabled: true } });
      setConfirming(false);
      status.reload();
    } catch (caught) {
      setError(caught);
    }
  };
  if (status.loading && !status.data) return html`<${Loading} what="Loading encryption status" />`;
  if (status.error) return html`<${ErrorNote} error=${status.error} />`;
  if (status.data.enabled) {
    return html`<p class="encryption-state"><span class="badge ok">on</span> Payloads written since it was switched on
      (prompts, outputs, documents, messages) are encrypted with AES-256-GCM under the account's own key. Text search
      is off for this account.</p>`;
  }
  const off = html`<p class="encryption-state"><span class="badge off">off</span> Payloads are stored in clear in the database.</p>`;
  if (!can(me, "enableEncryption")) return off;
  return html`${off}
    <div class="note warn">
      <p><strong>Before you switch it on:</strong></p>
      <ul>
        <li>It <strong>cannot be turned off</strong> again (only deleting the account destroys its key).</li>
        <li><strong>Text search stops</strong> for this account: a full-text index would hold the words in clear.
          Filters, metrics and session detail keep working.</li>
        <li>Payloads written from then on are encrypted; older ones stay as they are.</li>
      </ul>
      ${confirming
        ? html`<div role="group" aria-label="Confirm encryption at rest" ref=${dialog.dialogRef} onKeyDown=${dialog.onKeyDown}>
            <button type="button" class="danger" onClick=${enable}>Yes, encrypt from now on</button>
            <button type="button" class="ghost" onClick=${() => setConfirming(false)} data-autofocus>Cancel</button></div>`
        : html`<button type="button" class="primary" ref=${dialog.openerRef} onClick=${() => setConfirming(true)}>Turn on encryption at rest</button>`}
    </div>
    <${ErrorNote} error=${error} />`;
}
