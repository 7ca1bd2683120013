// The sessions list: server-side filters kept in the URL's query string (so a view can be shared), the
// account's projects, tenants, templates and models suggested in their filters (GET /api/v1/session-facets),
// cost, duration, token and metadata filters under "More filters" (session_filters.js),
// one list request for the first screen, cursor paging with "Load more", and rows that open with Enter or a click.
// The rows are one stop in the Tab order (the arrow keys, Home and End move between them); back from a
// session, the focus is on its row again.
import { html, useEffect, useRef, useState } from "./lib.js";
import { api } from "./api.js";
import { navigate, sessionPath } from "./router.js";
import { count, duration, sessionCost, when, whenShort } from "./format.js";
import { ErrorNote, Loading } from "./widgets.js";
import { SessionTitle } from "./session_title.js";
import { MORE_NAMES, MoreFilters, moreFromAddress, moreFromForm } from "./session_filters.js";

// [query name, label, placeholder, the list of GET /api/v1/session-facets that suggests its values]
const TEXT_FILTERS = [
  ["q", "Text search", "words in prompts, outputs, documents"],
  ["project", "Project", "", "projects"],
  ["tenant", "Tenant", "", "tenants"],
  ["template", "Template", "", "templates"],
  ["model", "Model", "", "models"],
  ["tag", "Tag", ""],
];
const NO_FACETS = { truncated: [] };
const RANGES = { "": "Any time", "1h": "Last hour", "24h": "Last 24 hours", "7d": "Last 7 days", "30d": "Last 30 days" };
const RANGE_MS = { "1h": 3_600_000, "24h": 86_400_000, "7d": 7 * 86_400_000, "30d": 30 * 86_400_000 };
const ERRORS = { "": "All sessions", true: "With errors", false: "Without errors" };
const SORTS = { newest: "Newest first", oldest: "Oldest first", cost: "Most expensive", tokens: "Most tokens" };
const PAGE = 50;
let lastListUrl = "/ui/sessions";
let lastOpened = null; // the session last opened from the list, whose row gets the focus back

export function listUrl() {
  return lastListUrl;
}

// the list's address for `filters` over another screen's time range: the same relative range when the list
// has it (24h, 7d, 30d), else the sessions since `since`
export function sessionsUrl(filters, { range, since } = {}) {
  const query = new URLSearchParams(filters);
  if (RANGE_MS[range]) query.set("range", range);
  else if (since) {
    query.set("range", "custom");
    query.set("since", since);
  }
  return `/ui/sessions?${query}`;
}

