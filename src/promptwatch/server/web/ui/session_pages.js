// A session read a page at a time (?activities_limit=&activities_cursor=), from its detail
// (GET /api/v1/sessions/{id}), a share link (GET /api/v1/shared/{token}) or a support grant
// (GET /api/v1/support/accounts/{id}/sessions/{id}): the session with its first activities, then the next ones
// when asked for — by "Show more" or "Show all", by scrolling near the end of the list, or on the session
// screen by the arrow keys past its last row or to find the activity the address names. Every activity is kept
// once (a copy read again replaces the one held); a tree built from all that has arrived puts a child read
// before or after its parent under it.
import { html, useEffect, useRef, useState } from "./lib.js";
import { api } from "./api.js";
import { count } from "./format.js";
import { ErrorNote } from "./widgets.js";

export const FIRST_PAGE = 200;
export const MORE_PAGE = 500;
export const LARGEST_PAGE = 1000; // the API's largest page: "Show all" and finding an activity read these

const EMPTY = { answer: null, session: null, activities: [], next: null, error: null, busy: false, moreError: null };
const itself = (answer) => answer;

// the activities held, with a page's added in order; one already held is replaced where it stands
function merged(held, page) {
  const at = new Map(held.map((activity, index) => [activity.id, index]));
  const out = held.slice();
  for (const activity of page) {
    if (at.has(activity.id)) out[at.get(activity.id)] = activity;
    else {
      at.set(activity.id, out.length);
      out.push(activity);
    }
  }
  return out;
}

// useSessionPages(path, { auth, unwrap }) → { answer, session, activities, next, error, busy, moreError, more(limit),
// all() }: `path` answers a session and takes the paging parameters; `auth` is the credential sent (null: none,
// the API client's default when left out) and `unwrap(answer)` the session in an answer (the answer itself by
// default; none for a share link of a dataset). `answer` is the first answer whole. `more` reads the next page
// (a promise, settled once it is held; a call while one is read waits for that one).
export function useSessionPages(path, { auth, unwrap = itself } = {}) {
  const [state, setState] = useState(EMPTY);
  const live = useRef({ next: null, reading: null }); // what the requests in flight may change
  const read = (query) => api(path, { query, auth }).then((answer) => [answer, unwrap(answer) || null]);

  useEffect(() => {
    const run = { next: null, reading: null };
    live.current = run;
    setState(EMPTY);
    read({ activities_limit: FIRST_PAGE }).then(
      ([answer, session]) => {
        if (live.current !== run) return;
        run.next = session && session.next_activities_cursor;
        const activities = session ? session.activities : [];
        setState({ ...EMPTY, answer, session, activities, next: run.next });
      },
      (error) => live.current === run && setState({ ...EMPTY, error }),
    );
    return () => {
      live.current = { next: null, reading: null };
    };
  }, [path]);

  const more = (limit = MORE_PAGE) => {
    const run = live.current;
    if (run.reading || !run.next) return run.reading || Promise.resolve();
    setState((old) => ({ ...old, busy: true, moreError: null }));
    run.reading = read({ activities_limit: limit, activities_cursor: run.next })
      .then(
        ([, page]) => {
          if (live.current !== run) return;
          run.next = page.next_activities_cursor;
          const held = (old) => merged(old.activities, page.activities);
          setState((old) => ({ ...old, activities: held(old), next: run.next, busy: false }));
        },
        (error) => live.current === run && setState((old) => ({ ...old, busy: false, moreError: error })),
      )
      .finally(() => {
        run.reading = null;
      });
    return run.reading;
  };

  // every page left, the largest the API gives, each shown as it arrives; stops at an error
  const all = async () => {
    const run = live.current;
    while (live.current === run && run.next) {
      const before = run.next;
      await more(LARGEST_PAGE);
      if (run.next === before) return;
    }
  };
  return { ...state, more, all };
}

// the end of a paged tree or list: how many of the session's activities are shown, "Show more" and "Show all".
// On a wide screen (where the session screen has its detail beside the tree) scrolling near this end reads the
// next page too; not on a narrow one (the detail under the tree must stay reachable), nor while the focus is on
// these buttons (the keyboard asks itself).
// When a button press brings in the last page, the buttons go and take the focus with them: `onDone(id)` gets
// the first activity shown since the press, for the focus to go there.
const SIDE_BY_SIDE = "(min-width: 1001px)"; // app.css: .split has two columns

export function MoreActivities({ pages, onDone }) {
  const { session, activities, next, busy, moreError } = pages;
  const box = useRef(null);
  const clickedAt = useRef(null); // how many activities were shown when a button was pressed
  const wasOpen = useRef(Boolean(next)); // whether the last render had the buttons
  const total = Math.max(session.activity_count || 0, activities.length);

  useEffect(() => {
    // a new observer after every page: it reports at once whether the end is still near the screen
    if (!next || moreError || !box.current || typeof IntersectionObserver === "undefined") return undefined;
    const near = (entries) =>
      entries.some((e) => e.isIntersecting) &&
      matchMedia(SIDE_BY_SIDE).matches &&
      !box.current.contains(document.activeElement) &&
      pages.more();
    const watch = new IntersectionObserver(near, { rootMargin: "0px 0px 600px 0px" });
    watch.observe(box.current);
    return () => watch.disconnect();
  }, [next, moreError, activities.length]);

  useEffect(() => {
    const [was, from] = [wasOpen.current, clickedAt.current];
    wasOpen.current = Boolean(next);
    if (next && !box.current.contains(document.activeElement)) clickedAt.current = null; // the press is over
    if (!was || next || from === null) return;
    clickedAt.current = null;
    const lost = !document.activeElement || document.activeElement === document.body;
    if (lost && activities[from]) onDone(activities[from].id);
  }, [activities.length, next]);

  if (!next && activities.length <= FIRST_PAGE && !moreError) return null;
  const press = (read) => () => {
    clickedAt.current = activities.length;
    read();
  };
  const left = total - activities.length;
  return html`<div class="more-activities" ref=${box}>
    <p class="muted" role="status">
      ${next ? `${count(activities.length)} of ${count(total)}` : `All ${count(activities.length)}`} activities shown
    </p>
    <${ErrorNote} error=${moreError} />
    ${next &&
    html`<div class="actions">
      <button type="button" aria-disabled=${busy} onClick=${press(() => !busy && pages.more())}>
        ${busy ? "Loading…" : moreError ? "Try again" : `Show ${count(Math.max(1, Math.min(MORE_PAGE, left)))} more`}
      </button>
      <button type="button" class="ghost" onClick=${press(() => pages.all())}>Show all</button>
    </div>`}
  </div>`;
}
