// The playground on one recorded LLM call: edit the template text, the input values, the model, temperature
// and max tokens, replay it against a configured provider (POST /api/v1/activities/{id}/replay), and see the
// original and the replays side by side: text, tokens, cost, latency (GET /api/v1/activities/{id}/replays).
// A caller who may not replay sees only the earlier replays.
import { html } from "./lib.js";
import { api } from "./api.js";
import { count, duration, millis, money, when } from "./format.js";
import { ErrorNote, Facts, Loading, LongText, TextBlock, useAction, useLoad } from "./widgets.js";

function recordedText(template) {
  return template && typeof template.prompt_template === "string" ? template.prompt_template : null;
}

function valueText(value) {
  return typeof value === "string" ? value : JSON.stringify(value);
}

// the edits the form holds: only what differs from the recorded call is sent
function edits(form, a) {
  const body = { provider: form.get("provider") || "default" };
  const text = form.get("template");
  if (text !== null && text !== recordedText(a.prompt_template)) body.template = text;
  const values = {};
  for (const [name, value] of Object.entries(a.prompt_input_values || {})) {
    const edited = form.get(`input:${name}`);
    if (edited !== null && edited !== valueText(value)) values[name] = edited;
  }
  if (Object.keys(values).length) body.input_values = values;
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

function ReplayForm({ a, names, replay }) {
  const text = recordedText(a.prompt_template);
  return html`<form class="replay-form" onSubmit=${replay.submit} aria-label="Replay with edits">
    ${text !== null && html`<label>Template text<textarea name="template" defaultValue=${text}></textarea></label>`}
    ${Object.entries(a.prompt_input_values || {}).map(([name, value]) => html`<label>Input ${name}
      <input name=${`input:${name}`} defaultValue=${valueText(value)} /></label>`)}
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
  const replay = useAction((form) => api(`${path}/replay`, { method: "POST", body: edits(form, a) }).then((r) => {
    earlier.reload();
    return r;
  }));
  const names = providers.data ? providers.data.items.map((p) => p.name) : [];
  const replays = earlier.data ? earlier.data.replays : [];
  return html`<details class="block replay" open=${replay.done ? true : undefined}>
    <summary>${mayReplay ? "Replay" : "Earlier replays"}</summary>
    ${providers.data && names.length === 0 && html`<p class="note">No LLM provider is configured: an admin adds one under
      <a href="/ui/settings?tab=providers">Settings → LLM providers</a>.</p>`}
    ${mayReplay && html`<${ReplayForm} a=${a} names=${names} replay=${replay} />`}
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
