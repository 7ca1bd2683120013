// Pieces shared by the operator console's tabs: the state of a load (waiting, or the API's error as its
// message) and a plain table of rows, each cell given as text.
import { html } from "./lib.js";
import { ErrorNote, Loading } from "./widgets.js";

// null once `load` has data; otherwise the note to show in its place
export function Pending({ load, what }) {
  if (load.error) return html`<${ErrorNote} error=${load.error} />`;
  if (load.loading && !load.data) return html`<${Loading} what=${what} />`;
  return null;
}

// columns: [[heading, row => cell, "num"?], ...]; `empty` is shown as the only row when there is none
export function Rows({ label, columns, rows, empty, rowKey }) {
  return html`<table class="list" aria-label=${label}>
    <thead><tr>${columns.map(([heading, , kind]) => html`<th class=${kind || ""}>${heading}</th>`)}</tr></thead>
    <tbody>${rows.length === 0
      ? html`<tr><td colspan=${columns.length} class="muted">${empty}</td></tr>`
      : rows.map((row) => html`<tr data-row=${rowKey ? rowKey(row) : undefined}>
          ${columns.map(([, cell, kind]) => html`<td class=${kind || ""}>${cell(row)}</td>`)}</tr>`)}
    </tbody>
  </table>`;
}
