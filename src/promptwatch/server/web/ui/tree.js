// The activity tree of a session: nodes linked by parent_activity_id, the visible rows for a set of collapsed
// nodes, and each row's place on the timing waterfall. An activity whose parent is not (yet) read is a root;
// a parent cycle is cut at its member that comes first in the session's order, which becomes a root (the
// server's rule too, store/session_detail.py), so every activity is shown once.
import { preciseMs } from "./format.js";

export const TYPE_LABELS = {
  "llm-prompt": "LLM",
  "parallel-prompt": "Parallel LLM",
  embedding: "Embedding",
  "retrieved-docs": "Retrieval",
  action: "Tool",
  "chain-sequence": "Chain",
  question: "Question",
  answer: "Answer",
  log: "Log",
  span: "Span",
};

export function buildTree(activities) {
  const nodes = new Map();
  activities.forEach((activity, place) => nodes.set(activity.id, { activity, place, children: [], parent: null }));
  for (const node of nodes.values()) node.parent = nodes.get(node.activity.parent_activity_id) || null;
  const settled = new Set(); // nodes known to lead up to a root
  for (const node of nodes.values()) {
    const path = new Set();
    let up = node;
    while (up && !settled.has(up) && !path.has(up)) {
      path.add(up);
      up = up.parent;
    }
    if (up && path.has(up)) {
      // the walk came back to `up`: cut the cycle at its first member
      let first = up;
      for (let member = up.parent; member !== up; member = member.parent) {
        if (member.place < first.place) first = member;
      }
      first.parent = null;
    }
    path.forEach((walked) => settled.add(walked));
  }
  const roots = [];
  for (const node of nodes.values()) (node.parent ? node.parent.children : roots).push(node);
  return { roots, nodes };
}

export function visibleRows(roots, collapsed) {
  const rows = [];
  const visit = (node, depth) => {
    rows.push({ node, depth });
    if (!collapsed.has(node.activity.id)) node.children.forEach((child) => visit(child, depth + 1));
  };
  roots.forEach((root) => visit(root, 0));
  return rows;
}

// a time in ms, or `fallback` when there is none or the browser cannot read it
function msOf(time, fallback) {
  const value = time ? preciseMs(time) : NaN;
  return Number.isFinite(value) ? value : fallback;
}

// the time span [start, end] in ms that the waterfall covers (of any length: millennia too)
export function timeSpan(session, activities) {
  let start = Infinity;
  let end = -Infinity;
  for (const item of [session, ...activities]) {
    for (const time of [item.start_time, item.end_time]) {
      const value = msOf(time, null);
      if (value !== null) [start, end] = [Math.min(start, value), Math.max(end, value)];
    }
  }
  if (start === Infinity) return { start: 0, end: 1 };
  return { start, end: Math.max(start + 1, end) };
}

// left offset and width of an activity's bar, in percent of the span; open activities run to its end
export function barOf(activity, span) {
  const total = span.end - span.start;
  const begin = msOf(activity.start_time, span.start);
  const finish = msOf(activity.end_time, span.end);
  const left = ((begin - span.start) / total) * 100;
  return { left: `${left.toFixed(3)}%`, width: `${Math.max(0.4, ((finish - begin) / total) * 100).toFixed(3)}%` };
}

export function label(activity) {
  if (activity.name) return activity.name;
  if (activity.template_name) return activity.template_name;
  if (activity.model) return activity.model;
  if (activity.documents) return `${activity.documents.length} document${activity.documents.length === 1 ? "" : "s"}`;
  const text = activity.text || (typeof activity.prompt === "string" ? activity.prompt : "");
  return text ? text.slice(0, 80) : TYPE_LABELS[activity.activity_type] || activity.activity_type;
}

export function firstInteresting(activities) {
  return (
    activities.find((a) => a.error) || activities.find((a) => a.activity_type === "llm-prompt") || activities[0] || null
  );
}
