// "Delete session" with a confirmation step: DELETE /api/v1/sessions/{id} answers 204 with the receipt's
// address in `Location`, which is read back (GET /api/v1/deletions/{id}) and handed to onDeleted.
import { html, useState } from "./lib.js";
import { api, request } from "./api.js";
import { ErrorNote } from "./widgets.js";

export function DeleteSession({ id, onDeleted }) {
  const [step, setStep] = useState("idle"); // idle | confirming | deleting
  const [error, setError] = useState(null);
  const remove = async () => {
    setStep("deleting");
    setError(null);
    try {
      const response = await request(`/api/v1/sessions/${encodeURIComponent(id)}`, { method: "DELETE" });
      const location = response.headers.get("Location") || "";
      const receipt = location.startsWith("/api/v1/deletions/") ? await api(location) : null;
      onDeleted(receipt);
    } catch (caught) {
      setError(caught);
      setStep("idle");
    }
  };
  return html`<div class="delete-session">
    ${step === "idle" && html`<button type="button" class="ghost danger-text" onClick=${() => setStep("confirming")}>Delete session</button>`}
    ${step !== "idle" && html`<div class="note error confirm" role="alertdialog" aria-label="Confirm deletion">
      <p>Delete this session and all its activities? It becomes unreadable at once and cannot be restored; re-sent
        copies are refused.</p>
      <button type="button" class="danger" disabled=${step === "deleting"} onClick=${remove}>Delete permanently</button>
      <button type="button" class="ghost" disabled=${step === "deleting"} onClick=${() => setStep("idle")}>Cancel</button>
    </div>`}
    <${ErrorNote} error=${error} />
  </div>`;
}
