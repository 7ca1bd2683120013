// The operator console (/ui/operator, tabs kept in the address as ?tab=): the instance, accounts and their
// plans, usage, invoices, policy announcements, leads and referrals, promotional mail and support access.
// Shown to operator staff (GET /api/v1/me → instance_role); every tab asks the API and shows its 403 as is.
import { html } from "./lib.js";
import { OPERATOR_PATH } from "./router.js";
import { InstanceTab } from "./operator_instance.js";
import { AccountsTab } from "./operator_accounts.js";
import { UsageTab } from "./operator_usage.js";
import { InvoicesTab } from "./operator_invoices.js";
import { PoliciesTab } from "./operator_policies.js";
import { LeadsTab } from "./operator_leads.js";
import { MailTab } from "./operator_mail.js";
import { SupportTab } from "./operator_support.js";

const TABS = {
  instance: ["Instance", InstanceTab], accounts: ["Accounts", AccountsTab], usage: ["Usage", UsageTab],
  invoices: ["Invoices", InvoicesTab], policies: ["Policies", PoliciesTab], leads: ["Leads & referrals", LeadsTab],
  mail: ["Mail", MailTab], support: ["Support access", SupportTab],
};

export function Operator({ where }) {
  const tab = TABS[where.query.get("tab")] ? where.query.get("tab") : "instance";
  const View = TABS[tab][1];
  return html`<section class="screen operator">
    <h1>Operator</h1>
    <nav class="subnav" aria-label="Operator">
      ${Object.entries(TABS).map(([name, [title]]) => html`<a href=${name === "instance" ? OPERATOR_PATH : `${OPERATOR_PATH}?tab=${name}`}
        aria-current=${name === tab ? "page" : undefined}>${title}</a>`)}
    </nav>
    <${View} key=${tab} />
  </section>`;
}
