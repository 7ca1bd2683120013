// The sign-in screen: e-mail and password (POST /api/v1/auth/login → a bearer token) or a pasted API key.
// Either credential is checked with GET /api/v1/me before it is kept in sessionStorage. Links lead to the
// public pages that mail a password-reset link and, when sign-up is open (GET /api/v1/waitlist), create an account.
import { html, useState } from "./lib.js";
import { api, saveAuth } from "./api.js";
import { ErrorNote, useLoad } from "./widgets.js";

// a key that only sends (scope `write`) reads nothing: every screen would answer 403
const WRITE_ONLY =
  "This key only sends data (scope write) and cannot read any. Sign in with your e-mail and password, or a read, ingest or admin key.";

export function SignIn({ onSignedIn, notice }) {
  const [mode, setMode] = useState("password");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const open = useLoad(() => api("/api/v1/waitlist", { auth: null }), []);
  const signUp = Boolean(open.data && open.data.signup_enabled);

  const submit = async (event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    try {
      let auth;
      if (mode === "password") {
        const body = { email: form.get("email").trim(), password: form.get("password") };
        const login = await api("/api/v1/auth/login", { method: "POST", body, auth: null });
        auth = { kind: "login", credential: login.token, account: login.accounts.length ? login.accounts[0].account_id : null };
      } else {
        auth = { kind: "key", credential: form.get("key").trim(), account: null };
      }
      const me = await api("/api/v1/me", { auth });
      if (me.scope === "write") throw new Error(WRITE_ONLY);
      saveAuth(auth);
      onSignedIn(me);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  return html`<main class="signin">
    <form class="card" onSubmit=${submit} aria-labelledby="signin-title">
      <h1 id="signin-title"><span class="logo" aria-hidden="true">◉</span> PromptWatch</h1>
      ${notice && html`<p class="note">${notice}</p>`}
      <div class="tabs" role="tablist">
        <button type="button" role="tab" aria-selected=${mode === "password"} onClick=${() => setMode("password")}>
          E-mail and password
        </button>
        <button type="button" role="tab" aria-selected=${mode === "key"} onClick=${() => setMode("key")}>API key</button>
      </div>
      ${mode === "password"
        ? html`<label>E-mail <input name="email" type="email" autocomplete="username" required autofocus /></label>
            <label>Password <input name="password" type="password" autocomplete="current-password" required /></label>`
        : html`<label>API key <input name="key" type="password" autocomplete="off" required autofocus /></label>`}
      <${ErrorNote} error=${error} />
      <button type="submit" class="primary" disabled=${busy}>${busy ? "Signing in…" : "Sign in"}</button>
      ${mode === "password" && html`<p class="links"><a href="/ui/reset">Forgot password?</a>${signUp && html` <a href="/ui/signup">Create an account</a>`}</p>`}
      <p class="muted small">
        No cookies: your sign-in is kept in this browser tab only and ends when you close it or sign out.
      </p>
    </form>
  </main>`;
}
