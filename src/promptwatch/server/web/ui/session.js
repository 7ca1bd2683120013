// One session: its totals, the activity tree with a timing waterfall (collapsible, arrow keys move, Left
// and Right fold), and the selected activity's detail. The selection is kept in the URL (?activity=). A
// session opened from the list with the keyboard has the focus on its selected activity. A large session's
// activities arrive a page at a time (session_pages.js): the first ones at once, the rest on demand.
import { Component, html, useEffect, useMemo, useRef, useState } from "./lib.js";
import { currentAuth, saveAuth } from "./api.js";
import { listToReturnTo, navigate, sessionPath } from "./router.js";
import { count, duration, millis, money, sessionCost, when } from "./format.js";
import { CopyButton, ErrorNote, Facts, Loading, TextBlock } from "./widgets.js";
import { TYPE_LABELS, barOf, buildTree, firstInteresting, label, timeSpan, visibleRows } from "./tree.js";
import { ActivityDetail } from "./activity.js";
import { DeleteSession } from "./session_delete.js";
import { ReceiptFacts } from "./receipts.js";
import { ShareSession } from "./shares.js";
import { LARGEST_PAGE, MoreActivities, useSessionPages } from "./session_pages.js";
import { can } from "./permissions.js";
import { SessionTitle } from "./session_title.js";
import { FailedActivities } from "./sessions.js";

const known = (value) => value !== null && value !== undefined;

// an LLM call without a known cost reads "–" in the cost column; other activities have none. `on` holds the
// tree's current handlers (select, toggle, key), so a row needs no new props when they change.
function TreeRow({ a, hasChildren, depth, span, selected, collapsed, on }) {
  const bar = barOf(a, span);
  const classes = ["tree-row", selected && "selected", a.error && "failed"];
  return html`<div
    role="treeitem"
    class=${classes.filter(Boolean).join(" ")}
    aria-level=${depth + 1}
    aria-selected=${selected}
    aria-expanded=${hasChildren ? !collapsed : undefined}
    tabindex=${selected ? 0 : -1}
    data-id=${a.id}
    onClick=${() => on.current.select(a.id)}
    onKeyDown=${(event) => on.current.key(event, a.id)}
  >
    <span class="tree-label">
      <span class="indent" aria-hidden="true" style=${{ width: `${depth * 16}px` }}></span>
      ${hasChildren
        ? html`<button type="button" class="fold" tabindex="-1" aria-label=${collapsed ? "Expand" : "Collapse"}
            onClick=${(event) => { event.stopPropagation(); on.current.toggle(a.id); }}>${collapsed ? "▸" : "▾"}</button>`
        : html`<span class="fold" aria-hidden="true"></span>`}
      <span class=${`type type-${a.activity_type}`}>${TYPE_LABELS[a.activity_type] || a.activity_type}</span>
      <span class="tree-name">${label(a)}</span>
      ${a.error && html`<span class="badge bad">error</span>`}
    </span>
    <span class="lane" aria-hidden="true">
      <span class=${`bar bar-${a.activity_type}${a.end_time ? "" : " open"}`} style=${bar}></span>
    </span>
    <span class="num muted">${a.end_time ? duration(a.start_time, a.end_time) : "open"}</span>
    <span class="num muted">${known(a.cost) || a.activity_type === "llm-prompt" ? money(a.cost) : ""}</span>
  </div>`;
}

// a row re-renders only when what it shows changes, so walking a session of thousands of activities with the
// arrow keys redraws two rows, not the whole tree, and a page of activities arriving draws only its own rows
// (and those of parents that get their first child)
class PureTreeRow extends Component {
  shouldComponentUpdate(next) {
    const shown = ["a", "hasChildren", "depth", "span", "selected", "collapsed"];
    return shown.some((name) => next[name] !== this.props[name]);
  }

  render(props) {
    return html`<${TreeRow} ...${props} />`;
  }
}

// the same span object while its ends stay put, so that rows need not redraw when a page arrives
function useSpan(session, activities) {
  const held = useRef(null);
  const span = useMemo(() => timeSpan(session, activities), [session, activities]);
  if (!held.current || held.current.start !== span.start || held.current.end !== span.end) held.current = span;
  return held.current;
}

// the focus to an activity's row once it is drawn, or to the selected one when that row is folded away
function focusActivityRow(id) {
  requestAnimationFrame(() => {
    const rows = [...document.querySelectorAll(".tree .tree-row")];
    const row = rows.find((r) => r.dataset.id === id) || rows.find((r) => r.getAttribute("aria-selected") === "true");
    if (row) row.focus();
  });
}

