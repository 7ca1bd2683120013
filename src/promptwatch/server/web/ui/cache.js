// The semantic cache: each namespace with its entries, its lookups' hits, misses and hit rate, last use and what
// its recorded hits saved (GET /api/v1/cache), and clearing a namespace, whole (its counts too) or only its
// entries created before a date (DELETE /api/v1/cache/{namespace}?until=).
import { html, useState } from "./lib.js";
import { api } from "./api.js";
import { count, money, percent, when } from "./format.js";
import { ErrorNote, Loading, useLoad } from "./widgets.js";
import { ConfirmDelete } from "./confirm_delete.js";
import { can } from "./permissions.js";

function ClearNamespace({ namespace, onCleared }) {
  const [before, setBefore] = useState("");
  const question = before
    ? `Delete the entries of ${namespace} created before ${before}? They are never served again.`
    : `Delete every entry of ${namespace}? They are never served again, and its lookups are counted afresh.`;
  const clear = () => {
    const until = before ? new Date(`${before}T00:00:00`).toISOString() : undefined;
    return api(`/api/v1/cache/${encodeURIComponent(namespace)}`, { method: "DELETE", query: { until } });
  };
  return html`<div class="cache-clear">
    <label>Only entries created before
      <input type="date" name="before" value=${before} onInput=${(e) => setBefore(e.currentTarget.value)} />
    </label>
    <${ConfirmDelete} label="Clear namespace" question=${question} onConfirm=${clear}
      onDeleted=${(result) => onCleared(namespace, result)} />
  </div>`;
}

export function Cache({ me }) {
  const { data, error, loading, reload } = useLoad(() => api("/api/v1/cache"), []);
  const [notice, setNotice] = useState(null);
  const cleared = (namespace, result) => {
    setNotice(`${count(result.deleted)} entries of ${namespace} deleted.`);
    reload();
  };
  const items = data ? data.items : [];
  const clearing = can(me, "clearCache");
  return html`<section class="screen">
    <h1>Semantic cache</h1>
    <p class="muted">A namespace's entries answer LLM calls that ask the same thing again. Every lookup counts, as a
      hit (an entry served) or a miss; the hit rate is the share of lookups served. What a hit saved is the price of
      the call it replaced, from the calls recorded in sessions.</p>
    ${notice && html`<p class="note" role="status">${notice}</p>`}
    <${ErrorNote} error=${error} />
    ${loading && !data && html`<${Loading} what="Loading the cache" />`}
    ${data && items.length === 0 && html`<p class="note">The cache holds no entries and has had no lookups.</p>`}
    ${items.length > 0 && html`<table class="list" aria-label="Cache namespaces">
      <thead><tr><th>Namespace</th><th class="num">Entries</th><th class="num">Hits</th><th class="num">Misses</th>
        <th class="num">Hit rate</th><th>Last used</th><th class="num">Saved</th>${clearing && html`<th></th>`}</tr></thead>
      <tbody>${items.map((n) => html`<tr key=${n.namespace} data-namespace=${n.namespace}>
        <td class="name">${n.namespace}</td>
        <td class="num">${count(n.entries)}</td>
        <td class="num">${count(n.hits)}</td>
        <td class="num">${count(n.misses)}</td>
        <td class="num" title=${`of ${count(n.lookups)} lookups`}>${percent(n.hit_rate)}</td>
        <td>${when(n.last_used_at)}</td>
        <td class="num">${money(n.saved_cost)}</td>
        ${clearing && html`<td><${ClearNamespace} namespace=${n.namespace} onCleared=${cleared} /></td>`}
      </tr>`)}</tbody>
    </table>`}
  </section>`;
}
