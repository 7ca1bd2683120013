// The playground on one recorded LLM call: edit the template (its text or its chat messages) and the input
// values (a placeholder the edited template adds gets a field of its own), or, for a call without a template
// replay can fill, the messages themselves; the model, temperature and max tokens; replay it against a configured
// provider (POST /api/v1/activities/{id}/replay), and see the original and the replays side by side: text,
// tokens, cost, latency (GET /api/v1/activities/{id}/replays). A caller who may not replay sees only the earlier
// replays.
import { html, useState } from "./lib.js";
import { api } from "./api.js";
import { count, duration, millis, money, when } from "./format.js";
import { ErrorNote, Facts, Loading, LongText, SHOWN_CHARACTERS, TextBlock, useAction, useLoad } from "./widgets.js";

const F_STRING_FORMATS = [undefined, null, "f-string", "chat_messages"];

// the recorded template replay can fill: an f-string text, or chat messages (texts, message templates and
// messages placeholders) whose templates are f-strings; null for any other (a jinja2 template, none at all)
function editableTemplate(description) {
  const body = description && description.prompt_template;
  if (!F_STRING_FORMATS.includes(description && description.format)) return null;
  if (typeof body === "string") return body;
  const isPart = (m) => typeof m === "string"
    || (m && typeof m === "object" && (typeof m.prompt_template === "string" ? F_STRING_FORMATS.includes(m.format) : typeof m.text === "string"));
  return Array.isArray(body) && body.length > 0 && body.every(isPart) ? body : null;
}

// the names of an f-string's {placeholders} ({{ and }} are braces; a format spec or conversion is not the name)
function placeholders(text) {
  const names = [];
  for (const match of text.matchAll(/\{\{|\}\}|\{([^{}]*)\}/g)) {
    const name = match[1] === undefined ? "" : match[1].split(/[!:]/)[0];
    if (name && !names.includes(name)) names.push(name);
  }
  return names;
}

// the placeholders of a template text or of its message templates, in their order
function templateFields(template) {
  const texts = typeof template === "string" ? [template]
    : template.filter((m) => typeof m === "object" && typeof m.prompt_template === "string").map((m) => m.prompt_template);
  return [...new Set(texts.flatMap(placeholders))];
}

// a template's part as the form shows it: its text, or null for a messages placeholder (the recorded history)
function partText(part) {
  if (typeof part === "string") return null;
  return typeof part.prompt_template === "string" ? part.prompt_template : part.text;
}

function withText(part, text) {
  return typeof part.prompt_template === "string" ? { ...part, prompt_template: text } : { ...part, text };
}

function valueText(value) {
  return typeof value === "string" ? value : JSON.stringify(value);
}

// the recorded prompt as the form edits it: a text, or messages of which those with a role are edited by text
function recordedMessages(prompt) {
  return Array.isArray(prompt) ? prompt : [{ role: "user", text: prompt == null ? "" : String(prompt) }];
}

const same = (x, y) => JSON.stringify(x) === JSON.stringify(y);

// whether the form edits the template (else the messages): when replay can fill it, unless asked otherwise (the
// recorded prompt may no longer match its template, e.g. once redacted)
const editsTemplate = (draft) => draft.template !== null && !draft.messagesInstead;

// a recorded message replay sends, as the server picks them: one with a role, or an item of no other type
const isSent = (m) => Boolean(m && (m.role || m.type === undefined || m.type === null || m.type === "message"));

// the edits the form holds: only what differs from the recorded call is sent. A new placeholder's value is sent
// when it is filled in; left empty, the server names it as missing.
function edits(form, a, draft) {
  const body = { provider: form.get("provider") || "default" };
  if (editsTemplate(draft)) {
    if (!same(draft.template, a.prompt_template.prompt_template)) body.template = draft.template;
    const recorded = a.prompt_input_values || {};
    const values = {};
    for (const name of [...Object.keys(recorded), ...templateFields(draft.template)]) {
      const edited = form.get(`input:${name}`);
      if (edited === null) continue;
      if (name in recorded ? edited !== valueText(recorded[name]) : edited !== "") values[name] = edited;
    }
    if (Object.keys(values).length) body.input_values = values;
  } else if (!same(draft.messages, recordedMessages(a.prompt))) {
    body.messages = draft.messages;
  }
  const model = (form.get("model") || "").trim();
  if (model && model !== a.model) body.model = model;
  const settings = {};
  if (form.get("temperature") !== "") settings.temperature = Number(form.get("temperature"));
  if (form.get("max_tokens") !== "") settings.max_tokens = Number(form.get("max_tokens"));
  if (Object.keys(settings).length) body.settings = settings;
  return body;
}

