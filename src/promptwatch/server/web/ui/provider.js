// The account's LLM providers for replays (GET/PUT/DELETE /api/v1/providers): an OpenAI-compatible base URL,
// an API key that is write-only (the API answers only whether one is set) and a default model. Admins edit.
import { html, useState } from "./lib.js";
import { api } from "./api.js";
import { when } from "./format.js";
import { ErrorNote, Loading, useAction, useLoad } from "./widgets.js";
import { can } from "./permissions.js";

function path(name) {
  return `/api/v1/providers/${encodeURIComponent(name)}`;
}

export function Providers({ me }) {
  const { data, error, loading, reload } = useLoad(() => api("/api/v1/providers"), []);
  const [round, setRound] = useState(0); // a new form after each save: the key field is emptied
  const save = useAction((form) => {
    const body = { base_url: form.get("base_url").trim(), default_model: form.get("default_model").trim() || null };
    if (form.get("api_key")) body.api_key = form.get("api_key");
    return api(path(form.get("name").trim()), { method: "PUT", body }).then(() => {
      setRound((n) => n + 1);
      reload();
    });
  });
  const remove = useAction((name) => api(path(name), { method: "DELETE" }).then(reload));
  const manage = can(me, "manageProviders");
  return html`<p class="muted">Replays of recorded LLM calls go to an OpenAI-compatible provider. The key is stored
      encrypted and never shown again; saving a provider without a key removes its key.</p>
    <${ErrorNote} error=${error || remove.error} />
    ${loading && !data && html`<${Loading} what="Loading providers" />`}
    ${data && data.items.length > 0 && html`<table class="list" aria-label="LLM providers">
      <thead><tr><th>Name</th><th>Base URL</th><th>Key</th><th>Default model</th><th>Updated</th>${manage && html`<th></th>`}</tr></thead>
      <tbody>${data.items.map((p) => html`<tr data-provider=${p.name}>
        <td>${p.name}</td><td>${p.base_url}</td><td>${p.has_api_key ? "set" : "none"}</td><td>${p.default_model || ""}</td>
        <td>${when(p.updated_at)}</td>
        ${manage && html`<td><button type="button" class="ghost danger-text" disabled=${remove.busy} onClick=${() => remove.run(p.name)}>Remove</button></td>`}
      </tr>`)}</tbody>
    </table>`}
    ${manage && html`<form class="inline" key=${round} onSubmit=${save.submit} aria-label="Add or change a provider">
      <label>Name <input name="name" required defaultValue="default" pattern="[A-Za-z0-9_.\\-]+" maxlength="100" /></label>
      <label>Base URL <input name="base_url" type="url" required placeholder="https://api.openai.com/v1" /></label>
      <label>API key <input name="api_key" type="password" autocomplete="off" /></label>
      <label>Default model <input name="default_model" placeholder="gpt-4o-mini" /></label>
      <button type="submit" class="primary" disabled=${save.busy}>Save provider</button>
    </form>`}
    <${ErrorNote} error=${save.error} />`;
}
