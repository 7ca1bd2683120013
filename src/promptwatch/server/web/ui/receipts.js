// Deletion receipts (GET /api/v1/deletions[/{id}]): what was deleted (an id, or a hash of an identifying
// value), how many rows, when it was requested, unreadable, and purged by the cleanup cycle.
import { html } from "./lib.js";
import { api } from "./api.js";
import { when } from "./format.js";
import { ErrorNote, Facts, Loading, useLoad } from "./widgets.js";

export function countsText(counts) {
  return Object.entries(counts || {}).map(([what, n]) => `${what.replace(/_/g, " ")}: ${n}`).join(", ") || "nothing";
}

function purged(receipt) {
  return receipt.purged_at ? when(receipt.purged_at) : html`<span class="muted">at the next cleanup cycle</span>`;
}

export function ReceiptFacts({ receipt }) {
  return html`<${Facts} items=${[
    ["Receipt", html`<span class="id receipt-id">${receipt.id}</span>`],
    ["What", `${receipt.kind} ${receipt.target || ""}`],
    ["Deleted", countsText(receipt.counts)],
    ["Requested", when(receipt.requested_at)],
    ["Unreadable since", when(receipt.unreadable_at)],
    ["Purged from disk", purged(receipt)],
  ]} />`;
}

export function Receipts() {
  const { data, error, loading } = useLoad(() => api("/api/v1/deletions"), []);
  return html`<${ErrorNote} error=${error} />
    ${loading && html`<${Loading} what="Loading receipts" />`}
    ${data && data.items.length === 0 && html`<p class="muted">Nothing has been deleted from this account.</p>`}
    ${data && data.items.length > 0 && html`<div class="scroll"><table class="list" aria-label="Deletion receipts">
      <thead><tr><th>Requested</th><th>Kind</th><th>Target</th><th>Deleted</th><th>Unreadable since</th><th>Purged</th><th>Receipt</th></tr></thead>
      <tbody>${data.items.map((r) => html`<tr data-receipt=${r.id}>
        <td>${when(r.requested_at)}</td><td>${r.kind}</td><td class="id">${r.target || ""}</td><td>${countsText(r.counts)}</td>
        <td>${when(r.unreadable_at)}</td><td>${purged(r)}</td><td class="id">${r.id}</td>
      </tr>`)}</tbody>
    </table></div>`}`;
}
