// One session: its totals, the activity tree with a timing waterfall (collapsible, arrow keys move, Left
// and Right fold), and the selected activity's detail. The selection is kept in the URL (?activity=).
import { html, useEffect, useMemo, useRef, useState } from "./lib.js";
import { api } from "./api.js";
import { navigate, sessionPath } from "./router.js";
import { count, duration, millis, money, sessionCost, when } from "./format.js";
import { CopyButton, ErrorNote, Facts, Loading, TextBlock } from "./widgets.js";
import { TYPE_LABELS, barOf, buildTree, firstInteresting, label, timeSpan, visibleRows } from "./tree.js";
import { ActivityDetail } from "./activity.js";
import { listUrl } from "./sessions.js";
import { DeleteSession } from "./session_delete.js";
import { ReceiptFacts } from "./receipts.js";
import { ShareSession } from "./shares.js";

function TreeRow({ row, span, selected, collapsed, onSelect, onToggle, onKey }) {
  const a = row.node.activity;
  const hasChildren = row.node.children.length > 0;
  const bar = barOf(a, span);
  const classes = ["tree-row", selected && "selected", a.error && "failed"];
  return html`<div
    role="treeitem"
    class=${classes.filter(Boolean).join(" ")}
    aria-level=${row.depth + 1}
    aria-selected=${selected}
    aria-expanded=${hasChildren ? !collapsed : undefined}
    tabindex=${selected ? 0 : -1}
    data-id=${a.id}
    onClick=${() => onSelect(a.id)}
    onKeyDown=${(event) => onKey(event, row)}
  >
    <span class="tree-label">
      <span class="indent" aria-hidden="true" style=${{ width: `${row.depth * 16}px` }}></span>
      ${hasChildren
        ? html`<button type="button" class="fold" tabindex="-1" aria-label=${collapsed ? "Expand" : "Collapse"}
            onClick=${(event) => { event.stopPropagation(); onToggle(a.id); }}>${collapsed ? "▸" : "▾"}</button>`
        : html`<span class="fold" aria-hidden="true"></span>`}
      <span class=${`type type-${a.activity_type}`}>${TYPE_LABELS[a.activity_type] || a.activity_type}</span>
      <span class="tree-name">${label(a)}</span>
      ${a.error && html`<span class="badge bad">error</span>`}
    </span>
    <span class="lane" aria-hidden="true">
      <span class=${`bar bar-${a.activity_type}${a.end_time ? "" : " open"}`} style=${bar}></span>
    </span>
    <span class="num muted">${a.end_time ? duration(a.start_time, a.end_time) : "open"}</span>
    <span class="num muted">${a.cost === null || a.cost === undefined ? "" : money(a.cost)}</span>
  </div>`;
}

function Tree({ session, selectedId, onSelect }) {
  const { roots, nodes } = useMemo(() => buildTree(session.activities), [session]);
  const span = useMemo(() => timeSpan(session, session.activities), [session]);
  const [collapsed, setCollapsed] = useState(() => new Set());
  const box = useRef(null);
  const rows = visibleRows(roots, collapsed);

  const toggle = (id, fold) => {
    const next = new Set(collapsed);
    if (fold ?? !next.has(id)) next.add(id);
    else next.delete(id);
    setCollapsed(next);
  };
  const focusRow = (id) => {
    onSelect(id);
    requestAnimationFrame(() => {
      const row = box.current && [...box.current.querySelectorAll(".tree-row")].find((r) => r.dataset.id === id);
      if (row) row.focus();
    });
  };
  const onKey = (event, row) => {
    const index = rows.indexOf(row);
    const node = row.node;
    const id = node.activity.id;
    const moves = {
      ArrowDown: () => rows[index + 1] && focusRow(rows[index + 1].node.activity.id),
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
  return html`<div class="tree" role="tree" aria-label="Activities" ref=${box}>
    <div class="tree-head" aria-hidden="true">
      <span>Activity</span><span class="lane-scale"><span>0</span><span>${millis(span.end - span.start)}</span></span>
      <span class="num">Duration</span><span class="num">Cost</span>
    </div>
    ${rows.map(
      (row) => html`<${TreeRow} key=${row.node.activity.id} row=${row} span=${span}
        selected=${row.node.activity.id === selectedId} collapsed=${collapsed.has(row.node.activity.id)}
        onSelect=${onSelect} onToggle=${(id) => toggle(id)} onKey=${onKey} />`,
    )}
    ${nodes.size === 0 && html`<p class="muted">This session has no activities yet.</p>`}
  </div>`;
}

function Summary({ s, onDeleted }) {
  return html`<header class="session-head">
    <div class="head-row"><p><a href=${listUrl()}>← Sessions</a></p>
      <div class="head-actions"><${ShareSession} id=${s.id} /><${DeleteSession} id=${s.id} onDeleted=${onDeleted} /></div>
    </div>
    <h1>${s.session_name || s.id} ${s.is_error && html`<span class="badge bad">error</span>`}</h1>
    <${Facts} items=${[
      ["Session id", html`<span class="id">${s.id}</span> <${CopyButton} text=${s.id} />`],
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
    <p><a href=${listUrl()}>← Sessions</a></p>
    <h1>Session deleted</h1>
    <p>Session <span class="id">${id}</span> and its activities are unreadable from now on; the next cleanup cycle
      removes them from disk. Keep this receipt (it is also under Settings → Data).</p>
    ${receipt ? html`<${ReceiptFacts} receipt=${receipt} />` : html`<p class="muted">The server gave no receipt address.</p>`}
    <p><a class="button primary" href=${listUrl()}>Back to the sessions</a></p>
  </section>`;
}

export function SessionDetail({ id, where }) {
  const [state, setState] = useState({ session: null, error: null });
  const [deleted, setDeleted] = useState(null);
  useEffect(() => {
    let live = true;
    setState({ session: null, error: null });
    setDeleted(null);
    api(`/api/v1/sessions/${encodeURIComponent(id)}`).then(
      (session) => live && setState({ session, error: null }),
      (error) => live && setState({ session: null, error }),
    );
    return () => {
      live = false;
    };
  }, [id]);

  const { session, error } = state;
  if (deleted) return html`<${Deleted} id=${id} receipt=${deleted.receipt} />`;
  if (error) return html`<section class="screen"><p><a href=${listUrl()}>← Sessions</a></p><${ErrorNote} error=${error} /></section>`;
  if (!session) return html`<section class="screen"><${Loading} what="Loading the session" /></section>`;
  const wanted = where.query.get("activity");
  const selected = session.activities.find((a) => a.id === wanted) || firstInteresting(session.activities);
  const select = (activityId) =>
    navigate(`${sessionPath(id)}?activity=${encodeURIComponent(activityId)}`, { replace: true });
  return html`<section class="screen session">
    <${Summary} s=${session} onDeleted=${(receipt) => setDeleted({ receipt })} />
    <div class="split">
      <${Tree} session=${session} selectedId=${selected && selected.id} onSelect=${select} />
      <div class="detail">${selected ? html`<${ActivityDetail} key=${selected.id} a=${selected} />` : null}</div>
    </div>
  </section>`;
}
