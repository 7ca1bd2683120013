// "Delete activity" in the activity panel: DELETE /api/v1/activities/{id} removes the activity with every
// descendant and answers with the receipt, shown in place with a way to reload the session.
import { html, useState } from "./lib.js";
import { api } from "./api.js";
import { ConfirmDelete } from "./confirm_delete.js";
import { ReceiptFacts } from "./receipts.js";

export function DeleteActivity({ id }) {
  const [receipt, setReceipt] = useState(null);
  if (receipt) {
    return html`<section class="block deleted-activity" aria-label="Deletion receipt">
      <header><h4>Activity deleted</h4></header>
      <${ReceiptFacts} receipt=${receipt} />
      <p><button type="button" class="ghost" onClick=${() => window.location.reload()}>Reload the session</button>
        <a href="/ui/settings?tab=data">All deletion receipts</a></p>
    </section>`;
  }
  const remove = () => api(`/api/v1/activities/${encodeURIComponent(id)}`, { method: "DELETE" });
  return html`<div class="delete-activity"><${ConfirmDelete} label="Delete activity" onConfirm=${remove} onDeleted=${setReceipt}
    question="Delete this activity and every activity under it, with their inputs and outputs? This cannot be undone: it becomes unreadable at once and re-sent copies are refused." /></div>`;
}
