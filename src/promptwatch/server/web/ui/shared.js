// The page a share link opens (/ui/shared/<token>), reachable without signing in: the shared session (or
// dataset, its items as text) read
// with the link's token alone (GET /api/v1/shared/<token>, no credential sent), read-only and as text — its
// totals, then each activity in tree order with its texts. A revoked or expired link says so.
import { html, useMemo } from "./lib.js";
import { api } from "./api.js";
import { count, duration, money, sessionCost, when } from "./format.js";
import { ErrorNote, Facts, Loading, TextBlock, useLoad } from "./widgets.js";
import { TYPE_LABELS, buildTree, label, visibleRows } from "./tree.js";

// the texts an activity may carry, by field: [title, field, tone]
const TEXTS = [
  ["Error", "error", "bad"], ["Prompt", "prompt"], ["Generated", "generated", "output"], ["Text", "text"],
  ["Prompts", "prompts"], ["Documents", "documents"], ["Input", "input"], ["Output", "output", "output"],
  ["Inputs", "inputs"], ["Outputs", "outputs", "output"], ["Attributes", "attributes"], ["Metadata", "metadata"],
];

function SharedActivity({ a, depth }) {
  return html`<article class="shared-activity" aria-label=${label(a)} style=${{ marginLeft: `${depth * 20}px` }}>
    <header class="activity-head">
      <span class=${`type type-${a.activity_type}`}>${TYPE_LABELS[a.activity_type] || a.activity_type}</span>
      <h3>${label(a)}</h3>
    </header>
    <${Facts} items=${[
      ["Started", when(a.start_time)],
      ["Duration", a.end_time ? duration(a.start_time, a.end_time) : "still open"],
      ["Model", a.model],
      ["Tokens", a.usage && a.usage.total_tokens !== undefined ? count(a.usage.total_tokens) : null],
      ["Cost", a.cost === null || a.cost === undefined ? null : money(a.cost)],
    ]} />
    ${TEXTS.map(([title, field, tone]) => html`<${TextBlock} title=${title} text=${a[field]} tone=${tone} />`)}
  </article>`;
}

function Gone({ error }) {
  const message = error.status === 410 ? "This share link was revoked or has expired." : error.status === 404 ? "There is no share link at this address." : null;
  return message ? html`<p class="note error" role="alert">${message}</p>` : html`<${ErrorNote} error=${error} />`;
}

function SharedDataset({ d, expires }) {
  return html`<header class="session-head"><h1>${d.name}</h1>
      <${Facts} items=${[["Items", count(d.item_count)], ["Project", d.project], ["Link expires", when(expires)]]} />
      <${TextBlock} title="Description" text=${d.description} />
    </header>
    <section class="shared-activities" aria-label="Items">
      ${d.items.map((item) => html`<article class="shared-activity" key=${item.id} aria-label=${`Item ${item.id}`}>
        <${TextBlock} title="Input" text=${item.input} />
        <${TextBlock} title="Expected output" text=${item.expected_output} tone="output" />
        <${Facts} items=${[["Label", item.label === null ? null : item.label ? "good" : "bad"], ["Notes", item.notes]]} />
      </article>`)}
      ${d.truncated && html`<p class="muted">Only the first ${count(d.items.length)} items are shown.</p>`}
    </section>`;
}

export function SharedSession({ token }) {
  const shared = useLoad(() => api(`/api/v1/shared/${encodeURIComponent(token)}`, { auth: null }), [token]);
  const rows = useMemo(() => (shared.data && shared.data.session ? visibleRows(buildTree(shared.data.session.activities).roots, new Set()) : []), [shared.data]);
  const s = shared.data && shared.data.session;
  return html`<main class="shared screen" id="main">
    <p class="brand"><span class="logo" aria-hidden="true">◉</span> PromptWatch · shared ${shared.data && shared.data.dataset ? "dataset" : "session"}, read-only</p>
    ${shared.loading && html`<${Loading} what="Loading the shared session" />`}
    ${shared.error && html`<${Gone} error=${shared.error} />`}
    ${shared.data && shared.data.dataset && html`<${SharedDataset} d=${shared.data.dataset} expires=${shared.data.expires_at} />`}
    ${s && html`<header class="session-head">
        <h1>${s.session_name || s.id} ${s.is_error && html`<span class="badge bad">error</span>`}</h1>
        <${Facts} items=${[
          ["Session id", html`<span class="id">${s.id}</span>`],
          ["Project", s.tracking_project],
          ["Started", when(s.start_time)],
          ["Duration", s.end_time ? duration(s.start_time, s.end_time) : "still open"],
          ["LLM calls", count(s.llm_calls)],
          ["Tokens", count(s.total_tokens)],
          ["Cost", sessionCost(s)],
          ["Link expires", when(shared.data.expires_at)],
        ]} />
        <${TextBlock} title="Metadata" text=${s.metadata} />
      </header>
      <section class="shared-activities" aria-label="Activities">
        ${rows.map((row) => html`<${SharedActivity} key=${row.node.activity.id} a=${row.node.activity} depth=${row.depth} />`)}
        ${rows.length === 0 && html`<p class="muted">This session has no activities.</p>`}
      </section>`}
  </main>`;
}
