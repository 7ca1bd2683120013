// Settings, in three tabs kept in the address (?tab=): access (API keys, members and their roles), model
// prices, and data (export, deletion receipts, retention, encryption at rest).
import { html } from "./lib.js";
import { api } from "./api.js";
import { when } from "./format.js";
import { ErrorNote, Loading, useLoad } from "./widgets.js";
import { ApiKeys } from "./keys.js";
import { PriceOverrides } from "./prices.js";
import { ExportData } from "./export.js";
import { Receipts } from "./receipts.js";
import { Retention } from "./retention.js";
import { Encryption } from "./encryption.js";

const TABS = { access: "API keys & members", prices: "Model prices", data: "Data" };

function Members() {
  const { data, error, loading } = useLoad(() => api("/api/v1/members"), []);
  return html`<${ErrorNote} error=${error} />
    ${loading && html`<${Loading} what="Loading members" />`}
    ${data && html`<table class="list" aria-label="Members">
      <thead><tr><th>E-mail</th><th>Role</th><th>Member since</th></tr></thead>
      <tbody>${data.items.map((m) => html`<tr><td>${m.email}</td><td>${m.role}</td><td>${when(m.created_at)}</td></tr>`)}</tbody>
    </table>`}`;
}

function Panel({ id, title, children }) {
  return html`<section class="panel" aria-labelledby=${id}><h2 id=${id}>${title}</h2>${children}</section>`;
}

function Access() {
  return html`<${Panel} id="keys-title" title="API keys">
      <p class="muted">Keys let the SDK and scripts send and read data. A key is shown once, when it is created.</p>
      <${ApiKeys} />
    <//>
    <${Panel} id="members-title" title="Members"><${Members} /><//>`;
}

function Data() {
  return html`<${Panel} id="export-title" title="Export">
      <p class="muted">Everything the account holds, as one zip (admin). Give a tenant to answer a data-subject request.</p>
      <${ExportData} />
    <//>
    <${Panel} id="retention-title" title="Retention"><${Retention} /><//>
    <${Panel} id="encryption-title" title="Encryption at rest"><${Encryption} /><//>
    <${Panel} id="receipts-title" title="Deletion receipts"><${Receipts} /><//>`;
}

export function Settings({ where }) {
  const tab = TABS[where.query.get("tab")] ? where.query.get("tab") : "access";
  return html`<section class="screen settings">
    <h1>Settings</h1>
    <nav class="subnav" aria-label="Settings">
      ${Object.entries(TABS).map(([name, title]) => html`<a href=${name === "access" ? "/ui/settings" : `/ui/settings?tab=${name}`}
        aria-current=${name === tab ? "page" : undefined}>${title}</a>`)}
    </nav>
    ${tab === "access" && html`<${Access} />`}
    ${tab === "prices" && html`<${Panel} id="prices-title" title="Model prices"><${PriceOverrides} /><//>`}
    ${tab === "data" && html`<${Data} />`}
  </section>`;
}