// the API's query for the URL's filters: a relative range becomes `since` at the time of the request; a bad
// bound or metadata condition (shown under its field) is left out
function sessionQuery(query) {
  const params = new URLSearchParams(moreFromAddress(query).address);
  const keep = (name, value) => value && params.set(name, value);
  for (const [name] of TEXT_FILTERS) keep(name, query.get(name));
  keep("has_error", query.get("has_error"));
  if (SORTS[query.get("sort")]) keep("sort", query.get("sort"));
  const range = query.get("range");
  if (RANGE_MS[range]) keep("since", new Date(Date.now() - RANGE_MS[range]).toISOString());
  else if (range === "custom") {
    keep("since", query.get("since"));
    keep("until", query.get("until"));
  }
  return params;
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

function Filters({ query, facets }) {
  const [range, setRange] = useState(query.get("range") || "");
  const [problems, setProblems] = useState(() => moreFromAddress(query).problems);
  // inputs are uncontrolled (defaultValue, selected): a re-render while the list loads keeps what is typed
  const submit = (event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const more = moreFromForm(form);
    if (Object.keys(more.problems).length > 0) return setProblems(more.problems);
    const next = new URLSearchParams();
    for (const [name, value] of form) {
      const text = String(value).trim();
      if (!text || MORE_NAMES.has(name) || (name === "sort" && text === "newest")) continue;
      next.set(name, name === "since" || name === "until" ? new Date(text).toISOString() : text);
    }
    for (const [name, value] of more.address) next.append(name, value);
    // only a pair's first "=" ends its name, so the others need no escape: the address reads meta=env=prod
    const search = next.toString().replaceAll("%3D", "=");
    navigate(`/ui/sessions${search ? `?${search}` : ""}`);
  };
  return html`<form class="filters" onSubmit=${submit} role="search" aria-label="Filter sessions">
    ${TEXT_FILTERS.map(
      ([name, label, hint, facet]) => html`<label class=${name === "q" ? "wide" : ""}>${label}
        <input name=${name} defaultValue=${query.get(name) || ""} type=${name === "q" ? "search" : "text"}
          placeholder=${facets.truncated.includes(facet) ? `top ${facets.limit} suggested` : hint}
          list=${facet && `facet-${name}`} autocomplete=${facet && "off"} />
        ${facet && html`<${Suggestions} id=${`facet-${name}`} values=${facets[facet]} />`}
      </label>`,
    )}
    <label>Time
      <select name="range" onChange=${(e) => setRange(e.currentTarget.value)}>
        ${Object.entries(RANGES).map(([value, label]) => html`<option value=${value} selected=${value === range}>${label}</option>`)}
        <option value="custom" selected=${range === "custom"}>Between…</option>
      </select>
    </label>
    ${range === "custom" &&
    html`<label>From <input name="since" type="datetime-local" defaultValue=${localInput(query.get("since"))} /></label>
      <label>To <input name="until" type="datetime-local" defaultValue=${localInput(query.get("until"))} /></label>`}
    <label>Errors
      <select name="has_error">
        ${Object.entries(ERRORS).map(([value, label]) => html`<option value=${value} selected=${value === (query.get("has_error") || "")}>${label}</option>`)}
      </select>
    </label>
    <label>Order
      <select name="sort">
        ${Object.entries(SORTS).map(([value, label]) => html`<option value=${value} selected=${value === (query.get("sort") || "newest")}>${label}</option>`)}
      </select>
    </label>
    <div class="actions">
      <button type="submit" class="primary">Apply</button>
      <a class="button ghost" href="/ui/sessions">Clear</a>
    </div>
    <${MoreFilters} query=${query} problems=${problems} />
  </form>`;
}

// the row an arrow key, Home or End leads to from `row` (null at either end); undefined for other keys
function rowFor(key, row) {
  const rows = row.parentElement.children;
  if (key === "ArrowDown") return row.nextElementSibling;
  if (key === "ArrowUp") return row.previousElementSibling;
  if (key === "Home") return rows[0];
  if (key === "End") return rows[rows.length - 1];
  return undefined;
}

function SessionRow({ item, inTabOrder, onFocus }) {
  const open = () => {
    lastOpened = item.id;
    navigate(sessionPath(item.id));
  };
  const keys = (event) => {
    if (event.key === "Enter") return open();
    const next = rowFor(event.key, event.currentTarget);
    if (next === undefined) return;
    event.preventDefault();
    if (next) next.focus();
  };
  return html`<tr class=${`row${item.is_error ? " failed" : ""}`} data-id=${item.id} tabindex=${inTabOrder ? 0 : -1}
    onClick=${open} onKeyDown=${keys} onFocus=${onFocus}>
    <td class="nowrap" title=${when(item.start_time)}>${whenShort(item.start_time)}</td>
    <td class="name">
      <a href=${sessionPath(item.id)} tabindex="-1"><${SessionTitle} s=${item} /></a>
      <span class="muted id">${item.id}</span>
    </td>
    <td>${item.tracking_project || ""}</td>
    <td>${item.tracking_tenant || ""}</td>
    <td class="num">${item.end_time ? duration(item.start_time, item.end_time) : html`<span class="muted">open</span>`}</td>
    <td class="num">${count(item.activity_count)}</td>
    <td class="num">${count(item.llm_calls)}</td>
    <td class="num">${count(item.total_tokens)}</td>
    <td class="num">${sessionCost(item)}</td>
    <td class="nowrap">${item.is_error ? html`<span class="badge bad">error</span>` : html`<span class="badge ok">ok</span>`}</td>
  </tr>`;
}

function Empty({ filtered }) {
  if (filtered) return html`<p class="note">No sessions match these filters. <a href="/ui/sessions">Clear filters</a>.</p>`;
  return html`<div class="note">
    <p><strong>No sessions yet.</strong> Trace your LLM app with the SDK and its sessions appear here:</p>
    <pre class="text">pip install promptwatch
export PROMPTWATCH_HOST_URL=${location.origin}
export PROMPTWATCH_API_KEY=…   # Settings → API keys</pre>
    <pre class="text">from promptwatch import PromptWatch

with PromptWatch(tracking_project="my-app"):   # one session
    chain.invoke({"question": "…"})            # LangChain runs are recorded with their LLM calls</pre>
  </div>`;
}

export function SessionList({ where }) {
  const [page, setPage] = useState({ items: [], next: null, loading: true, error: null });
  const [focused, setFocused] = useState(null); // the row in the Tab order: the last focused, or the first
  const [facets, setFacets] = useState(NO_FACETS);
  const table = useRef(null);
  lastListUrl = where.path + where.search;

  // a URLSearchParams of its own, as `api`'s query would join the repeated `meta` into one value
  const load = (cursor) => {
    setPage((old) => ({ ...old, loading: true, error: null }));
    const query = sessionQuery(where.query);
    query.set("limit", PAGE);
    if (cursor) query.set("cursor", cursor);
    return api(`/api/v1/sessions?${query}`);
  };
  useEffect(() => {
    let live = true;
    setPage({ items: [], next: null, loading: true, error: null });
    load(undefined).then(
      (data) => live && setPage({ items: data.items, next: data.next_cursor, loading: false, error: null }),
      (error) => live && setPage({ items: [], next: null, loading: false, error }),
    );
    return () => {
      live = false;
    };
  }, [where.search]);

  useEffect(() => {
    let live = true;
    // suggestions only: without them the filters still take any value typed
    api("/api/v1/session-facets").then((data) => live && setFacets(data), () => {});
    return () => {
      live = false;
    };
  }, []);

  const more = () =>
    load(page.next).then(
      (data) => setPage((old) => ({ items: [...old.items, ...data.items], next: data.next_cursor, loading: false })),
      (error) => setPage((old) => ({ ...old, loading: false, error })),
    );
  const filtered = [...where.query.keys()].length > 0;
  const tabStop = page.items.some((item) => item.id === focused) ? focused : page.items[0] && page.items[0].id;
  useEffect(() => {
    const lost = !document.activeElement || document.activeElement === document.body;
    const rows = lost && table.current ? [...table.current.querySelectorAll("tr.row")] : [];
    const row = rows.find((r) => r.dataset.id === lastOpened);
    if (row) row.focus();
  }, [page.items]);

  return html`<section class="screen">
    <h1>Sessions</h1>
    <${Filters} key=${where.search} query=${where.query} facets=${facets} />
    <${ErrorNote} error=${page.error} />
    ${page.items.length > 0 &&
    html`<div class="scroll"><table class="list" aria-label="Sessions" ref=${table}>
      <thead><tr>
        <th>Start</th><th>Session</th><th>Project</th><th>Tenant</th><th class="num">Duration</th>
        <th class="num">Activities</th><th class="num">LLM calls</th><th class="num">Tokens</th><th class="num">Cost</th><th>Status</th>
      </tr></thead>
      <tbody>${page.items.map((item) => html`<${SessionRow} key=${item.id} item=${item} inTabOrder=${item.id === tabStop}
        onFocus=${() => setFocused(item.id)} />`)}</tbody>
    </table></div>`}
    ${page.loading && html`<${Loading} what="Loading sessions" />`}
    ${!page.loading && !page.error && page.items.length === 0 && html`<${Empty} filtered=${filtered} />`}
    ${page.next && !page.loading && html`<button type="button" class="more" onClick=${more}>Load more</button>`}
  </section>`;
}
