// The operator console's Accounts tab: every account with no content — id, name, kind, members, plan
// (GET /api/v1/admin/accounts) — and putting one on a plan (PUT /api/v1/operator/accounts/{id}/plan).
import { html, useState } from "./lib.js";
import { api } from "./api.js";
import { count, day } from "./format.js";
import { ErrorNote, Panel, useAction, useLoad } from "./widgets.js";
import { Pending, Rows } from "./operator_parts.js";

function PlanChoice({ account, plans, onChanged }) {
  const [plan, setPlan] = useState(account.plan);
  const change = useAction(async () => {
    await api(`/api/v1/operator/accounts/${account.id}/plan`, { method: "PUT", body: { plan } });
    onChanged();
  });
  return html`<form class="inline" onSubmit=${change.submit} aria-label=${`Plan of account ${account.id}`}>
      <select name="plan" value=${plan} onChange=${(e) => setPlan(e.currentTarget.value)} aria-label="Plan">
        ${plans.map((p) => html`<option value=${p.code}>${p.name}</option>`)}
      </select>
      <button type="submit" class="ghost" disabled=${change.busy}>Set plan</button>
    </form>
    <${ErrorNote} error=${change.error} />`;
}

export function AccountsTab() {
  const accounts = useLoad(() => api("/api/v1/admin/accounts"), []);
  const plans = useLoad(() => api("/api/v1/plans"), []);
  const choices = plans.data ? plans.data.items : [];
  const columns = [
    ["Id", (a) => a.id, "num"], ["Name", (a) => a.name], ["Kind", (a) => a.kind], ["Members", (a) => count(a.members), "num"],
    ["Created", (a) => day(a.created_at)], ["Expires", (a) => day(a.expires_at)],
    ["Plan", (a) => html`<span class="account-plan">${a.plan}</span>`],
    ["", (a) => choices.length > 0 && html`<${PlanChoice} key=${`${a.id}-${a.plan}`} account=${a} plans=${choices} onChanged=${accounts.reload} />`, "actions"],
  ];
  return html`<${Panel} id="accounts-title" title="Accounts">
    <p class="muted">Names, kinds, members and plans only: the accounts' data is not shown here.</p>
    <${Pending} load=${accounts} what="Loading accounts" />
    <${ErrorNote} error=${plans.error} />
    ${accounts.data && html`<${Rows} label="Accounts" columns=${columns} rows=${accounts.data.items} rowKey=${(a) => a.id} empty="No account." />`}
  <//>`;
}
