// Plan, this month's metering and the account's invoices (P7): the list, one invoice's lines
// (/ui/invoices/<number>) and its PDF, fetched with the bearer header and saved through an object URL.
import { html } from "./lib.js";
import { api, request } from "./api.js";
import { count, day } from "./format.js";
import { ErrorNote, Facts, Loading, useAction, useLoad } from "./widgets.js";

const GB = 1_000_000_000;

// integer cents in the invoice's currency; plans are priced in the instance's invoice currency
export function amount(cents, currency) {
  const value = cents / 100;
  return currency ? new Intl.NumberFormat(undefined, { style: "currency", currency }).format(value) : value.toFixed(2);
}

function gigabytes(bytes) {
  return `${(bytes / GB).toFixed(bytes < GB ? 3 : 1)} GB`;
}

export function invoicePath(number) {
  return `/ui/invoices/${number}`;
}

export function PlanAndUsage() {
  const plan = useLoad(() => Promise.all([api("/api/v1/account/plan"), api("/api/v1/account/usage")]), []);
  if (plan.loading) return html`<${Loading} what="Loading the plan" />`;
  if (plan.error) return html`<${ErrorNote} error=${plan.error} />`;
  const [current, usage] = plan.data;
  return html`<div class="cards plan" aria-label="Plan and usage">
    <div class="card metric"><span class="muted">Plan</span><strong data-plan=${current.code}>${current.name}</strong>
      <span class="muted small">${amount(current.monthly_fee_cents, current.currency)} a month</span></div>
    <div class="card metric"><span class="muted">LLM calls in ${usage.period}</span><strong>${count(usage.llm_calls)}</strong>
      <span class="muted small">${count(current.included_calls)} included</span></div>
    <div class="card metric"><span class="muted">Stored now</span><strong>${gigabytes(usage.stored_bytes)}</strong>
      <span class="muted small">${current.included_gb} GB included</span></div>
    <div class="card metric"><span class="muted">Seats</span><strong>${count(usage.seats)}</strong>
      <span class="muted small">${count(current.included_seats)} included</span></div>
  </div>`;
}

// the PDF is fetched with the credential in a header (never in a URL) and handed to the browser to save;
// `path` is the operator's route for any invoice, else the account's own
async function savePdf(number, path = `/api/v1/invoices/${number}/pdf`) {
  const response = await request(path, { accept: "application/pdf" });
  const match = /filename="?([^";]+)"?/.exec(response.headers.get("Content-Disposition") || "");
  const url = URL.createObjectURL(await response.blob());
  const link = Object.assign(document.createElement("a"), { href: url, download: match ? match[1] : `invoice-${number}.pdf` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export function PdfButton({ number, path }) {
  const action = useAction(() => savePdf(number, path));
  return html`<button type="button" class="ghost" disabled=${action.busy} onClick=${() => action.run()}>
      ${action.busy ? "Preparing…" : "Download PDF"}</button>
    <${ErrorNote} error=${action.error} />`;
}

export function Invoices() {
  const invoices = useLoad(() => api("/api/v1/invoices"), []);
  if (invoices.error && invoices.error.status === 403) {
    return html`<p class="note">Invoices are shown to the account's owners and admins.</p>`;
  }
  if (invoices.loading && !invoices.data) return html`<${Loading} what="Loading invoices" />`;
  if (invoices.error) return html`<${ErrorNote} error=${invoices.error} />`;
  if (invoices.data.items.length === 0) return html`<p class="muted">No invoice yet.</p>`;
  return html`<table class="list" aria-label="Invoices">
    <thead><tr><th>Number</th><th>Period</th><th>Plan</th><th class="num">Total</th><th>Issued</th><th></th></tr></thead>
    <tbody>${invoices.data.items.map((i) => html`<tr data-invoice=${i.number}>
      <td><a href=${invoicePath(i.number)}>${i.number_text}</a></td><td>${i.period}</td><td>${i.plan}</td>
      <td class="num">${amount(i.total_cents, i.currency)}</td><td>${day(i.issued_at)}</td>
      <td class="actions"><${PdfButton} number=${i.number} /></td>
    </tr>`)}</tbody>
  </table>`;
}

export function InvoiceDetail({ number }) {
  const invoice = useLoad(() => api(`/api/v1/invoices/${encodeURIComponent(number)}`), [number]);
  if (invoice.loading) return html`<${Loading} what="Loading the invoice" />`;
  if (invoice.error) return html`<${ErrorNote} error=${invoice.error} />`;
  const i = invoice.data;
  const to = i.bill_to || {};
  return html`<section class="screen invoice">
    <p><a href="/ui/settings?tab=account">← Account & billing</a></p>
    <h1>Invoice ${i.number_text} <${PdfButton} number=${i.number} /></h1>
    <${Facts} items=${[["Period", i.period], ["Plan", i.plan], ["Issued", day(i.issued_at)], ["Bill to", to.name],
      ["Address", to.address], ["Country", to.country], ["VAT id", to.vat_id]]} />
    <table class="list" aria-label="Invoice lines">
      <thead><tr><th>Description</th><th class="num">Quantity</th><th>Unit</th><th class="num">Unit price</th><th class="num">Amount</th></tr></thead>
      <tbody>${i.lines.map((line) => html`<tr>
        <td>${line.description}</td><td class="num">${count(line.quantity)}</td><td>${line.unit}</td>
        <td class="num">${amount(line.unit_price_cents, i.currency)}</td><td class="num">${amount(line.amount_cents, i.currency)}</td>
      </tr>`)}</tbody>
      <tfoot>
        <tr><th colspan="4">Subtotal</th><td class="num">${amount(i.subtotal_cents, i.currency)}</td></tr>
        <tr><th colspan="4">Tax (${i.tax_rate_bp / 100} %)</th><td class="num">${amount(i.tax_cents, i.currency)}</td></tr>
        <tr><th colspan="4">Total</th><td class="num"><strong>${amount(i.total_cents, i.currency)}</strong></td></tr>
      </tfoot>
    </table>
    ${i.tax_note && html`<p class="muted">${i.tax_note}</p>`}
  </section>`;
}
