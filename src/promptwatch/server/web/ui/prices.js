// The account's price overrides for custom or fine-tuned models: list, add, remove. Costs already stored
// keep the price they were computed with; new calls use the override from its effective date on. Admins change them.
// Below, the models of the calls stored without a price: an admin can price them once their model has a price.
import { html, useState } from "./lib.js";
import { api } from "./api.js";
import { money, when } from "./format.js";
import { ErrorNote, Loading, useLoad } from "./widgets.js";
import { can } from "./permissions.js";

export function PriceOverrides({ me }) {
  const overrides = useLoad(() => api("/api/v1/prices/overrides"), []);
  const unpriced = useLoad(() => api("/api/v1/prices/unpriced"), []);
  const [error, setError] = useState(null);
  const [priced, setPriced] = useState(null);

  const act = async (request) => {
    setError(null);
    try {
      await request();
      overrides.reload();
      return true;
    } catch (caught) {
      setError(caught);
      return false;
    }
  };
  const add = async (event) => {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    const body = {
      model: form.get("model").trim(),
      input_per_mtok: Number(form.get("input")),
      output_per_mtok: Number(form.get("output")),
    };
    if (form.get("from")) body.effective_from = new Date(form.get("from")).toISOString();
    if (await act(() => api("/api/v1/prices/overrides", { method: "POST", body }))) formElement.reset();
  };
  const remove = (id) => act(() => api(`/api/v1/prices/overrides/${id}`, { method: "DELETE" }));
  const priceStored = () => act(async () => {
    setPriced(await api("/api/v1/prices/unpriced/price", { method: "POST", body: {} }));
    unpriced.reload();
  });
  const manage = can(me, "managePrices");

  return html`
    ${manage && html`<form class="filters" onSubmit=${add} aria-label="Add a price override">
      <label>Model <input name="model" required maxlength="200" placeholder="e.g. my-finetune" /></label>
      <label>Input, USD per 1M tokens <input name="input" type="number" min="0" step="any" required /></label>
      <label>Output, USD per 1M tokens <input name="output" type="number" min="0" step="any" required /></label>
      <label>Effective from <input name="from" type="datetime-local" /></label>
      <div class="actions"><button type="submit" class="primary">Add price</button></div>
    </form>`}
    <${ErrorNote} error=${error || overrides.error} />
    ${overrides.loading && !overrides.data && html`<${Loading} what="Loading prices" />`}
    ${overrides.data && overrides.data.items.length === 0 &&
    html`<p class="muted">No overrides: every cost comes from the built-in price table.</p>`}
    ${overrides.data && overrides.data.items.length > 0 && html`<table class="list" aria-label="Price overrides">
      <thead><tr><th>Model</th><th class="num">Input / 1M</th><th class="num">Output / 1M</th><th>Effective from</th>${manage && html`<th></th>`}</tr></thead>
      <tbody>${overrides.data.items.map((o) => html`<tr>
        <td>${o.model}</td><td class="num">$${o.input_per_mtok}</td><td class="num">$${o.output_per_mtok}</td>
        <td>${when(o.effective_from)}</td>
        ${manage && html`<td class="actions"><button type="button" class="ghost" onClick=${() => remove(o.id)}>Delete</button></td>`}
      </tr>`)}</tbody>
    </table>`}
    ${unpriced.data && unpriced.data.items.length > 0 && html`<section aria-label="Calls without a price">
      <h3>Calls stored without a price</h3>
      <p class="muted">Their model had no price when they were stored, so their cost is unknown (shown as "–").
        Add a price above, then price them: each is priced as of its own time; calls that have a cost keep it.</p>
      <table class="list" aria-label="Unpriced calls by model">
        <thead><tr><th>Model</th><th class="num">Calls</th></tr></thead>
        <tbody>${unpriced.data.items.map((u) => html`<tr><td>${u.model ?? "(none)"}</td><td class="num">${u.calls}</td></tr>`)}</tbody>
      </table>
      ${manage && html`<div class="actions"><button type="button" onClick=${priceStored}>Price these calls now</button></div>`}
    </section>`}
    ${priced && html`<p role="status">${pricedNote(priced)}</p>`}`;
}

function pricedNote({ priced_calls: done, cost, unpriced_calls: left }) {
  return `Priced ${done} ${done === 1 ? "call" : "calls"} (${money(cost)}); ${left} still without a price.`;
}
