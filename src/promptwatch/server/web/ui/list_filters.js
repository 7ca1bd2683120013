// The filter bar's parts that the sessions list and the calls list share: text fields with the account's
// values suggested (GET /api/v1/session-facets), a select of fixed choices, the time range (relative, or
// "Between…" two times), Apply and Clear, and the way between the form, the list's address and the API's query.
// The address keeps the filters under the API's names, a relative range as itself (`range=24h`), so a shared
// view is of the last 24 hours whenever it is opened.
import { html, useEffect, useState } from "./lib.js";
import { api } from "./api.js";
import { when } from "./format.js";

const RANGES = { "": "Any time", "1h": "Last hour", "24h": "Last 24 hours", "7d": "Last 7 days", "30d": "Last 30 days" };
export const RANGE_MS = { "1h": 3_600_000, "24h": 86_400_000, "7d": 7 * 86_400_000, "30d": 30 * 86_400_000 };
const NO_FACETS = { truncated: [] };

// the account's projects, tenants, templates and models; suggestions only: without them the filters still take
// any value typed
export function useFacets() {
  const [facets, setFacets] = useState(NO_FACETS);
  useEffect(() => {
    let live = true;
    api("/api/v1/session-facets").then((data) => live && setFacets(data), () => {});
    return () => {
      live = false;
    };
  }, []);
  return facets;
}

// the address's range: `range`, or "custom" for an address with the API's `since` or `until` alone (a link
// written with the API's names)
function rangeOf(query) {
  return query.get("range") || (query.get("since") || query.get("until") ? "custom" : "");
}

// the address's time range as the API's `since` and `until`, added to `params`: a relative range becomes
// `since` at the time of the request
export function addRange(query, params) {
  const keep = (name, value) => value && params.set(name, value);
  const range = rangeOf(query);
  if (RANGE_MS[range]) keep("since", new Date(Date.now() - RANGE_MS[range]).toISOString());
  else if (range === "custom") {
    keep("since", query.get("since"));
    keep("until", query.get("until"));
  }
}

// the list's address for a submitted form: its non-blank fields but those `skip(name, text)` leaves out, the
// times of a custom range in ISO, then `extra` pairs ([name, value])
export function addressOf(path, form, { skip = () => false, extra = [] } = {}) {
  const next = new URLSearchParams();
  for (const [name, value] of form) {
    const text = String(value).trim();
    if (!text || skip(name, text)) continue;
    next.set(name, name === "since" || name === "until" ? new Date(text).toISOString() : text);
  }
  for (const [name, value] of extra) next.append(name, value);
  // only a pair's first "=" ends its name, so the others need no escape: the address reads meta=env=prod
  const search = next.toString().replaceAll("%3D", "=");
  return `${path}${search ? `?${search}` : ""}`;
}

function localInput(iso) {
  if (!iso) return "";
  const moment = new Date(iso);
  return new Date(moment.getTime() - moment.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

// the values suggested in one filter's input (a native datalist: typing narrows it, any other value goes too)
function Suggestions({ id, values }) {
  return html`<datalist id=${id}>${(values || []).map((value) => html`<option value=${value} />`)}</datalist>`;
}

// `filters`: [query name, label, placeholder, the list of GET /api/v1/session-facets that suggests its values].
// Inputs are uncontrolled (defaultValue, selected): a re-render while the list loads keeps what is typed.
export function TextFilters({ filters, query, facets }) {
  return filters.map(
    ([name, label, hint, facet]) => html`<label class=${name === "q" ? "wide" : ""}>${label}
      <input name=${name} defaultValue=${query.get(name) || ""} type=${name === "q" ? "search" : "text"}
        placeholder=${facets.truncated.includes(facet) ? `top ${facets.limit} suggested` : hint}
        list=${facet && `facet-${name}`} autocomplete=${facet && "off"} />
      ${facet && html`<${Suggestions} id=${`facet-${name}`} values=${facets[facet]} />`}
    </label>`,
  );
}

// a select of `choices` ({value: label}) with `value` chosen
export function Choice({ name, label, choices, value }) {
  return html`<label>${label}
    <select name=${name}>
      ${Object.entries(choices).map(([option, text]) => html`<option value=${option} selected=${option === value}>${text}</option>`)}
    </select>
  </label>`;
}

export function TimeRange({ query }) {
  const [range, setRange] = useState(rangeOf(query));
  return html`<label>Time
      <select name="range" onChange=${(e) => setRange(e.currentTarget.value)}>
        ${Object.entries(RANGES).map(([value, label]) => html`<option value=${value} selected=${value === range}>${label}</option>`)}
        <option value="custom" selected=${range === "custom"}>Between…</option>
      </select>
    </label>
    ${range === "custom" &&
    html`<label>From <input name="since" type="datetime-local" defaultValue=${localInput(query.get("since"))} /></label>
      <label>To <input name="until" type="datetime-local" defaultValue=${localInput(query.get("until"))} /></label>`}`;
}

// the time range in words, for a list's empty note: "in the last 24 hours", "from … to …"
export function rangeWords(query) {
  const range = rangeOf(query);
  if (RANGE_MS[range]) return `in the ${RANGES[range].toLowerCase()}`;
  if (range !== "custom") return "";
  const [since, until] = [query.get("since"), query.get("until")];
  return [since && `from ${when(since)}`, until && `until ${when(until)}`].filter(Boolean).join(" ");
}

export function FilterActions({ clear }) {
  return html`<div class="actions">
    <button type="submit" class="primary">Apply</button>
    <a class="button ghost" href=${clear}>Clear</a>
  </div>`;
}
