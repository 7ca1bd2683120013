// A "Delete …" button with a confirmation step: the question, "Delete permanently" and "Cancel" (which has the
// focus; Escape cancels too); the API's error is shown when the deletion fails. onConfirm() does the call;
// onDeleted(result) follows success.
import { html, useState } from "./lib.js";
import { ErrorNote, useInlineDialog } from "./widgets.js";

export function ConfirmDelete({ label, question, onConfirm, onDeleted }) {
  const [step, setStep] = useState("idle"); // idle | confirming | deleting
  const [error, setError] = useState(null);
  const remove = async () => {
    setStep("deleting");
    setError(null);
    try {
      const result = await onConfirm();
      setStep("idle");
      onDeleted(result);
    } catch (caught) {
      setError(caught);
      setStep("confirming");
    }
  };
  const cancel = () => {
    setStep("idle");
    setError(null);
  };
  const dialog = useInlineDialog(step !== "idle", cancel);
  return html`<div class="delete-session">
    ${step === "idle" && html`<button type="button" class="ghost danger-text" ref=${dialog.openerRef} onClick=${() => setStep("confirming")}>${label}</button>`}
    ${step !== "idle" && html`<div class="note error confirm" role="alertdialog" aria-label="Confirm deletion"
      ref=${dialog.dialogRef} onKeyDown=${dialog.onKeyDown}>
      <p>${question}</p>
      <button type="button" class="danger" disabled=${step === "deleting"} onClick=${remove}>Delete permanently</button>
      <button type="button" class="ghost" disabled=${step === "deleting"} onClick=${cancel} data-autofocus>Cancel</button>
    </div>`}
    <${ErrorNote} error=${error} />
  </div>`;
}
