// Settings, in tabs kept in the address (?tab=): access (API keys, members and their roles), model prices,
// data (export, deletion receipts, retention, encryption at rest), security & sharing (audit log, support
// grants, share links, redaction rules), and account & billing (account.js). Each part shows only the controls
// the caller may use (permissions.js); a part that is nothing but a control is left out.
import { html, useState } from "./lib.js";
import { Panel } from "./widgets.js";
import { ApiKeys } from "./keys.js";
import { PriceOverrides } from "./prices.js";
import { ExportData } from "./export.js";
import { ImportData } from "./import.js";
import { Receipts } from "./receipts.js";
import { DataDeletion } from "./data_deletion.js";
import { Retention } from "./retention.js";
import { Encryption } from "./encryption.js";
import { Members } from "./members.js";
import { AuditLog } from "./audit.js";
import { SupportGrants } from "./grants.js";
import { ShareLinks } from "./shares.js";
import { Redaction } from "./redaction.js";
import { AccountBilling } from "./account.js";
import { Providers } from "./provider.js";
import { can } from "./permissions.js";

const TABS = {
  access: "API keys & members", prices: "Model prices", data: "Data", security: "Security & sharing", account: "Account & billing",
  providers: "LLM providers",
};

function Access({ me }) {
  return html`<${Panel} id="keys-title" title="API keys">
      <p class="muted">Keys let the SDK and scripts send and read data. A key is shown once, when it is created.</p>
      ${can(me, "manageKeys")
        ? html`<${ApiKeys} />`
        : html`<p class="note">Managing API keys needs an owner or admin role (or an admin key).</p>`}
    <//>
    <${Panel} id="members-title" title="Members"><${Members} me=${me} /><//>`;
}

function Data({ me }) {
  const [deletions, setDeletions] = useState(0); // a deletion made here reloads the receipts below
  return html`${can(me, "exportData") && html`<${Panel} id="export-title" title="Export">
      <p class="muted">Everything the account holds, as one zip (admin). Give a tenant to answer a data-subject request.</p>
      <${ExportData} />
    <//>`}
    ${can(me, "importLines") && html`<${Panel} id="import-title" title="Import">
      <p class="muted">An export of this or another PromptWatch instance (admin), or sessions and activities as JSON Lines.
        Imported text passes the account's redaction rules.</p>
      <${ImportData} archives=${can(me, "importArchive")} />
    <//>`}
    <${Panel} id="retention-title" title="Retention"><${Retention} me=${me} /><//>
    <${Panel} id="encryption-title" title="Encryption at rest"><${Encryption} me=${me} /><//>
    ${can(me, "deleteData") && html`<${Panel} id="data-deletion-title" title="Delete data">
      <${DataDeletion} onDeleted=${() => setDeletions(deletions + 1)} />
    <//>`}
    <${Panel} id="receipts-title" title="Deletion receipts"><${Receipts} key=${deletions} /><//>`;
}

function Security({ where, me }) {
  return html`<${Panel} id="audit-title" title="Audit log"><${AuditLog} where=${where} /><//>
    <${Panel} id="grants-title" title="Support access">
      <p class="muted">Operator staff can read this account's data only under a live grant given here.</p>
      <${SupportGrants} me=${me} />
    <//>
    <${Panel} id="shares-title" title="Share links"><${ShareLinks} me=${me} /><//>
    <${Panel} id="redaction-title" title="Redaction before storage"><${Redaction} me=${me} /><//>`;
}

export function Settings({ where, me }) {
  const tab = TABS[where.query.get("tab")] ? where.query.get("tab") : "access";
  return html`<section class="screen settings">
    <h1>Settings</h1>
    <nav class="subnav" aria-label="Settings">
      ${Object.entries(TABS).map(([name, title]) => html`<a href=${name === "access" ? "/ui/settings" : `/ui/settings?tab=${name}`}
        aria-current=${name === tab ? "page" : undefined}>${title}</a>`)}
    </nav>
    ${tab === "access" && html`<${Access} me=${me} />`}
    ${tab === "security" && html`<${Security} where=${where} me=${me} />`}
    ${tab === "prices" && html`<${Panel} id="prices-title" title="Model prices"><${PriceOverrides} me=${me} /><//>`}
    ${tab === "data" && html`<${Data} me=${me} />`}
    ${tab === "account" && html`<${AccountBilling} me=${me} />`}
    ${tab === "providers" && html`<${Panel} id="providers-title" title="LLM providers for replays"><${Providers} me=${me} /><//>`}
  </section>`;
}
