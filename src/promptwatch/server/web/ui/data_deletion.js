// Settings → Data → "Delete data": erase a tracking tenant (DELETE /api/v1/tenants/{tenant}), delete a tracking
// project (DELETE /api/v1/projects/{name}) or a time range (POST /api/v1/deletions/time-range), each after a
// confirmation that names what goes; the receipt's id is shown with a link to the receipts list.
import { html, useState } from "./lib.js";
import { api } from "./api.js";
import { countsText } from "./receipts.js";
import { ConfirmDelete } from "./confirm_delete.js";

const path = (prefix, name) => `${prefix}/${encodeURIComponent(name)}`;
const instant = (local) => (local ? new Date(local).toISOString() : null);
const FINAL = "This cannot be undone: it becomes unreadable at once and re-sent copies are refused.";

// the confirming button once there is something to delete, a disabled one before
function DeleteButton({ label, ready, question, onConfirm, onDeleted }) {
  if (!ready) return html`<button type="button" class="ghost danger-text" disabled>${label}</button>`;
  return html`<${ConfirmDelete} label=${label} question=${`${question} ${FINAL}`} onConfirm=${onConfirm} onDeleted=${onDeleted} />`;
}

function Done({ receipt }) {
  return html`<p class="note good" role="status">Deleted (${countsText(receipt.counts)}). Receipt
    <span class="id receipt-id">${receipt.id}</span> — <a href="/ui/settings?tab=data#receipts-title">see all receipts</a>.</p>`;
}

function ByName({ title, field, placeholder, question, url, onDeleted }) {
  const [name, setName] = useState("");
  const [receipt, setReceipt] = useState(null);
  const done = (answer) => {
    setReceipt(answer);
    setName("");
    onDeleted(answer);
  };
  return html`<form class="filters" aria-label=${title} onSubmit=${(event) => event.preventDefault()}>
      <label>${field} <input value=${name} maxlength="256" placeholder=${placeholder}
        onInput=${(event) => setName(event.currentTarget.value)} /></label>
      <div class="actions"><${DeleteButton} label=${title} ready=${name.trim()} question=${question(name.trim())}
        onConfirm=${() => api(url(name.trim()), { method: "DELETE" })} onDeleted=${done} /></div>
    </form>
    ${receipt && html`<${Done} receipt=${receipt} />`}`;
}

function TimeRange({ onDeleted }) {
  const [range, setRange] = useState({ since: "", until: "", project: "" });
  const [receipt, setReceipt] = useState(null);
  const set = (name) => (event) => setRange({ ...range, [name]: event.currentTarget.value });
  const what = `${range.project.trim() ? `project ${range.project.trim()}` : "every project"}, sessions started ${
    range.since ? `from ${range.since.replace("T", " ")} ` : ""}${range.until ? `until ${range.until.replace("T", " ")}` : ""}`;
  const run = () => api("/api/v1/deletions/time-range", {
    method: "POST",
    body: { since: instant(range.since), until: instant(range.until), project: range.project.trim() || null },
  });
  const done = (answer) => {
    setReceipt(answer);
    onDeleted(answer);
  };
  return html`<form class="filters" aria-label="Delete a time range" onSubmit=${(event) => event.preventDefault()}>
      <label>From <input type="datetime-local" name="since" value=${range.since} onInput=${set("since")} /></label>
      <label>Until <input type="datetime-local" name="until" value=${range.until} onInput=${set("until")} /></label>
      <label>Project <input name="project" maxlength="256" placeholder="every project" value=${range.project} onInput=${set("project")} /></label>
      <div class="actions"><${DeleteButton} label="Delete time range" ready=${range.since || range.until}
        question=${`Delete the sessions of ${what} (your local time), with all their activities?`} onConfirm=${run} onDeleted=${done} /></div>
    </form>
    ${receipt && html`<${Done} receipt=${receipt} />`}`;
}

export function DataDeletion({ onDeleted }) {
  return html`<p class="muted">Bulk deletions (admin). Each yields a receipt; the next cleanup cycle removes the data from disk.</p>
    <${ByName} title="Erase tenant" field="Tracking tenant" placeholder="an end user's identifier" url=${(n) => path("/api/v1/tenants", n)}
      question=${(n) => `Erase tracking tenant ${n}: every session, activity and other record naming them, in every project? Their share of cost and usage stays in the totals as "(erased)".`}
      onDeleted=${onDeleted} />
    <${ByName} title="Delete project" field="Tracking project" placeholder="project name" url=${(n) => path("/api/v1/projects", n)}
      question=${(n) => `Delete project ${n} with all its sessions, activities, usage figures and other records?`}
      onDeleted=${onDeleted} />
    <${TimeRange} onDeleted=${onDeleted} />`;
}