function Result({ title, generated, error, tokens, cost, latency, extra }) {
  return html`<section class="block replay-result" aria-label=${title}>
    <header><h4>${title}</h4></header>
    <${Facts} items=${[["Tokens", tokens], ["Cost", cost], ["Latency", latency], ...(extra || [])]} />
    ${error ? html`<${LongText} text=${error} tone="bad" />` : html`<${LongText} text=${generated} />`}
  </section>`;
}

function Original({ a }) {
  const usage = a.usage || {};
  return html`<${Result} title="Original" generated=${a.generated} error=${a.error} cost=${money(a.cost)}
    tokens=${`${count(usage.prompt_tokens)} in / ${count(usage.completion_tokens)} out`}
    latency=${a.end_time ? duration(a.start_time, a.end_time) : "–"} extra=${[["Model", a.model]]} />`;
}

function Replayed({ r, title }) {
  return html`<${Result} title=${title} generated=${r.generated} error=${r.error} cost=${money(r.cost)}
    tokens=${`${count(r.prompt_tokens)} in / ${count(r.completion_tokens)} out`} latency=${millis(r.latency_ms)}
    extra=${[["Model", r.model], ["Provider", r.provider], ["Edits", r.edits && Object.keys(r.edits).join(", ")]]} />`;
}

// a text the form edits, in a textarea; one longer than SHOWN_CHARACTERS shows its start and a button that opens
// all of it for editing (laying out megabytes in a textarea holds the page for seconds); unopened, it is sent as
// recorded
function TextField({ label, name, value, onChange }) {
  const [whole, setWhole] = useState(false);
  if (whole || value.length <= SHOWN_CHARACTERS) {
    return html`<label>${label}<textarea name=${name} value=${value}
      onInput=${(e) => onChange(e.currentTarget.value)}></textarea></label>`;
  }
  return html`<div class="long-field" role="group" aria-label=${label}><span>${label}</span>
    <pre class="text">${value.slice(0, SHOWN_CHARACTERS)}</pre>
    <p class="truncated muted small">The first ${count(SHOWN_CHARACTERS)} of ${count(value.length)} characters, sent as
      recorded.${" "}<button type="button" class="ghost" onClick=${() => setWhole(true)}>Edit all</button></p></div>`;
}

function TemplateEditor({ template, onChange }) {
  if (typeof template === "string") {
    return html`<${TextField} label="Template text" name="template" value=${template} onChange=${onChange} />`;
  }
  return html`<fieldset class="replay-messages"><legend>Template messages</legend>
    ${template.map((part, i) => (partText(part) === null
      ? html`<p class="muted small">${`{${part}}`}: the recorded messages of this placeholder</p>`
      : html`<${TextField} label=${`${part.role || "user"}${typeof part.prompt_template === "string" ? "" : " (text)"}`}
        name=${`template:${i}`} value=${partText(part)}
        onChange=${(text) => onChange(template.map((p, j) => (j === i ? withText(p, text) : p)))} />`))}
  </fieldset>`;
}

