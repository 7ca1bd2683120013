// The page a share link opens (/ui/shared/<token>), reachable without signing in: the shared session (or
// dataset, its items as text) read with the link's token alone (GET /api/v1/shared/<token>, no credential
// sent), read-only and as text — its totals, then each activity in tree order with its texts, the first 200
// at once and the rest a page at a time (activity_list.js). A revoked or expired link says so.
import { html } from "./lib.js";
import { count, duration, money, sessionCost, when } from "./format.js";
import { ErrorNote, Facts, Loading, TextBlock } from "./widgets.js";
import { useSessionPages } from "./session_pages.js";
import { ActivityList } from "./activity_list.js";
import { SessionTitle } from "./session_title.js";

// the texts an activity may carry, by field: [title, field, tone]
const TEXTS = [
  ["Error", "error", "bad"], ["Prompt", "prompt"], ["Generated", "generated", "output"], ["Text", "text"],
  ["Prompts", "prompts"], ["Documents", "documents"], ["Input", "input"], ["Output", "output", "output"],
  ["Inputs", "inputs"], ["Outputs", "outputs", "output"], ["Attributes", "attributes"], ["Metadata", "metadata"],
];

function SharedActivity({ a }) {
  return html`<${Facts} items=${[
      ["Started", when(a.start_time)],
      ["Duration", a.end_time ? duration(a.start_time, a.end_time) : "still open"],
      ["Model", a.model],
      ["Tokens", a.usage && a.usage.total_tokens !== undefined ? count(a.usage.total_tokens) : null],
      ["Cost", a.cost === null || a.cost === undefined ? null : money(a.cost)],
    ]} />
    ${TEXTS.map(([title, field, tone]) => html`<${TextBlock} title=${title} text=${a[field]} tone=${tone} />`)}`;
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

const sessionOf = (answer) => answer.session;

export function SharedSession({ token }) {
  const pages = useSessionPages(`/api/v1/shared/${encodeURIComponent(token)}`, { auth: null, unwrap: sessionOf });
  const { answer, session: s, error } = pages;
  return html`<main class="shared screen" id="main">
    <p class="brand"><span class="logo" aria-hidden="true">◉</span> PromptWatch · shared ${answer && answer.dataset ? "dataset" : "session"}, read-only</p>
    ${!answer && !error && html`<${Loading} what="Loading the shared session" />`}
    ${error && html`<${Gone} error=${error} />`}
    ${answer && answer.dataset && html`<${SharedDataset} d=${answer.dataset} expires=${answer.expires_at} />`}
    ${s && html`<header class="session-head">
        <h1><${SessionTitle} s=${s} /> ${s.is_error && html`<span class="badge bad">error</span>`}</h1>
        <${Facts} items=${[
          ["Session id", html`<span class="id">${s.id}</span>`],
          ["Project", s.tracking_project],
          ["Started", when(s.start_time)],
          ["Duration", s.end_time ? duration(s.start_time, s.end_time) : "still open"],
          ["LLM calls", count(s.llm_calls)],
          ["Tokens", count(s.total_tokens)],
          ["Cost", sessionCost(s)],
          ["Link expires", when(answer.expires_at)],
        ]} />
        <${TextBlock} title="Metadata" text=${s.metadata} />
      </header>
      <${ActivityList} pages=${pages} Body=${SharedActivity} />`}
  </main>`;
}
