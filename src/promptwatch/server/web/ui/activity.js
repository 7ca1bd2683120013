// The detail of one activity: an LLM call's prompt or chat messages (with their tool calls and their images,
// audio and files), template and input values, output and the tool calls it made, model, settings, tokens
// and cost; an embeddings call's texts, vectors, tokens and cost; retrieved documents with scores; a tool's
// input and output; a chain's inputs and outputs; errors first; an LLM call's replay panel (replay.js). Every
// customer value is rendered as text.
import { html } from "./lib.js";
import { count, duration, json, millis, money, when } from "./format.js";
import { CopyButton, Facts, LongText, TextBlock } from "./widgets.js";
import { TYPE_LABELS, label } from "./tree.js";
import { Annotation } from "./annotation.js";
import { ReplayPanel } from "./replay.js";
import { DeleteActivity } from "./activity_delete.js";
import { CacheBadge } from "./cache_badge.js";
import { AddToDataset } from "./dataset_add.js";
import { can } from "./permissions.js";

// fields drawn by the sections below; anything else an activity carries is listed under "Other fields"
const SHOWN = new Set([
  "id", "parent_activity_id", "activity_type", "name", "start_time", "end_time", "error", "info_message", "model",
  "provider", "template_name", "template_version", "cost", "price_version", "ttft_ms", "feedback_label",
  "feedback_rating", "feedback_notes", "tags", "metadata", "order", "usage", "prompt", "prompt_template",
  "prompt_input_values", "generated", "settings", "caption", "documents", "scores", "sequence_type", "inputs",
  "outputs", "tool_type", "input", "output", "input_data", "output_data", "text", "prompts", "attributes",
  "cache_namespace", "saved_cost",
]);

// a tool call's name and arguments, in OpenAI's Chat Completions form ({ id, function: { name, arguments } })
// or the one the integrations and OTLP record ({ id, name, arguments })
function callParts(call) {
  const fn = call && typeof call.function === "object" && call.function !== null ? call.function : call || {};
  return { name: fn.name, args: fn.arguments };
}

// tool calls, each with its name, id and arguments
function CallList({ calls }) {
  return html`<ol class="calls">
    ${calls.map((call) => {
      const { name, args } = callParts(call);
      return html`<li>
        <div class="doc-head"><strong class="call-name">${typeof name === "string" ? name : json(name)}</strong>
          ${call && typeof call.id === "string" && html`<span class="muted id">${call.id}</span>`}</div>
        <${LongText} text=${args} />
      </li>`;
    })}
  </ol>`;
}

// the tool calls an LLM call's reply made beside its text (`outputs.tool_calls`), shown under it
function ToolCalls({ calls }) {
  if (!Array.isArray(calls) || calls.length === 0) return null;
  return html`<section class="block output" aria-label="Tool calls">
    <header><h4>Tool calls (${calls.length})</h4><${CopyButton} text=${json(calls)} what="tool calls" /></header>
    <${CallList} calls=${calls} />
  </section>`;
}

const LONGEST_VALUE = 100;

// a value with its long strings without a space (base64 data, an encrypted reasoning item) cut, to be shown
// as JSON; text keeps its words
function shortened(value) {
  if (typeof value === "string" && value.length > LONGEST_VALUE && !/\s/.test(value)) {
    return `${value.slice(0, LONGEST_VALUE)}… (${count(value.length)} characters)`;
  }
  if (Array.isArray(value)) return value.map(shortened);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shortened(v)]));
  return value;
}

// a message's fields drawn on their own; the others (a name, a reasoning item's summary) are shown as JSON
const MESSAGE_FIELDS = new Set(["role", "text", "type", "tool_calls", "tool_call_id", "content", "metadata"]);

// one chat message: its role (or the type of an item without one), the call it answers, its text, its tool
// calls, its content parts that are not text (images, audio, files) and its other fields
function Message({ m }) {
  const calls = Array.isArray(m.tool_calls) ? m.tool_calls : [];
  const parts = Array.isArray(m.content) ? m.content : [];
  const rest = Object.fromEntries(Object.entries(m).filter(([k, v]) => !MESSAGE_FIELDS.has(k) && v !== null));
  return html`<li class=${`message role-${/^[a-z]+$/.test(m.role || "") ? m.role : "other"}`}>
    <span class="role">${m.role || (typeof m.type === "string" && m.type) || "message"}</span>
    ${typeof m.tool_call_id === "string" && html`<span class="muted small">answers ${m.tool_call_id}</span>`}
    ${(m.text || (calls.length === 0 && parts.length === 0)) && html`<${LongText} text=${m.text} />`}
    ${calls.length > 0 && html`<${CallList} calls=${calls} />`}
    ${parts.length > 0 && html`<pre class="text small" aria-label="Content parts">${json(shortened(parts))}</pre>`}
    ${Object.keys(rest).length > 0 && html`<pre class="text small">${json(shortened(rest))}</pre>`}
  </li>`;
}

