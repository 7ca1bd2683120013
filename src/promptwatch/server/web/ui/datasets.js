// Datasets: the account's named collections of examples (GET/POST /api/v1/datasets) and one dataset's page
// (/ui/datasets/<name>): its items as text, a form to add or edit an item (input and expected output as JSON
// or plain text, label, notes), deleting an item or the whole dataset (with a receipt), a Share button, and the
// items exported to or loaded from a JSON Lines file.
import { html, useState } from "./lib.js";
import { api } from "./api.js";
import { count, json, when } from "./format.js";
import { ErrorNote, Facts, Loading, TextBlock, useAction, useLoad } from "./widgets.js";
import { ConfirmDelete } from "./confirm_delete.js";
import { ShareSession } from "./shares.js";
import { navigate } from "./router.js";
import { can } from "./permissions.js";
import { JsonLinesExport } from "./download.js";

export function datasetPath(name) {
  return `/ui/datasets/${encodeURIComponent(name)}`;
}

const apiPath = (name) => `/api/v1/datasets/${encodeURIComponent(name)}`;
const LABELS = { "": "no label", 1: "good", 0: "bad" };

// a text field's value: JSON when it parses, else the text itself; blank is null
function parsed(text) {
  if (!text.trim()) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const shown = (value) => (value === null || value === undefined ? "" : typeof value === "string" ? value : json(value));

export function Datasets({ me }) {
  const list = useLoad(() => api("/api/v1/datasets"), []);
  const create = useAction(async (form) => {
    const body = { name: form.get("name"), description: form.get("description") || null };
    const made = await api("/api/v1/datasets", { method: "POST", body });
    navigate(datasetPath(made.name));
  });
  const items = list.data ? list.data.items : [];
  return html`<section class="screen">
    <h1>Datasets</h1>
    <p class="muted">Named collections of examples: an input, the output you expect, a label and notes. Add LLM calls
      from a session ("Add to dataset") or items by hand, and run a unit test over them (UnitTest(...).for_dataset(name)).</p>
    <${ErrorNote} error=${list.error} />
    ${list.loading && !list.data && html`<${Loading} what="Loading datasets" />`}
    ${list.data && items.length === 0 && html`<p class="note">The account has no dataset yet.</p>`}
    ${items.length > 0 && html`<table class="list" aria-label="Datasets">
      <thead><tr><th>Dataset</th><th>Project</th><th class="num">Items</th><th>Changed</th></tr></thead>
      <tbody>${items.map((d) => html`<tr key=${d.name}>
        <td class="name"><a href=${datasetPath(d.name)}>${d.name}</a></td><td>${d.project || ""}</td>
        <td class="num">${count(d.item_count)}</td><td>${when(d.updated_at)}</td></tr>`)}</tbody>
    </table>`}
    ${can(me, "editDatasets") && html`<form class="inline-form" onSubmit=${create.submit} aria-label="New dataset">
      <label>Name <input name="name" required maxlength="256" /></label>
      <label>Description <input name="description" maxlength="2000" /></label>
      <button type="submit" class="primary" disabled=${create.busy}>Create dataset</button>
      <${ErrorNote} error=${create.error} />
    </form>`}
  </section>`;
}

function ItemForm({ name, item, onSaved, onCancel }) {
  const save = useAction(async (form) => {
    const label = form.get("label");
    const body = {
      input: parsed(form.get("input")),
      expected_output: parsed(form.get("expected_output")),
      label: label === "" ? null : Number(label),
      notes: form.get("notes") || null,
    };
    const saved = item
      ? await api(`${apiPath(name)}/items/${encodeURIComponent(item.id)}`, { method: "PATCH", body })
      : await api(`${apiPath(name)}/items`, { method: "POST", body: { items: [body] } });
    onSaved(saved);
  });
  const label = item && item.label !== null ? String(item.label) : "";
  return html`<form class="item-form" onSubmit=${save.submit} aria-label=${item ? "Edit item" : "Add an item"}>
    <label>Input (JSON or text) <textarea name="input" required rows="3">${shown(item && item.input)}</textarea></label>
    <label>Expected output (JSON or text) <textarea name="expected_output" rows="3">${shown(item && item.expected_output)}</textarea></label>
    <label class="inline">Label <select name="label">${Object.entries(LABELS).map(([value, text]) =>
      html`<option value=${value} selected=${value === label}>${text}</option>`)}</select></label>
    <label>Notes <input name="notes" value=${(item && item.notes) || ""} maxlength="20000" /></label>
    <button type="submit" class="primary" disabled=${save.busy}>${item ? "Save item" : "Add item"}</button>
    ${onCancel && html`<button type="button" class="ghost" onClick=${onCancel}>Cancel</button>`}
    <${ErrorNote} error=${save.error} />
  </form>`;
}

function ItemRow({ name, item, write, onChanged }) {
  const [editing, setEditing] = useState(false);
  if (editing) return html`<tr data-item=${item.id}><td colspan="5">
    <${ItemForm} name=${name} item=${item} onSaved=${() => { setEditing(false); onChanged(); }} onCancel=${() => setEditing(false)} />
  </td></tr>`;
  return html`<tr data-item=${item.id}>
    <td><${TextBlock} title="Input" text=${item.input} /></td>
    <td><${TextBlock} title="Expected" text=${item.expected_output} tone="output" /></td>
    <td>${item.label === null ? "" : LABELS[item.label]}</td>
    <td>${item.notes || ""}${item.source_session_id &&
      html` <a class="id" href=${`/ui/sessions/${encodeURIComponent(item.source_session_id)}`}>from a call</a>`}</td>
    <td class="actions">${write && html`<button type="button" class="ghost" onClick=${() => setEditing(true)}>Edit</button>
      <${ConfirmDelete} label="Delete" question="Delete this item permanently?"
        onConfirm=${() => api(`${apiPath(name)}/items/${encodeURIComponent(item.id)}`, { method: "DELETE" })}
        onDeleted=${onChanged} />`}</td>
  </tr>`;
}

const ITEMS_PER_REQUEST = 1000;

// items loaded from a JSON Lines file (one item per line, as the export writes them), a thousand per request;
// a line that is no JSON stops the load before anything is sent, a refused request stops it there and names
// its lines (the requests before it are stored). Item ids are unique in an account, so the items get new ones
// unless asked to keep the file's (a file from another account or instance).
function ItemsFile({ name, onLoaded }) {
  const [sent, setSent] = useState(null);
  const [keepIds, setKeepIds] = useState(false);
  const load = useAction(async (file) => {
    const lines = (await file.text()).split("\n").map((text, i) => [i + 1, text.trim()]).filter(([, text]) => text);
    const items = lines.map(([number, text]) => {
      try {
        const item = JSON.parse(text);
        if (!keepIds && item && typeof item === "object" && !Array.isArray(item)) delete item.id;
        return item;
      } catch {
        throw new Error(`line ${number} of ${file.name} is not JSON`);
      }
    });
    for (let start = 0; start < items.length; start += ITEMS_PER_REQUEST) {
      const batch = items.slice(start, start + ITEMS_PER_REQUEST);
      setSent(`${count(start)} of ${count(items.length)} items loaded…`);
      try {
        await api(`${apiPath(name)}/items`, { method: "POST", body: { items: batch } });
      } catch (error) {
        error.message = `lines ${lines[start][0]}–${lines[start + batch.length - 1][0]} were refused (${count(start)} items before them are loaded): ${error.message}`;
        throw error;
      } finally {
        onLoaded();
      }
    }
    setSent(`${count(items.length)} items loaded from ${file.name}`);
  });
  // the field is emptied, so that the same file, mended, can be chosen again
  const chosen = (event) => {
    const file = event.currentTarget.files[0];
    event.currentTarget.value = "";
    setSent(null);
    if (file) load.run(file);
  };
  return html`<div class="actions">
    <label>Load items from a JSON Lines file <input type="file" accept=".jsonl,.ndjson,application/x-ndjson,text/plain"
      disabled=${load.busy} onChange=${chosen} /></label>
    <label class="check"><input type="checkbox" checked=${keepIds} onChange=${(e) => setKeepIds(e.currentTarget.checked)} />
      Keep the file's item ids</label>
    ${sent && html`<span class="muted" role="status">${sent}</span>`}
    <${ErrorNote} error=${load.error} />
  </div>`;
}

export function DatasetDetail({ name, me }) {
  const [pages, setPages] = useState(1);
  const load = useLoad(async () => {
    const dataset = await api(apiPath(name));
    const items = [];
    let cursor = null;
    for (let page = 0; page < pages; page += 1) {
      const got = await api(`${apiPath(name)}/items`, { query: { limit: 200, ...(cursor ? { cursor } : {}) } });
      items.push(...got.items);
      cursor = got.next_cursor;
      if (!cursor) break;
    }
    return { dataset, items, more: Boolean(cursor) };
  }, [name, pages]);
  const write = can(me, "editDatasets");
  const d = load.data && load.data.dataset;
  return html`<section class="screen">
    <p><a href="/ui/datasets">← Datasets</a></p>
    <h1>${name}</h1>
    <${ErrorNote} error=${load.error} />
    ${load.loading && !load.data && html`<${Loading} what="Loading the dataset" />`}
    ${d && html`<${Facts} items=${[["Items", count(d.item_count)], ["Project", d.project], ["Created", when(d.created_at)],
      ["Changed", when(d.updated_at)], ["Description", d.description]]} />
      <${JsonLinesExport} path=${`${apiPath(name)}/export`} file=${`${name}.jsonl`} />
      ${write && html`<div class="actions-row"><${ShareSession} id=${name} kind="dataset" />
        <${ConfirmDelete} label="Delete dataset" question=${`Delete the dataset "${name}" with its ${count(d.item_count)} items permanently?`}
          onConfirm=${() => api(apiPath(name), { method: "DELETE" })} onDeleted=${() => navigate("/ui/datasets")} /></div>`}
      <table class="list" aria-label="Items">
        <thead><tr><th>Input</th><th>Expected output</th><th>Label</th><th>Notes</th><th></th></tr></thead>
        <tbody>${load.data.items.map((item) => html`<${ItemRow} key=${item.id} name=${name} item=${item} write=${write} onChanged=${load.reload} />`)}</tbody>
      </table>
      ${load.data.more && html`<button type="button" class="ghost" onClick=${() => setPages(pages + 1)}>Show more</button>`}
      ${write && html`<h2>Add an item</h2><${ItemForm} name=${name} onSaved=${load.reload} />
        <${ItemsFile} name=${name} onLoaded=${load.reload} />`}`}
  </section>`;
}