function MessagesEditor({ messages, onChange }) {
  return html`<fieldset class="replay-messages"><legend>Messages</legend>
    ${messages.map((m, i) => (isSent(m)
      ? html`<${TextField} label=${m.role || "user"} name=${`message:${i}`} value=${typeof m.text === "string" ? m.text : ""}
          onChange=${(text) => onChange(messages.map((n, j) => (j === i ? { ...n, text } : n)))} />`
      : html`<p class="muted small">${(m && m.type) || "item"}: the provider's own, not sent</p>`))}
  </fieldset>`;
}

// the form: the template and its input values (a new placeholder gets a field of its own) when replay can fill
// the recorded template, the messages otherwise; then the model and settings
function ReplayForm({ a, names, replay, draft, setDraft }) {
  const recorded = a.prompt_input_values || {};
  const onTemplate = editsTemplate(draft);
  const added = onTemplate ? templateFields(draft.template).filter((n) => !(n in recorded)) : [];
  return html`<form class="replay-form" onSubmit=${replay.submit} aria-label="Replay with edits">
    ${draft.template !== null && html`<label class="check"><input type="checkbox" name="messages_instead"
      checked=${draft.messagesInstead} onChange=${(e) => setDraft({ ...draft, messagesInstead: e.currentTarget.checked })} />
      Edit the messages instead of the template</label>`}
    ${onTemplate
      ? html`<${TemplateEditor} template=${draft.template} onChange=${(template) => setDraft({ ...draft, template })} />`
      : html`<${MessagesEditor} messages=${draft.messages} onChange=${(messages) => setDraft({ ...draft, messages })} />`}
    ${onTemplate && Object.entries(recorded).map(([name, value]) => (Array.isArray(value)
      ? html`<p class="muted small">Input ${name}: the ${value.length} recorded messages, sent as they were</p>`
      : html`<label>Input ${name}<input name=${`input:${name}`} defaultValue=${valueText(value)} /></label>`))}
    ${added.map((name) => html`<label>Input ${name} (new)<input name=${`input:${name}`} key=${name} /></label>`)}
    <div class="inline">
      <label>Model <input name="model" defaultValue=${a.model || ""} /></label>
      <label>Temperature <input name="temperature" type="number" min="0" max="2" step="0.1" /></label>
      <label>Max tokens <input name="max_tokens" type="number" min="1" step="1" /></label>
      <label>Provider <select name="provider">${(names.length ? names : ["default"]).map((n) => html`<option value=${n}>${n}</option>`)}</select></label>
      <button type="submit" disabled=${replay.busy}>${replay.busy ? "Replaying…" : "Replay"}</button>
    </div>
  </form>`;
}

export function ReplayPanel({ a, mayReplay }) {
  const path = `/api/v1/activities/${encodeURIComponent(a.id)}`;
  const earlier = useLoad(() => api(`${path}/replays`), [a.id]);
  const providers = useLoad(() => (mayReplay ? api("/api/v1/providers") : Promise.resolve(null)), []);
  const [draft, setDraft] = useState(() => ({
    template: editableTemplate(a.prompt_template),
    messages: recordedMessages(a.prompt),
    messagesInstead: false,
  }));
  const replay = useAction((form) => api(`${path}/replay`, { method: "POST", body: edits(form, a, draft) }).then((r) => {
    earlier.reload();
    return r;
  }));
  // the form is drawn once the panel is opened: a textarea holding a prompt of megabytes takes seconds to lay out
  const [opened, setOpened] = useState(false);
  const names = providers.data ? providers.data.items.map((p) => p.name) : [];
  const replays = earlier.data ? earlier.data.replays : [];
  return html`<details class="block replay" open=${replay.done ? true : undefined}
    onToggle=${(e) => e.currentTarget.open && setOpened(true)}>
    <summary>${mayReplay ? "Replay" : "Earlier replays"}</summary>
    ${providers.data && names.length === 0 && html`<p class="note">No LLM provider is configured: an admin adds one under
      <a href="/ui/settings?tab=providers">Settings → LLM providers</a>.</p>`}
    ${mayReplay && opened && html`<${ReplayForm} a=${a} names=${names} replay=${replay} draft=${draft} setDraft=${setDraft} />`}
    <${ErrorNote} error=${replay.error || earlier.error} />
    <div class="side-by-side">
      <${Original} a=${a} />
      ${replay.done && replay.done.id !== undefined && html`<${Replayed} r=${replay.done} title="This replay" />`}
    </div>
    ${earlier.loading && !earlier.data && html`<${Loading} what="Loading earlier replays" />`}
    ${replays.length > 0 && html`<h4>Replays of this call (${replays.length})</h4>
      <table class="list" aria-label="Earlier replays">
        <thead><tr><th>When</th><th>Model</th><th>Edits</th><th class="num">Tokens</th><th class="num">Cost</th><th class="num">Latency</th><th>Result</th></tr></thead>
        <tbody>${replays.slice().reverse().map((r) => html`<tr data-replay=${r.id}>
          <td>${when(r.created_at)}</td><td>${r.model}</td><td>${r.edits ? Object.keys(r.edits).join(", ") : ""}</td>
          <td class="num">${count((r.prompt_tokens || 0) + (r.completion_tokens || 0))}</td><td class="num">${money(r.cost)}</td>
          <td class="num">${millis(r.latency_ms)}</td>
          <td>${r.error ? html`<span class="badge bad" title=${r.error}>error</span>` : html`<span class="text-clip">${r.generated}</span>`}</td>
        </tr>`)}</tbody>
      </table>`}
    ${replays.length > 0 && html`<${TextBlock} title="Messages sent in the latest replay" text=${replays[replays.length - 1].messages} />`}
  </details>`;
}
