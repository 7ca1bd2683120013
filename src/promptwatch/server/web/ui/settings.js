// Settings: the account and its members with their roles, API keys, and price overrides.
import { html } from "./lib.js";
import { api } from "./api.js";
import { when } from "./format.js";
import { ErrorNote, Loading, useLoad } from "./widgets.js";
import { ApiKeys } from "./keys.js";
import { PriceOverrides } from "./prices.js";

function Members() {
  const { data, error, loading } = useLoad(() => api("/api/v1/members"), []);
  return html`<${ErrorNote} error=${error} />
    ${loading && html`<${Loading} what="Loading members" />`}
    ${data && html`<table class="list" aria-label="Members">
      <thead><tr><th>E-mail</th><th>Role</th><th>Member since</th></tr></thead>
      <tbody>${data.items.map((m) => html`<tr><td>${m.email}</td><td>${m.role}</td><td>${when(m.created_at)}</td></tr>`)}</tbody>
    </table>`}`;
}

export function Settings() {
  return html`<section class="screen settings">
    <h1>Settings</h1>
    <section class="panel" aria-labelledby="keys-title">
      <h2 id="keys-title">API keys</h2>
      <p class="muted">Keys let the SDK and scripts send and read data. A key is shown once, when it is created.</p>
      <${ApiKeys} />
    </section>
    <section class="panel" aria-labelledby="members-title">
      <h2 id="members-title">Members</h2>
      <${Members} />
    </section>
    <section class="panel" aria-labelledby="prices-title">
      <h2 id="prices-title">Model prices</h2>
      <${PriceOverrides} />
    </section>
  </section>`;
}
