// The entry module: restores the sign-in from sessionStorage (or shows the sign-in screen), draws the shell
// (navigation, account switcher, theme toggle, sign out, policy-change banner) and picks the screen for the
// current /ui/ path; the public pages (sign-up, waitlist, mailed links, policy texts, a share link) need no sign-in.
// Only the sessions list comes with the first page; every other screen's modules load when it is first shown.
import { html, render, useEffect, useRef, useState } from "./lib.js";
import { api, clearAuth, currentAuth, onSignedOut, saveAuth } from "./api.js";
import { OPERATOR_PATH, countPageViews, handleLinkClicks, navigate, useLocation } from "./router.js";
import { toggleTheme, useTheme } from "./theme.js";
import { SignIn } from "./login.js";
import { SessionList } from "./sessions.js";
import { lazy } from "./widgets.js";
import { publicPage } from "./public.js";
import { PolicyBanner } from "./policies.js";

const SessionDetail = lazy(() => import("./session.js").then((m) => m.SessionDetail));
const TemplateDetail = lazy(() => import("./template.js").then((m) => m.TemplateDetail));
const TestRunDetail = lazy(() => import("./tests.js").then((m) => m.TestRunDetail));
const DatasetDetail = lazy(() => import("./datasets.js").then((m) => m.DatasetDetail));
const InvoiceDetail = lazy(() => import("./invoices.js").then((m) => m.InvoiceDetail));
const SharedSession = lazy(() => import("./shared.js").then((m) => m.SharedSession));

const SCREENS = [
  { path: "/ui/sessions", title: "Sessions", view: SessionList },
  { path: "/ui/calls", title: "Calls", view: lazy(() => import("./calls.js").then((m) => m.CallList)) },
  { path: "/ui/usage", title: "Costs & usage", view: lazy(() => import("./dashboard.js").then((m) => m.Dashboard)) },
  { path: "/ui/templates", title: "Prompt templates", view: lazy(() => import("./templates.js").then((m) => m.Templates)) },
  { path: "/ui/tests", title: "Unit tests", view: lazy(() => import("./tests.js").then((m) => m.TestRuns)) },
  { path: "/ui/datasets", title: "Datasets", view: lazy(() => import("./datasets.js").then((m) => m.Datasets)) },
  { path: "/ui/cache", title: "Cache", view: lazy(() => import("./cache.js").then((m) => m.Cache)) },
  { path: "/ui/settings", title: "Settings", view: lazy(() => import("./settings.js").then((m) => m.Settings)) },
  { path: OPERATOR_PATH, title: "Operator", view: lazy(() => import("./operator.js").then((m) => m.Operator)), staff: true },
];

// the Operator area is shown to operator staff; a caller of no account (staff only) has nothing else
const shownTo = (me) => (s) => (s.staff ? Boolean(me && me.instance_role) : Boolean(me && me.account));

// staff of no account have only this area: any other address leads here, before a customer screen loads
function StaffHome() {
  useEffect(() => navigate(OPERATOR_PATH, { replace: true }), []);
  return null;
}

function Screen({ where, me }) {
  if (!me.account && !where.path.startsWith(OPERATOR_PATH)) return html`<${StaffHome} />`;
  const detail = where.path.match(/^\/ui\/sessions\/(.+)$/);
  if (detail) return html`<${SessionDetail} id=${decodeURIComponent(detail[1])} where=${where} me=${me} />`;
  const template = where.path.match(/^\/ui\/templates\/(.+)$/);
  if (template) return html`<${TemplateDetail} name=${decodeURIComponent(template[1])} where=${where} me=${me} />`;
  const dataset = where.path.match(/^\/ui\/datasets\/(.+)$/);
  if (dataset) return html`<${DatasetDetail} name=${decodeURIComponent(dataset[1])} me=${me} />`;
  const run = where.path.match(/^\/ui\/tests\/runs\/(.+)$/);
  if (run) return html`<${TestRunDetail} runId=${decodeURIComponent(run[1])} where=${where} me=${me} />`;
  const invoice = where.path.match(/^\/ui\/invoices\/(\d+)$/);
  if (invoice) return html`<${InvoiceDetail} number=${invoice[1]} />`;
  const screen = SCREENS.find((s) => s.path === where.path);
  if (!screen) return html`<p class="note">There is no page at this address. <a href="/ui/sessions">Go to sessions</a>.</p>`;
  return html`<${screen.view} where=${where} me=${me} />`;
}

