// The detail of one activity: an LLM call's prompt or chat messages, template and input values, output,
// model, settings, tokens and cost; retrieved documents with scores; a tool's input and output; a chain's
// inputs and outputs; errors first; an LLM call's replay panel (replay.js). Every customer value is rendered
// as text.
import { html } from "./lib.js";
import { count, duration, json, millis, money, when } from "./format.js";
import { CopyButton, Facts, TextBlock } from "./widgets.js";
import { TYPE_LABELS, label } from "./tree.js";
import { Annotation } from "./annotation.js";
import { ReplayPanel } from "./replay.js";
import { DeleteActivity } from "./activity_delete.js";
import { CacheBadge } from "./cache_badge.js";
import { AddToDataset } from "./dataset_add.js";

// fields drawn by the sections below; anything else an activity carries is listed under "Other fields"
const SHOWN = new Set([
  "id", "parent_activity_id", "activity_type", "name", "start_time", "end_time", "error", "info_message", "model",
  "provider", "template_name", "template_version", "cost", "price_version", "ttft_ms", "feedback_label",
  "feedback_rating", "feedback_notes", "tags", "metadata", "order", "usage", "prompt", "prompt_template",
  "prompt_input_values", "generated", "settings", "caption", "documents", "scores", "sequence_type", "inputs",
  "outputs", "tool_type", "input", "output", "input_data", "output_data", "text", "prompts", "attributes",
  "cache_namespace", "saved_cost",
]);

function ChatMessages({ messages }) {
  const whole = messages.map((m) => `${m.role || "message"}: ${m.text}`).join("\n\n");
  return html`<section class="block">
    <header><h4>Prompt (${messages.length} messages)</h4><${CopyButton} text=${whole} /></header>
    <ol class="messages">
      ${messages.map(
        (m) => html`<li class=${`message role-${/^[a-z]+$/.test(m.role || "") ? m.role : "other"}`}>
          <span class="role">${m.role || "message"}</span>
          <pre class="text">${m.text}</pre>
        </li>`,
      )}
    </ol>
  </section>`;
}

function InputValues({ values }) {
  const entries = Object.entries(values || {});
  if (entries.length === 0) return null;
  return html`<section class="block">
    <header><h4>Input values</h4><${CopyButton} text=${json(values)} /></header>
    <table class="kv">
      ${entries.map(([name, value]) => html`<tr>
        <th>${name}</th><td><pre class="text">${typeof value === "string" ? value : json(value)}</pre></td>
      </tr>`)}
    </table>
  </section>`;
}

// the template's text, or whatever else its record holds beyond the name and version shown above
function templateBody(template) {
  if (!template) return null;
  if (typeof template.template === "string") return template.template;
  const rest = Object.fromEntries(Object.entries(template).filter(([k]) => k !== "template_name" && k !== "template_version"));
  return Object.keys(rest).length ? rest : null;
}

function LlmCall({ a }) {
  const usage = a.usage || {};
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
    <${TextBlock} title="Template" text=${templateBody(a.prompt_template)} />
    <${InputValues} values=${a.prompt_input_values} />
    <${TextBlock} title="Settings" text=${a.settings} />
    <${TextBlock} title="Caption" text=${a.caption} />
    <${ReplayPanel} key=${a.id} a=${a} />
    <${AddToDataset} key=${`ds-${a.id}`} a=${a} />`;
}

function Documents({ a }) {
  const documents = a.documents || [];
  return html`<section class="block">
    <header><h4>${documents.length} retrieved documents</h4></header>
    <ol class="documents">
      ${documents.map((d, i) => html`<li>
        <div class="doc-head">
          ${a.scores && a.scores[i] !== undefined && html`<span class="badge score">score ${a.scores[i].toFixed(3)}</span>`}
          ${d.source && html`<span class="muted">${d.source}</span>`}
          ${d.id && html`<span class="muted id">${d.id}</span>`}
          <${CopyButton} text=${d.text} />
        </div>
        <pre class="text">${d.text}</pre>
        ${d.metadata && html`<pre class="text small">${json(d.metadata)}</pre>`}
      </li>`)}
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
  "retrieved-docs": Documents,
  action: Tool,
  "chain-sequence": Chain,
  question: ({ a }) => html`<${TextBlock} title="Question" text=${a.text} />`,
  answer: ({ a }) => html`<${TextBlock} title="Answer" text=${a.text} tone="output" />`,
  log: ({ a }) => html`<${TextBlock} title="Log" text=${a.text} />`,
  "parallel-prompt": ({ a }) => html`<${TextBlock} title="Prompts" text=${a.prompts} />`,
  span: ({ a }) => html`<${TextBlock} title="Attributes" text=${a.attributes} />`,
};

export function ActivityDetail({ a }) {
  const Body = BODIES[a.activity_type];
  const other = Object.fromEntries(Object.entries(a).filter(([k, v]) => !SHOWN.has(k) && v !== null));
  const feedback = [a.feedback_label, a.feedback_rating].filter((v) => v !== null && v !== undefined).join(" / ");
  return html`<article class="activity" aria-label="Activity detail">
    <header class="activity-head">
      <span class=${`type type-${a.activity_type}`}>${TYPE_LABELS[a.activity_type] || a.activity_type}</span>
      <h3>${label(a)}</h3>
      <${DeleteActivity} key=${a.id} id=${a.id} />
    </header>
    ${a.error && html`<section class="block bad" role="alert">
      <header><h4>Error</h4><${CopyButton} text=${a.error} /></header>
      <pre class="text">${a.error}</pre>
    </section>`}
    <${Facts} items=${[
      ["Activity id", html`<span class="id">${a.id}</span> <${CopyButton} text=${a.id} />`],
      ["Started", when(a.start_time)],
      ["Duration", a.end_time ? duration(a.start_time, a.end_time) : "still open"],
      ["Feedback", feedback || null],
      ["Tags", a.tags && a.tags.length ? a.tags.join(", ") : null],
    ]} />
    <${Annotation} key=${a.id} activityId=${a.id} />
    <${TextBlock} title="Info" text=${a.info_message} />
    ${Body && html`<${Body} a=${a} />`}
    <${TextBlock} title="Feedback notes" text=${a.feedback_notes} />
    <${TextBlock} title="Metadata" text=${a.metadata} />
    <${TextBlock} title="Other fields" text=${Object.keys(other).length ? other : null} />
  </article>`;
}
