// A "Delete …" button with a confirmation step: the question, "Delete permanently" and "Cancel"; the API's
// error is shown when the deletion fails. onConfirm() does the call; onDeleted(result) follows success.
import { html, useState } from "./lib.js";
import { ErrorNote } from "./widgets.js";

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
  return html`<div class="delete-session">
    ${step === "idle" && html`<button type="button" class="ghost danger-text" onClick=${() => setStep("confirming")}>${label}</button>`}
    ${step !== "idle" && html`<div class="note error confirm" role="alertdialog" aria-label="Confirm deletion">
      <p>${question}</p>
      <button type="button" class="danger" disabled=${step === "deleting"} onClick=${remove}>Delete permanently</button>
      <button type="button" class="ghost" disabled=${step === "deleting"} onClick=${() => { setStep("idle"); setError(null); }}>Cancel</button>
    </div>`}
    <${ErrorNote} error=${error} />
  </div>`;
}
