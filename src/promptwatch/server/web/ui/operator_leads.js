// The operator console's Leads & referrals tab: waitlist leads with their consent and source (P8;
// GET /api/v1/operator/leads?status=) and how many sign-ups each inviting user brought (P12;
// GET /api/v1/operator/referrals).
import { html, useState } from "./lib.js";
import { api } from "./api.js";
import { count, when } from "./format.js";
import { Panel, useLoad } from "./widgets.js";
import { Pending, Rows } from "./operator_parts.js";

const STATUSES = { "": "every status", waitlist: "waitlist", customer: "customer", opted_out: "opted out" };
const LEADS = [
  ["E-mail", (l) => l.email], ["Name", (l) => l.name], ["Organisation", (l) => l.organisation], ["Source", (l) => l.source],
  ["Status", (l) => l.status], ["Consented", (l) => when(l.consented_at)],
];
const REFERRALS = [["Inviting user", (r) => r.email], ["Sign-ups", (r) => count(r.referrals), "num"]];

export function LeadsTab() {
  const [status, setStatus] = useState("");
  const leads = useLoad(() => api("/api/v1/operator/leads", { query: { status } }), [status]);
  const referrals = useLoad(() => api("/api/v1/operator/referrals"), []);
  return html`<${Panel} id="leads-title" title="Leads">
      <label class="inline">Status
        <select value=${status} onChange=${(e) => setStatus(e.currentTarget.value)}>
          ${Object.entries(STATUSES).map(([value, title]) => html`<option value=${value}>${title}</option>`)}
        </select>
      </label>
      <${Pending} load=${leads} what="Loading leads" />
      ${leads.data && html`<${Rows} label="Leads" columns=${LEADS} rows=${leads.data.items} empty="No lead." />`}
    <//>
    <${Panel} id="referral-counts-title" title="Referrals">
      <${Pending} load=${referrals} what="Loading referrals" />
      ${referrals.data && html`<${Rows} label="Referral counts" columns=${REFERRALS} rows=${referrals.data.items} empty="No referral yet." />`}
    <//>`;
}
