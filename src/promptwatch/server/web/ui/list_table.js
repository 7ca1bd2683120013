// A list read a page at a time from an API that answers `{items, next_cursor}` (the sessions, the calls): the
// first page for the address's filters, "Load more" with the cursor, and a table whose rows open with Enter or
// a click. The rows are one stop in the Tab order (the arrow keys, Home and End move between them); back from
// what a row opened, the focus is on that row again.
import { html, useEffect, useRef, useState } from "./lib.js";
import { navigate } from "./router.js";
import { ErrorNote, Loading } from "./widgets.js";

const FIRST = { items: [], next: null, total: null, totalCapped: false, loading: true, error: null };
const opened = new Map(); // per list (by its label), the row last opened, which gets the focus back

// usePages(read, key) → { items, next, total, totalCapped, loading, error, more() }: `read(cursor)` answers a
// page (the first for an undefined cursor), whose `total` and `total_capped` the first page may carry (null and
// false when it does not); a new `key` (the address's filters) reads the first page again
export function usePages(read, key) {
  const [page, setPage] = useState(FIRST);
  const shown = useRef(key); // the filters of the list on screen: a later page of other filters is dropped
  useEffect(() => {
    let live = true;
    shown.current = key;
    setPage(FIRST);
    read(undefined).then(
      (data) => live && setPage({
        items: data.items, next: data.next_cursor, total: data.total ?? null, totalCapped: Boolean(data.total_capped),
        loading: false, error: null,
      }),
      (error) => live && setPage({ items: [], next: null, loading: false, error }),
    );
    return () => {
      live = false;
    };
  }, [key]);
  const more = () => {
    const asked = key;
    const still = (update) => (result) => shown.current === asked && setPage((old) => update(old, result));
    setPage((old) => ({ ...old, loading: true, error: null }));
    read(page.next).then(
      still((old, data) => ({ ...old, items: [...old.items, ...data.items], next: data.next_cursor, loading: false, error: null })),
      still((old, error) => ({ ...old, loading: false, error })),
    );
  };
  return { ...page, more };
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

function Row({ list, id, to, failed, inTabOrder, onFocus, children }) {
  const open = () => {
    opened.set(list, id);
    navigate(to);
  };
  const keys = (event) => {
    if (event.key === "Enter") return open();
    const next = rowFor(event.key, event.currentTarget);
    if (next === undefined) return;
    event.preventDefault();
    if (next) next.focus();
  };
  return html`<tr class=${`row${failed ? " failed" : ""}`} data-id=${id} tabindex=${inTabOrder ? 0 : -1}
    onClick=${open} onKeyDown=${keys} onFocus=${onFocus}>${children}</tr>`;
}

// `pages` (usePages) as a table named `label` with the header cells `head`; `row(item)` → { to: the address
// the row opens, failed, cells }. Under it: "Loading `loading`…", `empty` when the list is, and "Load more".
export function PagedTable({ label, pages, head, row, loading, empty }) {
  const [focused, setFocused] = useState(null); // the row in the Tab order: the last focused, or the first
  const table = useRef(null);
  const { items } = pages;
  const tabStop = items.some((item) => item.id === focused) ? focused : items[0] && items[0].id;
  useEffect(() => {
    const lost = !document.activeElement || document.activeElement === document.body;
    const rows = lost && table.current ? [...table.current.querySelectorAll("tr.row")] : [];
    const back = rows.find((r) => r.dataset.id === opened.get(label));
    if (back) back.focus();
  }, [items]);
  const rowOf = (item) => {
    const { to, failed, cells } = row(item);
    return html`<${Row} key=${item.id} list=${label} id=${item.id} to=${to} failed=${failed}
      inTabOrder=${item.id === tabStop} onFocus=${() => setFocused(item.id)}>${cells}<//>`;
  };
  return html`<${ErrorNote} error=${pages.error} />
    ${items.length > 0 &&
    html`<div class="scroll"><table class="list" aria-label=${label} ref=${table}>
      <thead><tr>${head}</tr></thead>
      <tbody>${items.map(rowOf)}</tbody>
    </table></div>`}
    ${pages.loading && html`<${Loading} what=${`Loading ${loading}`} />`}
    ${!pages.loading && !pages.error && items.length === 0 && empty}
    ${pages.next && !pages.loading && html`<button type="button" class="more" onClick=${pages.more}>Load more</button>`}`;
}
