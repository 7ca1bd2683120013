// The calls list: the LLM calls of every session, newest first (GET /api/v1/activities), or activities of any
// other type or of all types. Filters by project, tenant, model, template (suggested as in the sessions list),
// errors, feedback and time are kept in the address under the API's names; "Load more" pages with the cursor,
// and a row opens its session with that activity selected (`?activity=`).
import { html } from "./lib.js";
import { api } from "./api.js";
import { navigate, rememberList, sessionPath } from "./router.js";
import { count, duration, money, when, whenShort } from "./format.js";
import { TYPE_LABELS, label } from "./tree.js";
import { Choice, FilterActions, TextFilters, TimeRange, addRange, addressOf, rangeWords, useFacets } from "./list_filters.js";
import { PagedTable, usePages } from "./list_table.js";

const LLM = "llm-prompt";
// as TextFilters (list_filters.js) takes them: [query name, label, placeholder, the facet that suggests values]
const TEXT_FILTERS = [
  ["project", "Project", "", "projects"],
  ["tenant", "Tenant", "", "tenants"],
  ["model", "Model", "", "models"],
  ["template", "Template", "", "templates"],
];
// "" (the address without activity_type) is the LLM calls; "all" sends no type
const TYPES = { "": "LLM calls", all: "All types" };
for (const [type, name] of Object.entries(TYPE_LABELS)) if (type !== LLM) TYPES[type] = name;
const ERRORS = { "": "All", true: "Failed", false: "Succeeded" };
const FEEDBACK = { "": "Any", up: "Good (thumbs up)", down: "Bad (thumbs down)" };
// a label as the annotation shows it (annotation.js): 1 thumbs up, 0 thumbs down
const THUMBS = { 1: ["▲", "Good", "ok"], 0: ["▼", "Bad", "bad"] };
const PAGE = 50;

const typeOf = (query) => query.get("activity_type") || LLM;
const known = (value) => value !== null && value !== undefined;

// the API's query for the address's filters; a value the API refuses (has_error=maybe) is sent as it is, so
// that its 422 says what is wrong
function callQuery(query) {
  const params = new URLSearchParams();
  const keep = (name, value) => value && params.set(name, value);
  if (typeOf(query) !== "all") params.set("activity_type", typeOf(query));
  for (const name of ["project", "tenant", "model", "template", "has_error", "feedback"]) keep(name, query.get(name));
  addRange(query, params);
  return params;
}

function Filters({ query, facets }) {
  const submit = (event) => {
    event.preventDefault();
    navigate(addressOf("/ui/calls", new FormData(event.currentTarget)));
  };
  const type = typeOf(query);
  return html`<form class="filters" onSubmit=${submit} role="search" aria-label="Filter calls">
    <${Choice} name="activity_type" label="Type" choices=${TYPES} value=${type === LLM ? "" : type} />
    <${TextFilters} filters=${TEXT_FILTERS} query=${query} facets=${facets} />
    <${TimeRange} query=${query} />
    <${Choice} name="has_error" label="Errors" choices=${ERRORS} value=${query.get("has_error") || ""} />
    <${Choice} name="feedback" label="Feedback" choices=${FEEDBACK} value=${query.get("feedback") || ""} />
    <${FilterActions} clear="/ui/calls" />
  </form>`;
}

// "1,200 → 180": the prompt and completion tokens, read out as "in" and "out"; "–" for a call without them
function Tokens({ a }) {
  const { prompt_tokens: input, completion_tokens: output, counted } = a.usage || {};
  if (!known(input) && !known(output)) return a.activity_type === LLM ? count(null) : "";
  const read = html`${count(input)}<span class="sr-only"> in,</span> <span aria-hidden="true">→</span> ${count(output)}`;
  return html`<span title=${counted ? "counted offline" : undefined}>${read}<span class="sr-only"> out</span></span>`;
}

// a call without a cost reads "–", and says why when it has tokens (its model has no price); other activities
// have none to show
function Cost({ a }) {
  if (known(a.cost)) return money(a.cost);
  if (a.activity_type !== LLM) return "";
  const tokens = a.usage && (known(a.usage.prompt_tokens) || known(a.usage.completion_tokens));
  return html`<span title=${tokens ? "unpriced: no price for this model" : undefined}>${money(null)}</span>`;
}

