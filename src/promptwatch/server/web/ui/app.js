// The entry module: restores the sign-in from sessionStorage (or shows the sign-in screen), draws the shell
// (navigation, account switcher, theme toggle, sign out, policy-change banner) and picks the screen for the
// current /ui/ path; the public pages (sign-up, waitlist, mailed links, policy texts, a share link) need no sign-in.
import { html, render, useEffect, useState } from "./lib.js";
import { api, clearAuth, currentAuth, onSignedOut, saveAuth } from "./api.js";
import { countPageViews, handleLinkClicks, useLocation } from "./router.js";
import { toggleTheme, useTheme } from "./theme.js";
import { SignIn } from "./login.js";
import { SessionList } from "./sessions.js";
import { SessionDetail } from "./session.js";
import { Dashboard } from "./dashboard.js";
import { Templates } from "./templates.js";
import { TemplateDetail } from "./template.js";
import { TestRunDetail, TestRuns } from "./tests.js";
import { Cache } from "./cache.js";
import { DatasetDetail, Datasets } from "./datasets.js";
import { Settings } from "./settings.js";
import { publicPage } from "./public.js";
import { SharedSession } from "./shared.js";
import { InvoiceDetail } from "./invoices.js";
import { PolicyBanner } from "./policies.js";
import { Operator, OPERATOR_PATH, StaffHome } from "./operator.js";

const SCREENS = [
  { path: "/ui/sessions", title: "Sessions", view: SessionList },
  { path: "/ui/usage", title: "Costs & usage", view: Dashboard },
  { path: "/ui/templates", title: "Prompt templates", view: Templates },
  { path: "/ui/tests", title: "Unit tests", view: TestRuns },
  { path: "/ui/datasets", title: "Datasets", view: Datasets },
  { path: "/ui/cache", title: "Cache", view: Cache },
  { path: "/ui/settings", title: "Settings", view: Settings },
  { path: OPERATOR_PATH, title: "Operator", view: Operator, staff: true },
];

// the Operator area is shown to operator staff; a caller of no account (staff only) has nothing else
const shownTo = (me) => (s) => (s.staff ? Boolean(me && me.instance_role) : Boolean(me && me.account));

function Screen({ where, me }) {
  if (!me.account && !where.path.startsWith(OPERATOR_PATH)) return html`<${StaffHome} />`;
  const detail = where.path.match(/^\/ui\/sessions\/(.+)$/);
  if (detail) return html`<${SessionDetail} id=${decodeURIComponent(detail[1])} where=${where} />`;
  const template = where.path.match(/^\/ui\/templates\/(.+)$/);
  if (template) return html`<${TemplateDetail} name=${decodeURIComponent(template[1])} where=${where} />`;
  const dataset = where.path.match(/^\/ui\/datasets\/(.+)$/);
  if (dataset) return html`<${DatasetDetail} name=${decodeURIComponent(dataset[1])} me=${me} />`;
  const run = where.path.match(/^\/ui\/tests\/runs\/(.+)$/);
  if (run) return html`<${TestRunDetail} runId=${decodeURIComponent(run[1])} where=${where} />`;
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
  useEffect(() => {
    document.title = current ? `${current.title} · PromptWatch` : "PromptWatch";
  }, [current]);
  const who = me ? (me.user ? me.user.email : `key ${me.key_id}`) : "";
  return html`<div class="shell">
    <a class="skip" href="#main">Skip to content</a>
    <header class="top">
      <a class="brand" href="/ui/sessions"><span class="logo" aria-hidden="true">◉</span> PromptWatch</a>
      <nav aria-label="Main">
        ${SCREENS.filter(shownTo(me)).map((s) => html`<a href=${s.path} aria-current=${current === s ? "page" : undefined}>${s.title}</a>`)}
      </nav>
      <div class="who">
        <${AccountSwitcher} me=${me} onSwitch=${onSwitch} />
        <span class="muted" title=${me ? `${me.role || "key"} · scope ${me.scope}` : ""}>${who}</span>
        <button type="button" class="ghost" onClick=${toggleTheme} aria-label="Switch between light and dark theme">
          ${theme === "dark" ? "☀ Light" : "☾ Dark"}
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