// chat messages [{ role, text }]; `title` is "Prompt" or "Template"
function ChatMessages({ title = "Prompt", messages }) {
  const whole = messages.map((m) => `${m.role || m.type || "message"}: ${m.text}`).join("\n\n");
  return html`<section class="block">
    <header><h4>${title} (${messages.length} ${messages.length === 1 ? "message" : "messages"})</h4>
      <${CopyButton} text=${whole} what=${title.toLowerCase()} /></header>
    <ol class="messages">${messages.map((m) => html`<${Message} m=${m} />`)}</ol>
  </section>`;
}

function InputValues({ values }) {
  const entries = Object.entries(values || {});
  if (entries.length === 0) return null;
  return html`<section class="block">
    <header><h4>Input values</h4><${CopyButton} text=${json(values)} /></header>
    <table class="kv">
      ${entries.map(([name, value]) => html`<tr>
        <th>${name}</th><td><${LongText} text=${value} /></td>
      </tr>`)}
    </table>
  </section>`;
}

// a chat template's messages as [{ role, text }], or null when `body` is not a list of messages
function templateMessages(body) {
  if (!Array.isArray(body)) return null;
  const messages = body.map((m) => {
    if (typeof m === "string") return { role: null, text: m };
    const text = m && (m.prompt_template ?? m.template ?? m.text);
    return typeof text === "string" ? { role: m.role, text } : null;
  });
  return messages.every(Boolean) ? messages : null;
}

// the recorded template as it was written: its text with the {placeholders}, or its chat messages each with its
// role; any other shape is shown as JSON (all but the name and version, which are shown above)
function Template({ template }) {
  if (!template) return null;
  const body = template.template ?? template.prompt_template;
  if (typeof body === "string") {
    const format = template.format ? ` (${template.format})` : "";
    return html`<${TextBlock} title=${`Template${format}`} text=${body} />`;
  }
  const messages = templateMessages(body);
  if (messages) return html`<${ChatMessages} title="Template" messages=${messages} />`;
  const rest = Object.fromEntries(Object.entries(template).filter(([k]) => k !== "template_name" && k !== "template_version"));
  return html`<${TextBlock} title="Template" text=${Object.keys(rest).length ? rest : null} />`;
}

function LlmCall({ a, me }) {
  const usage = a.usage || {};
  const { tool_calls: toolCalls, ...otherOutputs } = a.outputs && typeof a.outputs === "object" ? a.outputs : {};
  return html`
    <${CacheBadge} a=${a} />
    <${Facts} items=${[
      ["Model", a.model],
      ["Provider", a.provider],
      ["Template", a.template_name && `${a.template_name}${a.template_version ? ` v${a.template_version}` : ""}`],
      ["Prompt tokens", count(usage.prompt_tokens)],
      ["Completion tokens", count(usage.completion_tokens)],
      ["Total tokens", `${count(usage.total_tokens)}${usage.counted ? " (counted offline)" : ""}`],
      ["Cost", money(a.cost)],
      ["Price table", a.price_version],
      ["First token after", a.ttft_ms === null || a.ttft_ms === undefined ? null : millis(a.ttft_ms)],
    ]} />
    ${Array.isArray(a.prompt) ? html`<${ChatMessages} messages=${a.prompt} />` : html`<${TextBlock} title="Prompt" text=${a.prompt} />`}
    <${TextBlock} title="Generated" text=${a.generated} tone="output" />
    <${ToolCalls} calls=${toolCalls} />
    <${TextBlock} title="Outputs" text=${Object.keys(otherOutputs).length ? otherOutputs : null} tone="output" />
    <${Template} template=${a.prompt_template} />
    <${InputValues} values=${a.prompt_input_values} />
    <${TextBlock} title="Settings" text=${a.settings} />
    <${TextBlock} title="Caption" text=${a.caption} />
    <${ReplayPanel} key=${a.id} a=${a} mayReplay=${can(me, "replay")} />
    ${can(me, "editDatasets") && html`<${AddToDataset} key=${`ds-${a.id}`} a=${a} />`}`;
}

// the texts an embeddings call embedded, each on its own (`prompt`: a text or a list of texts)
function EmbeddedTexts({ prompt }) {
  const texts = Array.isArray(prompt) ? prompt : [prompt];
  if (texts.length === 0 || (texts.length === 1 && !texts[0])) return null;
  return html`<section class="block" aria-label="Embedded texts">
    <header><h4>Input (${count(texts.length)} ${texts.length === 1 ? "text" : "texts"})</h4>
      <${CopyButton} text=${texts.join("\n\n")} what="input" /></header>
    <ol class="documents">${texts.map((text) => html`<li><${LongText} text=${text} /></li>`)}</ol>
  </section>`;
}