// thumbs up or down as a badge, another label as its number, then the rating if there is one
function Feedback({ a }) {
  const [sign, word, tone] = THUMBS[a.feedback_label] || [];
  const given = word
    ? html`<span class=${`badge ${tone}`}><span aria-hidden="true">${sign} </span>${word}</span>`
    : known(a.feedback_label) && `label ${a.feedback_label}`;
  return html`${given}${known(a.feedback_rating) && html`<span class="muted small"> rated ${a.feedback_rating}</span>`}`;
}

// the cells of one activity; `allTypes` adds its type and name
function callRow(a, allTypes) {
  const to = `${sessionPath(a.session_id)}?activity=${encodeURIComponent(a.id)}`;
  const type = html`<span class=${`type type-${a.activity_type}`}>${TYPE_LABELS[a.activity_type] || a.activity_type}</span>`;
  const cells = html`<td class="nowrap start" title=${when(a.start_time)}><a href=${to} tabindex="-1">${whenShort(a.start_time)}</a></td>
    ${allTypes && html`<td>${type} ${label(a)}</td>`}
    <td class="nowrap" title=${a.provider || undefined}>${a.model || ""}</td>
    <td>${a.template_name || ""}${a.template_version && html` <span class="muted">v${a.template_version}</span>`}</td>
    <td class="num"><${Tokens} a=${a} /></td>
    <td class="num"><${Cost} a=${a} /></td>
    <td class="num">${a.end_time ? duration(a.start_time, a.end_time) : html`<span class="muted">open</span>`}</td>
    <td class="nowrap"><${Feedback} a=${a} /></td>
    <td>${a.tracking_project || ""}</td>
    <td>${a.tracking_tenant || ""}</td>
    <td>${a.error && html`<span class="text-clip call-error" title=${a.error}>${a.error}</span>`}</td>`;
  return { to, failed: Boolean(a.error), cells };
}

// what the filters asked for, in words: "LLM calls of model “gpt-4o”, that failed, in the last 24 hours"
function asked(query) {
  const type = typeOf(query);
  const what = type === LLM ? "LLM calls" : type === "all" ? "activities" : `${TYPES[type] || type} activities`;
  const quoted = (name, words) => query.get(name) && `${words} “${query.get(name)}”`;
  const parts = [
    quoted("project", "in project"),
    quoted("tenant", "of tenant"),
    quoted("model", "of model"),
    quoted("template", "of template"),
    { true: "that failed", false: "that succeeded" }[query.get("has_error")],
    { up: "marked thumbs up", down: "marked thumbs down" }[query.get("feedback")],
    rangeWords(query),
  ].filter(Boolean);
  return { what, parts };
}

function Empty({ query }) {
  const { what, parts } = asked(query);
  if (parts.length > 0) {
    return html`<p class="note">No ${what} ${parts.join(", ")}. <a href="/ui/calls">Clear filters</a>.</p>`;
  }
  return html`<p class="note">No ${what} yet. The ${what} of the sessions traced with the SDK appear here, newest
    first; <a href="/ui/sessions">Sessions</a> shows how to trace an app.</p>`;
}

export function CallList({ where }) {
  const facets = useFacets();
  rememberList(where.path + where.search, "Calls");
  const read = (cursor) => {
    const query = callQuery(where.query);
    query.set("limit", PAGE);
    if (cursor) query.set("cursor", cursor);
    return api(`/api/v1/activities?${query}`);
  };
  const pages = usePages(read, where.search);
  const allTypes = typeOf(where.query) !== LLM;
  return html`<section class="screen calls">
    <h1>Calls</h1>
    <${Filters} key=${where.search} query=${where.query} facets=${facets} />
    <${PagedTable} label="Calls" pages=${pages} row=${(a) => callRow(a, allTypes)} loading="calls"
      empty=${html`<${Empty} query=${where.query} />`}
      head=${html`<th>Start</th>${allTypes && html`<th>Activity</th>`}<th>Model</th><th>Template</th>
        <th class="num">Tokens <span class="muted">in → out</span></th><th class="num">Cost</th><th class="num">Duration</th>
        <th>Feedback</th><th>Project</th><th>Tenant</th><th>Error</th>`} />
  </section>`;
}