// `pages` (useSessionPages) holds the activities read so far; the arrow keys past the last row read the next page
function Tree({ session, pages, selectedId, onSelect }) {
  const { activities } = pages;
  const { roots, nodes } = useMemo(() => buildTree(activities), [activities]);
  const span = useSpan(session, activities);
  const [collapsed, setCollapsed] = useState(() => new Set());
  const box = useRef(null);
  const on = useRef(null); // the handlers of this render, for rows that do not re-render
  const past = useRef(null); // the row whose next one is awaited from the next page
  const rows = visibleRows(roots, collapsed);
  useEffect(() => {
    // the row that opened this session is gone: the focus goes to the selected activity, not back to the top
    const lost = !document.activeElement || document.activeElement === document.body;
    const row = lost && box.current && box.current.querySelector(".tree-row[aria-selected=true]");
    if (row) row.focus();
  }, []);

  const toggle = (id, fold) => {
    const next = new Set(collapsed);
    if (fold ?? !next.has(id)) next.add(id);
    else next.delete(id);
    setCollapsed(next);
  };
  const focusRow = (id) => {
    onSelect(id);
    focusActivityRow(id);
  };
  useEffect(() => {
    // the page the arrow key asked for is in: on to the row after, if the focus is still where the key left it
    const id = past.current;
    if (id === null || pages.busy) return;
    past.current = null;
    const from = rows.findIndex((row) => row.node.activity.id === id);
    const still = from >= 0 && document.activeElement && document.activeElement.dataset.id === id;
    if (still && rows[from + 1]) focusRow(rows[from + 1].node.activity.id);
  }, [activities, pages.busy]);
  const down = (index, id) => {
    if (rows[index + 1]) focusRow(rows[index + 1].node.activity.id);
    else if (pages.next) {
      past.current = id;
      pages.more();
    }
  };
  const onKey = (event, id) => {
    const index = rows.findIndex((row) => row.node.activity.id === id);
    const node = nodes.get(id);
    if (index < 0 || !node) return;
    const moves = {
      ArrowDown: () => down(index, id),
      ArrowUp: () => rows[index - 1] && focusRow(rows[index - 1].node.activity.id),
      Home: () => focusRow(rows[0].node.activity.id),
      End: () => focusRow(rows[rows.length - 1].node.activity.id),
      ArrowRight: () => node.children.length && toggle(id, false),
      ArrowLeft: () =>
        node.children.length && !collapsed.has(id) ? toggle(id, true) : node.parent && focusRow(node.parent.activity.id),
      Enter: () => onSelect(id),
      " ": () => onSelect(id),
    };
    if (moves[event.key]) {
      event.preventDefault();
      moves[event.key]();
    }
  };
  on.current = { select: onSelect, toggle: (id) => toggle(id), key: onKey };
  return html`<div class="tree" role="tree" aria-label="Activities" ref=${box}>
    <div class="tree-head" aria-hidden="true">
      <span>Activity</span><span class="lane-scale"><span>0</span><span>${millis(span.end - span.start)}</span></span>
      <span class="num">Duration</span><span class="num">Cost</span>
    </div>
    ${rows.map(
      (row) => html`<${PureTreeRow} key=${row.node.activity.id} a=${row.node.activity}
        hasChildren=${row.node.children.length > 0} depth=${row.depth} span=${span}
        selected=${row.node.activity.id === selectedId} collapsed=${collapsed.has(row.node.activity.id)} on=${on} />`,
    )}
  </div>`;
}

function BackToList() {
  const { url, title } = listToReturnTo();
  return html`<p><a href=${url}>← ${title}</a></p>`;
}

function Summary({ s, me, onDeleted }) {
  return html`<header class="session-head">
    <div class="head-row"><${BackToList} />
      <div class="head-actions">${can(me, "share") && html`<${ShareSession} id=${s.id} />`}
        ${can(me, "deleteSession") && html`<${DeleteSession} id=${s.id} onDeleted=${onDeleted} />`}</div>
    </div>
    <h1><${SessionTitle} s=${s} /> ${s.is_error && html`<span class="badge bad">error</span>`} <${FailedActivities} s=${s} /></h1>
    <${Facts} items=${[
      ["Session id", html`<span class="id">${s.id}</span> <${CopyButton} text=${s.id} what="session id" />`],
      ["Project", s.tracking_project],
      ["Tenant", s.tracking_tenant],
      ["Started", when(s.start_time)],
      ["Duration", s.end_time ? duration(s.start_time, s.end_time) : "still open"],
      ["Activities", count(s.activity_count)],
      ["LLM calls", count(s.llm_calls)],
      ["Tokens", `${count(s.total_tokens)} (${count(s.prompt_tokens)} in, ${count(s.completion_tokens)} out)`],
      ["Cost", sessionCost(s)],
      ["Tags", s.tags && s.tags.length ? s.tags.join(", ") : null],
    ]} />
    <${TextBlock} title="Metadata" text=${s.metadata} />
  </header>`;
}