// an embeddings call: model, how many vectors of how many dimensions came back (`outputs`), tokens and cost,
// and its texts; it is not replayed
function Embedding({ a }) {
  const usage = a.usage || {};
  const { vectors, dimensions } = a.outputs && typeof a.outputs === "object" ? a.outputs : {};
  const shape = typeof dimensions === "number" ? `${count(vectors)} × ${count(dimensions)} dimensions` : count(vectors);
  return html`
    <${Facts} items=${[
      ["Model", a.model],
      ["Provider", a.provider],
      ["Vectors", typeof vectors === "number" ? shape : null],
      ["Tokens", `${count(usage.total_tokens ?? usage.prompt_tokens)}${usage.counted ? " (counted offline)" : ""}`],
      ["Cost", money(a.cost)],
      ["Price table", a.price_version],
    ]} />
    <${EmbeddedTexts} prompt=${a.prompt} />
    <${TextBlock} title="Settings" text=${a.settings} />`;
}

// a document's metadata beyond the source and score shown above its text
function extraMetadata(d, score) {
  if (!d.metadata || typeof d.metadata !== "object") return d.metadata;
  const shown = { source: d.source, score };
  const rest = Object.entries(d.metadata).filter(([key, value]) => !(key in shown && shown[key] === value));
  return rest.length ? Object.fromEntries(rest) : null;
}

function Documents({ a }) {
  const documents = a.documents || [];
  return html`<section class="block">
    <header><h4>${documents.length} retrieved ${documents.length === 1 ? "document" : "documents"}</h4></header>
    <ol class="documents">
      ${documents.map((d, i) => {
        const score = a.scores ? a.scores[i] : undefined;
        const metadata = extraMetadata(d, score);
        return html`<li>
          <div class="doc-head">
            ${score !== undefined && score !== null && html`<span class="badge score">score ${score.toFixed(3)}</span>`}
            ${d.source && html`<span class="muted">${d.source}</span>`}
            ${d.id && html`<span class="muted id">${d.id}</span>`}
            <${CopyButton} text=${d.text} what="document" />
          </div>
          <${LongText} text=${d.text} />
          ${metadata && html`<pre class="text small">${json(metadata)}</pre>`}
        </li>`;
      })}
    </ol>
  </section>`;
}

function Tool({ a }) {
  return html`
    <${Facts} items=${[["Tool", a.tool_type]]} />
    <${TextBlock} title="Input" text=${a.input} />
    <${TextBlock} title="Input data" text=${a.input_data} />
    <${TextBlock} title="Output" text=${a.output} tone="output" />
    <${TextBlock} title="Output data" text=${a.output_data} tone="output" />`;
}

function Chain({ a }) {
  return html`
    <${Facts} items=${[["Sequence", a.sequence_type]]} />
    <${TextBlock} title="Inputs" text=${a.inputs} />
    <${TextBlock} title="Outputs" text=${a.outputs} tone="output" />`;
}

const BODIES = {
  "llm-prompt": LlmCall,
  embedding: Embedding,
  "retrieved-docs": Documents,
  action: Tool,
  "chain-sequence": Chain,
  question: ({ a }) => html`<${TextBlock} title="Question" text=${a.text} />`,
  answer: ({ a }) => html`<${TextBlock} title="Answer" text=${a.text} tone="output" />`,
  log: ({ a }) => html`<${TextBlock} title="Log" text=${a.text} />`,
  "parallel-prompt": ({ a }) => html`<${TextBlock} title="Prompts" text=${a.prompts} />`,
  span: ({ a }) => html`<${TextBlock} title="Attributes" text=${a.attributes} />`,
};

// `me`: the caller (GET /api/v1/me), whose permissions decide which controls are shown
export function ActivityDetail({ a, me }) {
  const Body = BODIES[a.activity_type];
  const other = Object.fromEntries(Object.entries(a).filter(([k, v]) => !SHOWN.has(k) && v !== null));
  const feedback = [a.feedback_label, a.feedback_rating].filter((v) => v !== null && v !== undefined).join(" / ");
  return html`<article class="activity" aria-label="Activity detail">
    <header class="activity-head">
      <span class=${`type type-${a.activity_type}`}>${TYPE_LABELS[a.activity_type] || a.activity_type}</span>
      <h3>${label(a)}</h3>
      ${can(me, "deleteActivity") && html`<${DeleteActivity} key=${a.id} id=${a.id} />`}
    </header>
    ${a.error && html`<section class="block bad" role="alert">
      <header><h4>Error</h4><${CopyButton} text=${a.error} what="error" /></header>
      <${LongText} text=${a.error} />
    </section>`}
    <${Facts} items=${[
      ["Activity id", html`<span class="id">${a.id}</span> <${CopyButton} text=${a.id} what="activity id" />`],
      ["Started", when(a.start_time)],
      ["Duration", a.end_time ? duration(a.start_time, a.end_time) : "still open"],
      ["Feedback", feedback || null],
      ["Tags", a.tags && a.tags.length ? a.tags.join(", ") : null],
    ]} />
    <${Annotation} key=${a.id} activityId=${a.id} editable=${can(me, "annotate")} />
    <${TextBlock} title="Info" text=${a.info_message} />
    ${Body && html`<${Body} a=${a} me=${me} />`}
    <${TextBlock} title="Feedback notes" text=${a.feedback_notes} />
    <${TextBlock} title="Metadata" text=${a.metadata} />
    <${TextBlock} title="Other fields" text=${Object.keys(other).length ? other : null} />
  </article>`;
}
