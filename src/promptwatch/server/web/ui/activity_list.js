// A session's activities read-only, as text, in tree order and a page at a time (session_pages.js): the share
// link's page and the support view show the activities read so far, each with its type and name and then
// whatever `Body` shows of it, indented by its depth, and "Show more" / "Show all" under them.
import { html, useMemo, useRef } from "./lib.js";
import { TYPE_LABELS, buildTree, label, visibleRows } from "./tree.js";
import { MoreActivities } from "./session_pages.js";

// the focus to an activity once it is drawn (the buttons it came by are gone)
function focusActivity(box, id) {
  requestAnimationFrame(() => {
    const found = box && [...box.querySelectorAll(".shared-activity")].find((item) => item.dataset.id === id);
    if (found) found.focus();
  });
}

export function ActivityList({ pages, Body }) {
  const rows = useMemo(() => visibleRows(buildTree(pages.activities).roots, new Set()), [pages.activities]);
  const box = useRef(null);
  return html`<section class="shared-activities" aria-label="Activities" ref=${box}>
      ${rows.map(({ node: { activity: a }, depth }) => html`<article class="shared-activity" key=${a.id} data-id=${a.id}
        tabindex="-1" aria-label=${label(a)} style=${{ marginLeft: `${depth * 20}px` }}>
        <header class="activity-head">
          <span class=${`type type-${a.activity_type}`}>${TYPE_LABELS[a.activity_type] || a.activity_type}</span>
          <h3>${label(a)}</h3>
        </header>
        <${Body} a=${a} />
      </article>`)}
      ${rows.length === 0 && html`<p class="muted">This session has no activities.</p>`}
    </section>
    <${MoreActivities} pages=${pages} onDone=${(id) => focusActivity(box.current, id)} />`;
}