function Deleted({ id, receipt }) {
  return html`<section class="screen deleted" aria-label="Deletion receipt">
    <${BackToList} />
    <h1>Session deleted</h1>
    <p>Session <span class="id">${id}</span> and its activities are unreadable from now on; the next cleanup cycle
      removes them from disk. Keep this receipt (it is also under Settings → Data).</p>
    ${receipt ? html`<${ReceiptFacts} receipt=${receipt} />` : html`<p class="muted">The server gave no receipt address.</p>`}
    <p><a class="button primary" href=${listToReturnTo().url}>Back to the ${listToReturnTo().title.toLowerCase()}</a></p>
  </section>`;
}

// a session not found in the chosen account may be in another of the caller's (a link from a teammate): a
// button per other account opens this same address there
function NotHere({ error, me }) {
  if (!error || error.status !== 404 || !me || !me.account || (me.accounts || []).length < 2) return null;
  const openIn = (account) => {
    saveAuth({ ...currentAuth(), account });
    location.reload();
  };
  const others = me.accounts.filter((a) => a.account_id !== me.account.id);
  return html`<div class="note not-here">
    <p>This session is not in the account <strong>${me.account.name}</strong>. Look for it in:</p>
    ${others.map((a) => html`<button type="button" onClick=${() => openIn(a.account_id)}>${a.name}</button>`)}
  </div>`;
}

export function SessionDetail({ id, where, me }) {
  const pages = useSessionPages(`/api/v1/sessions/${encodeURIComponent(id)}`);
  const [deleted, setDeleted] = useState(null);
  useEffect(() => setDeleted(null), [id]);
  const { session, activities, error } = pages;
  const wanted = where.query.get("activity");
  const found = wanted ? activities.find((a) => a.id === wanted) : null;
  const seeking = Boolean(wanted && !found && (pages.next || pages.busy) && !pages.moreError);
  useEffect(() => {
    // the address names an activity not read yet: read on, the largest pages, until it is in
    if (seeking && !pages.busy) pages.more(LARGEST_PAGE);
  }, [seeking, pages.busy, activities]);
  // without an activity in the address, the first page's chosen one stays chosen as further pages arrive
  const fallback = useMemo(() => session && firstInteresting(session.activities), [session]);

  if (deleted) return html`<${Deleted} id=${id} receipt=${deleted.receipt} />`;
  if (error) {
    return html`<section class="screen"><${BackToList} /><${ErrorNote} error=${error} />
      <${NotHere} error=${error} me=${me} /></section>`;
  }
  if (!session) return html`<section class="screen"><${Loading} what="Loading the session" /></section>`;
  const chosen = fallback && activities.find((a) => a.id === fallback.id);
  const selected = seeking ? null : found || chosen || firstInteresting(activities);
  const select = (activityId) =>
    navigate(`${sessionPath(id)}?activity=${encodeURIComponent(activityId)}`, { replace: true });
  const selectAndFocus = (activityId) => {
    select(activityId);
    focusActivityRow(activityId);
  };
  const summary = html`<${Summary} s=${session} me=${me} onDeleted=${(receipt) => setDeleted({ receipt })} />`;
  if (activities.length === 0) {
    return html`<section class="screen session">
      ${summary}<p class="note">This session has no activities yet.</p>
    </section>`;
  }
  return html`<section class="screen session">
    ${summary}
    <div class="split">
      <div class="tree-pane">
        <${Tree} session=${session} pages=${pages} selectedId=${selected && selected.id} onSelect=${select} />
        <${MoreActivities} pages=${pages} onDone=${selectAndFocus} />
      </div>
      <div class="detail">
        ${selected && html`<${ActivityDetail} key=${selected.id} a=${selected} me=${me} />`}
        ${seeking && html`<${Loading} what="Finding the activity" />`}
      </div>
    </div>
  </section>`;
}
