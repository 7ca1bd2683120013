// Client-side routing under /ui/: the location as hook state, navigate() with the History API, and clicks
// on same-app links handled without a page load. Filters live in the query string, so views can be shared.
// Each screen shown is counted as a page view (P5): first-party, cookieless, by path only (no query).
import { useEffect, useState } from "./lib.js";
import { currentAuth, request } from "./api.js";

const listeners = new Set();
let countedView = null; // the path and the sign-in of the view counted last

// fire and forget; signed in, with the credential, so that the server leaves out an account that opted out of
// usage statistics (P4). The server keeps only the path's route template.
function countPageView() {
  const auth = currentAuth();
  const view = JSON.stringify([location.pathname, auth && auth.credential, auth && auth.account]);
  if (view === countedView) return;
  countedView = view;
  request("/api/v1/page-views", { method: "POST", body: { path: location.pathname }, auth, accept: "*/*" }).catch(() => {});
}

function snapshot() {
  return { path: location.pathname, search: location.search, query: new URLSearchParams(location.search) };
}

export function navigate(url, { replace = false } = {}) {
  if (url === location.pathname + location.search) return;
  history[replace ? "replaceState" : "pushState"](null, "", url);
  countPageView();
  for (const listener of listeners) listener();
}

export function useLocation() {
  const [where, setWhere] = useState(snapshot);
  useEffect(() => {
    const update = () => setWhere(snapshot());
    listeners.add(update);
    addEventListener("popstate", update);
    return () => {
      listeners.delete(update);
      removeEventListener("popstate", update);
    };
  }, []);
  useEffect(countPageView); // signing in or out, or another account, shows another screen at the same path
  return where;
}

// counts the first page and every later one, including the browser's back and forward
export function countPageViews() {
  countPageView();
  addEventListener("popstate", countPageView);
}

export function handleLinkClicks(root) {
  root.addEventListener("click", (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    const link = event.target.closest("a[href]");
    if (!link || link.target || !link.getAttribute("href").startsWith("/ui/")) return;
    event.preventDefault();
    navigate(link.getAttribute("href"));
  });
}

export const OPERATOR_PATH = "/ui/operator";

// the list a session was last opened from (the sessions or the calls, with their filters): its back link
let returnList = { url: "/ui/sessions", title: "Sessions" };

export function rememberList(url, title) {
  returnList = { url, title };
}

export function listToReturnTo() {
  return returnList;
}

export function sessionPath(id) {
  return `/ui/sessions/${encodeURIComponent(id)}`;
}

// a template's page; names the API cannot route (a "/" in them, or "." and "..") have none
export function templatePath(name) {
  if (name.includes("/") || name === "." || name === "..") return null;
  return `/ui/templates/${encodeURIComponent(name)}`;
}
