// The mark of an LLM call served from the semantic cache: "served from cache · saved $x" (the call cost nothing).
import { html } from "./lib.js";
import { money } from "./format.js";

export function CacheBadge({ a }) {
  if (a.cache_namespace === null || a.cache_namespace === undefined) return null;
  const saved = a.saved_cost === null || a.saved_cost === undefined ? "" : ` · saved ${money(a.saved_cost)}`;
  return html`<p class="cache-hit">
    <span class="badge ok" title=${`cache namespace ${a.cache_namespace}`}>served from cache${saved}</span>
  </p>`;
}
