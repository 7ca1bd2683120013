// "Add to dataset" on an LLM call: picks one of the account's datasets and copies the call into it (POST
// /api/v1/datasets/<name>/items/from-activity: its input values or prompt as input, its output as expected).
// The label starts as the call's annotation says (read when the dialog opens, so a thumb just clicked counts),
// else as the feedback sent with the call; the annotation's notes and rating go with it.
import { html, useState } from "./lib.js";
import { api } from "./api.js";
import { ErrorNote, Loading, useAction, useInlineDialog, useLoad } from "./widgets.js";
import { datasetPath } from "./datasets.js";

const known = (value) => value === 0 || value === 1;

// the label the call was given, as the select's value: "1", "0" or "" (none)
function annotatedLabel(annotation, a) {
  const label = known(annotation.label) ? annotation.label : a.feedback_label;
  return known(label) ? String(label) : "";
}

function Picker({ a, onClose, dialog }) {
  const list = useLoad(() => api("/api/v1/datasets"), []);
  const annotation = useLoad(() => api(`/api/v1/activities/${encodeURIComponent(a.id)}/annotation`), [a.id]);
  const add = useAction(async (form) => {
    const name = form.get("dataset");
    const label = form.get("label");
    const body = { activity_id: a.id, label: label === "" ? null : Number(label) };
    await api(`/api/v1/datasets/${encodeURIComponent(name)}/items/from-activity`, { method: "POST", body });
    return name;
  });
  const names = list.data ? list.data.items.map((d) => d.name) : [];
  const label = annotatedLabel(annotation.data || {}, a);
  const options = [["", "none"], ["1", "good"], ["0", "bad"]];
  return html`<div class="note" role="dialog" aria-label="Add to dataset" ref=${dialog.dialogRef} onKeyDown=${dialog.onKeyDown}>
    ${add.done
      ? html`<p>Added to <a href=${datasetPath(add.done)}>${add.done}</a>.</p>`
      : list.data && names.length === 0
        ? html`<p>There is no dataset yet: create one on the <a href="/ui/datasets">Datasets</a> page.</p>`
        : html`<form onSubmit=${add.submit} aria-label="Choose a dataset">
          <label class="inline">Dataset <select name="dataset">${names.map((n) => html`<option value=${n}>${n}</option>`)}</select></label>
          ${annotation.loading
            ? html`<${Loading} what="Reading the call's annotation" />`
            : html`<label class="inline">Label <select name="label" key=${label}>${options.map(([value, text]) =>
              html`<option value=${value} selected=${value === label}>${text}</option>`)}</select></label>`}
          <button type="submit" class="primary" disabled=${add.busy || !list.data || annotation.loading}>Add</button>
          <p class="muted small">The label starts as the call was annotated; its notes and rating go with it.</p>
        </form>`}
    <button type="button" class="ghost" onClick=${onClose}>Close</button>
    <${ErrorNote} error=${add.error || list.error || annotation.error} />
  </div>`;
}

export function AddToDataset({ a }) {
  const [open, setOpen] = useState(false);
  const dialog = useInlineDialog(open, () => setOpen(false));
  if (!open) return html`<button type="button" class="ghost" ref=${dialog.openerRef} onClick=${() => setOpen(true)}>Add to dataset</button>`;
  return html`<${Picker} a=${a} dialog=${dialog} onClose=${() => setOpen(false)} />`;
}
