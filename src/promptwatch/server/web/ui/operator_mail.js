// The operator console's Mail tab: queue a promotional message to users, leads or both (P6; each person's
// contact preferences are applied when it is sent; POST /api/v1/operator/mail) and the outbox with its
// counts per status (GET /api/v1/operator/outbox?status=).
import { html, useRef, useState } from "./lib.js";
import { api } from "./api.js";
import { count, when } from "./format.js";
import { ErrorNote, Panel, useAction, useLoad } from "./widgets.js";
import { Pending, Rows } from "./operator_parts.js";

const OUTBOX = [
  ["Id", (m) => m.id, "num"], ["Category", (m) => m.category], ["To", (m) => m.recipient], ["Subject", (m) => m.subject],
  ["Status", (m) => m.status], ["Attempts", (m) => count(m.attempts), "num"], ["Last error", (m) => m.last_error],
  ["Queued", (m) => when(m.created_at)], ["Finished", (m) => when(m.finished_at)],
];

function BroadcastForm({ onQueued }) {
  const form = useRef(null);
  const queue = useAction(async (data) => {
    const body = { category: data.get("category"), audience: data.get("audience"), subject: data.get("subject"), body: data.get("body") };
    const answer = await api("/api/v1/operator/mail", { method: "POST", body });
    form.current.reset();
    onQueued();
    return `${count(answer.queued)} message(s) queued.`;
  });
  return html`<form class="filters" ref=${form} onSubmit=${queue.submit} aria-label="Queue promotional mail">
      <label>Category <select name="category"><option value="product_news">product news</option><option value="promotions">promotions</option></select></label>
      <label>Audience <select name="audience"><option value="all">users and leads</option><option value="users">users</option><option value="leads">leads</option></select></label>
      <label class="wide">Subject <input name="subject" required maxlength="500" /></label>
      <label class="wide">Text <textarea name="body" required rows="5"></textarea></label>
      <div class="actions"><button type="submit" class="primary" disabled=${queue.busy}>Queue mail</button></div>
    </form>
    <p class="muted small">Whoever turned this kind of mail off is skipped when the message is sent.</p>
    ${queue.done && html`<p class="note good" role="status">${queue.done}</p>`}
    <${ErrorNote} error=${queue.error} />`;
}

function Outbox({ status, onStatus, outbox }) {
  const counts = outbox.data ? Object.entries(outbox.data.counts) : [];
  return html`<div class="filters compact">
      <label class="inline">Status <select value=${status} onChange=${(e) => onStatus(e.currentTarget.value)}>
        <option value="">every status</option>
        ${counts.map(([name]) => html`<option value=${name}>${name}</option>`)}
      </select></label>
      <button type="button" class="ghost" onClick=${outbox.reload}>Refresh</button>
    </div>
    <p class="muted" aria-label="Messages per status">${counts.map(([name, n]) => `${name}: ${count(n)}`).join(" · ") || "The outbox is empty."}</p>
    <${Pending} load=${outbox} what="Loading the outbox" />
    ${outbox.data && html`<${Rows} label="Outbox" columns=${OUTBOX} rows=${outbox.data.items} rowKey=${(m) => m.id} empty="No message." />`}`;
}

export function MailTab() {
  const [status, setStatus] = useState("");
  const outbox = useLoad(() => api("/api/v1/operator/outbox", { query: { status } }), [status]);
  return html`<${Panel} id="broadcast-title" title="Promotional mail"><${BroadcastForm} onQueued=${outbox.reload} /><//>
    <${Panel} id="outbox-title" title="Outbox"><${Outbox} status=${status} onStatus=${setStatus} outbox=${outbox} /><//>`;
}
