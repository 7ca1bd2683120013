// The operator console's Invoices tab (P7): issue a month's invoices for every standard account or one
// (POST /api/v1/operator/invoices) and list every invoice of the instance, each PDF fetched with the bearer
// header (GET /api/v1/operator/invoices/{number}/pdf).
import { html } from "./lib.js";
import { api } from "./api.js";
import { day } from "./format.js";
import { ErrorNote, Panel, useAction, useLoad } from "./widgets.js";
import { amount, PdfButton } from "./invoices.js";
import { Pending, Rows } from "./operator_parts.js";

const COLUMNS = [
  ["Number", (i) => i.number_text], ["Account", (i) => i.account_id, "num"], ["Period", (i) => i.period], ["Plan", (i) => i.plan],
  ["Total", (i) => amount(i.total_cents, i.currency), "num"], ["Issued", (i) => day(i.issued_at)],
  ["", (i) => html`<${PdfButton} number=${i.number} path=${`/api/v1/operator/invoices/${i.number}/pdf`} />`, "actions"],
];

function lastMonth() {
  const now = new Date();
  const month = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  return month.toISOString().slice(0, 7);
}

function IssueForm({ onIssued }) {
  const issue = useAction(async (data) => {
    const body = { period: data.get("period").trim() };
    if (data.get("account")) body.account_id = Number(data.get("account"));
    const issued = await api("/api/v1/operator/invoices", { method: "POST", body });
    onIssued();
    return `${issued.items.length} invoice(s) issued.`;
  });
  return html`<form class="filters" onSubmit=${issue.submit} aria-label="Issue invoices">
      <label>Month <input name="period" required pattern="\\d{4}-\\d{2}" placeholder="YYYY-MM" defaultValue=${lastMonth()} /></label>
      <label>Account id <input name="account" type="number" min="1" step="1" placeholder="every standard account" /></label>
      <div class="actions"><button type="submit" class="primary" disabled=${issue.busy}>Issue invoices</button></div>
    </form>
    ${issue.done && html`<p class="note good" role="status">${issue.done}</p>`}
    <${ErrorNote} error=${issue.error} />`;
}

export function InvoicesTab() {
  const invoices = useLoad(() => api("/api/v1/operator/invoices"), []);
  return html`<${Panel} id="issue-title" title="Issue invoices"><${IssueForm} onIssued=${invoices.reload} /><//>
    <${Panel} id="all-invoices-title" title="Every invoice">
      <${Pending} load=${invoices} what="Loading invoices" />
      ${invoices.data && html`<${Rows} label="Every invoice" columns=${COLUMNS} rows=${invoices.data.items} empty="No invoice yet." />`}
    <//>`;
}
