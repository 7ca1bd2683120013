// "Add to dataset" on an LLM call: picks one of the account's datasets and copies the call into it (POST
// /api/v1/datasets/<name>/items/from-activity: its input values or prompt as input, its output as expected).
import { html, useState } from "./lib.js";
import { api } from "./api.js";
import { ErrorNote, useAction, useInlineDialog, useLoad } from "./widgets.js";
import { datasetPath } from "./datasets.js";

function Picker({ a, onClose, dialog }) {
  const list = useLoad(() => api("/api/v1/datasets"), []);
  const add = useAction(async (form) => {
    const name = form.get("dataset");
    const label = form.get("label");
    const body = { activity_id: a.id, label: label === "" ? null : Number(label) };
    await api(`/api/v1/datasets/${encodeURIComponent(name)}/items/from-activity`, { method: "POST", body });
    return name;
  });
  const names = list.data ? list.data.items.map((d) => d.name) : [];
  return html`<div class="note" role="dialog" aria-label="Add to dataset" ref=${dialog.dialogRef} onKeyDown=${dialog.onKeyDown}>
    ${add.done
      ? html`<p>Added to <a href=${datasetPath(add.done)}>${add.done}</a>.</p>`
      : list.data && names.length === 0
        ? html`<p>There is no dataset yet: create one on the <a href="/ui/datasets">Datasets</a> page.</p>`
        : html`<form onSubmit=${add.submit} aria-label="Choose a dataset">
          <label class="inline">Dataset <select name="dataset">${names.map((n) => html`<option value=${n}>${n}</option>`)}</select></label>
          <label class="inline">Label <select name="label"><option value="">none</option><option value="1">good</option><option value="0">bad</option></select></label>
          <button type="submit" class="primary" disabled=${add.busy || !list.data}>Add</button>
        </form>`}
    <button type="button" class="ghost" onClick=${onClose}>Close</button>
    <${ErrorNote} error=${add.error || list.error} />
  </div>`;
}

export function AddToDataset({ a }) {
  const [open, setOpen] = useState(false);
  const dialog = useInlineDialog(open, () => setOpen(false));
  if (!open) return html`<button type="button" class="ghost" ref=${dialog.openerRef} onClick=${() => setOpen(true)}>Add to dataset</button>`;
  return html`<${Picker} a=${a} dialog=${dialog} onClose=${() => setOpen(false)} />`;
}
