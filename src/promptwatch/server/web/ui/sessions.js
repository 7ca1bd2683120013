// The sessions list: server-side filters kept in the URL's query string (so a view can be shared), the
// account's projects, tenants, templates and models suggested in their filters (list_filters.js),
// cost, duration, token and metadata filters under "More filters" (session_filters.js),
// one list request for the first screen, cursor paging with "Load more", and rows that open with Enter or a click
// and move with the arrow keys (list_table.js); the heading says how many sessions match, up to the API's cap.
// A session's status is its own outcome; a badge beside it counts its failed activities, as a session may go on
// after a failed call.
import { html, useState } from "./lib.js";
import { api } from "./api.js";
import { navigate, rememberList, sessionPath } from "./router.js";
import { count, duration, sessionCost, when, whenShort } from "./format.js";
import { SessionTitle } from "./session_title.js";
import { MORE_NAMES, MoreFilters, moreFromAddress, moreFromForm } from "./session_filters.js";
import { Choice, FilterActions, RANGE_MS, TextFilters, TimeRange, addRange, addressOf, useFacets } from "./list_filters.js";
import { PagedTable, usePages } from "./list_table.js";

// [query name, label, placeholder, the list of GET /api/v1/session-facets that suggests its values]
const TEXT_FILTERS = [
  ["q", "Text search", "words in prompts, outputs, documents, errors"],
  ["project", "Project", "", "projects"],
  ["tenant", "Tenant", "", "tenants"],
  ["template", "Template", "", "templates"],
  ["model", "Model", "", "models"],
  ["tag", "Tag", ""],
];
const ERRORS = { "": "All sessions", true: "With errors", false: "Without errors" };
const FAILED_CALLS = { "": "All sessions", true: "With failed calls", false: "Without failed calls" };
// the sessions holding a call given this feedback, as the calls list (calls.js) names it
const FEEDBACK = {
  "": "All sessions",
  up: "With a good call (thumbs up)",
  down: "With a bad call (thumbs down)",
  any: "With any feedback",
};
const SORTS = { newest: "Newest first", oldest: "Oldest first", cost: "Most expensive", tokens: "Most tokens" };
const PAGE = 50;
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
  keep("has_failed_activities", query.get("has_failed_activities"));
  keep("feedback", query.get("feedback"));
  if (SORTS[query.get("sort")]) keep("sort", query.get("sort"));
  addRange(query, params);
  return params;
}

function Filters({ query, facets }) {
  const [problems, setProblems] = useState(() => moreFromAddress(query).problems);
  const submit = (event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const more = moreFromForm(form);
    if (Object.keys(more.problems).length > 0) return setProblems(more.problems);
    const skip = (name, text) => MORE_NAMES.has(name) || (name === "sort" && text === "newest");
    navigate(addressOf("/ui/sessions", form, { skip, extra: more.address }));
  };
  return html`<form class="filters" onSubmit=${submit} role="search" aria-label="Filter sessions">
    <${TextFilters} filters=${TEXT_FILTERS} query=${query} facets=${facets} />
    <${TimeRange} query=${query} />
    <${Choice} name="has_error" label="Errors" choices=${ERRORS} value=${query.get("has_error") || ""} />
    <${Choice} name="has_failed_activities" label="Failed calls" choices=${FAILED_CALLS}
      value=${query.get("has_failed_activities") || ""} />
    <${Choice} name="feedback" label="Feedback" choices=${FEEDBACK} value=${query.get("feedback") || ""} />
    <${Choice} name="sort" label="Order" choices=${SORTS} value=${query.get("sort") || "newest"} />
    <${FilterActions} clear="/ui/sessions" />
    <${MoreFilters} query=${query} problems=${problems} />
  </form>`;
}

// how many of the session's activities failed (LLM calls, tools, retrievals…), whatever its own outcome; nothing
// when none did
export function FailedActivities({ s }) {
  const failed = s.failed_activities || 0;
  if (!failed) return null;
  const title = `${count(failed)} of this session's activities ended with an error. The status beside it is the `
    + "session's own outcome, as its app reported it: a session can go on after a failed call.";
  return html`<span class="badge warn" title=${title}>${count(failed)} failed ${failed === 1 ? "call" : "calls"}</span>`;
}

// how many sessions the filters match ("1,204 sessions"), "10,000+ sessions" beyond the API's cap, once the
// first page has told
function Total({ pages }) {
  const { total, totalCapped } = pages;
  if (total === null || total === undefined) return null;
  const shown = `${count(total)}${totalCapped ? "+" : ""} ${total === 1 && !totalCapped ? "session" : "sessions"}`;
  return html`<span class="muted small total">${shown}</span>`;
}

// a session's cells in the list
function sessionRow(item) {
  const status = item.is_error ? html`<span class="badge bad">error</span>` : html`<span class="badge ok">ok</span>`;
  const cells = html`<td class="nowrap" title=${when(item.start_time)}>${whenShort(item.start_time)}</td>
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
    <td class="nowrap">${status} <${FailedActivities} s=${item} /></td>`;
  return { to: sessionPath(item.id), failed: item.is_error, cells };
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
  const facets = useFacets();
  rememberList(where.path + where.search, "Sessions");
  // a URLSearchParams of its own, as `api`'s query would join the repeated `meta` into one value
  const read = (cursor) => {
    const query = sessionQuery(where.query);
    query.set("limit", PAGE);
    if (cursor) query.set("cursor", cursor);
    else query.set("include_total", "true");
    return api(`/api/v1/sessions?${query}`);
  };
  const pages = usePages(read, where.search);
  const filtered = [...where.query.keys()].length > 0;
  return html`<section class="screen">
    <h1>Sessions <${Total} pages=${pages} /></h1>
    <${Filters} key=${where.search} query=${where.query} facets=${facets} />
    <${PagedTable} label="Sessions" pages=${pages} row=${sessionRow} loading="sessions" empty=${html`<${Empty} filtered=${filtered} />`}
      head=${html`<th>Start</th><th>Session</th><th>Project</th><th>Tenant</th><th class="num">Duration</th>
        <th class="num">Activities</th><th class="num">LLM calls</th><th class="num">Tokens</th><th class="num">Cost</th><th>Status</th>`} />
  </section>`;
}