function AccountSwitcher({ me, onSwitch }) {
  if (!me || me.accounts.length < 2) return me && me.account ? html`<span class="account">${me.account.name}</span>` : null;
  return html`<label class="account">
    <span class="sr-only">Account</span>
    <select value=${String(me.account.id)} onChange=${(e) => onSwitch(Number(e.currentTarget.value))}>
      ${me.accounts.map((a) => html`<option value=${String(a.account_id)}>${a.name} (${a.role})</option>`)}
    </select>
  </label>`;
}

function Shell({ auth, me, where, onSwitch, onSignOut }) {
  const theme = useTheme();
  const current = SCREENS.find((s) => where.path.startsWith(s.path));
  const nav = useRef(null);
  useEffect(() => {
    document.title = current ? `${current.title} · PromptWatch` : "PromptWatch";
    // on a narrow screen the links scroll sideways: the current one in sight
    nav.current.querySelector("[aria-current=page]")?.scrollIntoView({ block: "nearest", inline: "nearest" });
  }, [current, me]);
  const who = me ? (me.user ? me.user.email : `key ${me.key_id}`) : "";
  // the theme the toggle gives; a narrow screen shows its icon alone
  const next = theme === "dark" ? { icon: "☀", name: "Light" } : { icon: "☾", name: "Dark" };
  return html`<div class="shell">
    <a class="skip" href="#main">Skip to content</a>
    <header class="top">
      <a class="brand" href="/ui/sessions"><span class="logo" aria-hidden="true">◉</span> PromptWatch</a>
      <nav aria-label="Main" ref=${nav}>
        ${SCREENS.filter(shownTo(me)).map((s) => html`<a href=${s.path} aria-current=${current === s ? "page" : undefined}>${s.title}</a>`)}
      </nav>
      <div class="who">
        <${AccountSwitcher} me=${me} onSwitch=${onSwitch} />
        <span class="muted signed-in-as" title=${me ? `${me.role || "key"} · scope ${me.scope}` : ""}>${who}</span>
        <button type="button" class="ghost" onClick=${toggleTheme} aria-label="Switch between light and dark theme">
          ${next.icon}<span class="theme-name"> ${next.name}</span>
        </button>
        <button type="button" class="ghost" onClick=${onSignOut}>Sign out</button>
      </div>
    </header>
    <${PolicyBanner} key=${auth.credential} />
    <main id="main" key=${auth.account || 0}>${me && html`<${Screen} where=${where} me=${me} />`}</main>
  </div>`;
}

function App() {
  const [auth, setAuth] = useState(currentAuth);
  const [me, setMe] = useState(null);
  const [notice, setNotice] = useState(null);
  const where = useLocation();

  const signedOut = (message) => {
    clearAuth();
    setAuth(null);
    setMe(null);
    setNotice(message);
  };
  useEffect(() => onSignedOut(signedOut), []);
  useEffect(() => {
    if (auth && !me) api("/api/v1/me").then(setMe, () => {});
  }, [auth, me]);
  useEffect(() => {
    // the screen opened next from the list: its modules are fetched while the list is read
    if (me && me.account) SessionDetail.preload().catch(() => {});
  }, [me]);

  const shared = where.path.match(/^\/ui\/shared\/([^/]+)$/); // a share link: read with its token alone
  if (shared) return html`<${SharedSession} token=${decodeURIComponent(shared[1])} />`;
  const open = publicPage(where);
  if (open) return open;
  if (!auth) {
    const signedIn = (who) => {
      setAuth(currentAuth());
      setMe(who);
      setNotice(null);
    };
    return html`<${SignIn} notice=${notice} onSignedIn=${signedIn} />`;
  }
  const switchAccount = (account) => {
    saveAuth({ ...auth, account });
    setAuth(currentAuth());
    setMe(null);
    // a session, template, dataset, ... belongs to the account left behind: go to the list it was in
    const list = SCREENS.find((s) => where.path.startsWith(`${s.path}/`));
    const detail = list || !SCREENS.some((s) => s.path === where.path);
    if (detail) navigate(list ? list.path : "/ui/sessions");
  };
  const signOut = async () => {
    if (auth.kind === "login") await api("/api/v1/auth/logout", { method: "POST" }).catch(() => {});
    signedOut("You are signed out.");
  };
  return html`<${Shell} auth=${auth} me=${me} where=${where} onSwitch=${switchAccount} onSignOut=${signOut} />`;
}

// the app's home is the sessions list
if (location.pathname === "/ui" || location.pathname === "/ui/") history.replaceState(null, "", `/ui/sessions${location.search}`);
const root = document.getElementById("app");
handleLinkClicks(root);
countPageViews();
render(html`<${App} />`, root);
