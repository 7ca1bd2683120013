// "Delete session" with a confirmation step: DELETE /api/v1/sessions/{id} answers 204 with the receipt's
// address in `Location`, which is read back (GET /api/v1/deletions/{id}) and handed to onDeleted.
import { html } from "./lib.js";
import { api, request } from "./api.js";
import { ConfirmDelete } from "./confirm_delete.js";

export function DeleteSession({ id, onDeleted }) {
  const remove = async () => {
    const response = await request(`/api/v1/sessions/${encodeURIComponent(id)}`, { method: "DELETE" });
    const location = response.headers.get("Location") || "";
    return location.startsWith("/api/v1/deletions/") ? api(location) : null;
  };
  return html`<${ConfirmDelete} label="Delete session" onConfirm=${remove} onDeleted=${onDeleted}
    question="Delete this session and all its activities? It becomes unreadable at once and cannot be restored; re-sent copies are refused." />`;
}
