// The pages that mailed links open: /ui/verify?token= confirms a sign-up (POST /api/v1/signup/verify),
// /ui/reset asks for a reset link, or with ?token= sets a new password (POST .../password-reset/confirm), and
// /ui/invitation?token= joins the account that invited you (POST /api/v1/invitations/accept).
import { html, useEffect } from "./lib.js";
import { api } from "./api.js";
import { ErrorNote, Loading, PublicCard, useAction } from "./widgets.js";

function SignInLink({ text = "Sign in" }) {
  return html`<a href="/ui/sessions">${text}</a>`;
}

export function Verify({ where }) {
  const token = where.query.get("token") || "";
  const action = useAction(() => api("/api/v1/signup/verify", { method: "POST", body: { token }, auth: null }));
  useEffect(() => {
    if (token) action.run();
  }, [token]);
  let result = html`<${Loading} what="Confirming your address" />`;
  if (!token) result = html`<p class="note error" role="alert">This link has no token. Open the link from the mail again.</p>`;
  else if (action.error) result = html`<${ErrorNote} error=${action.error} /><p>Sign up again, or <${SignInLink} text="sign in" /> if your account exists.</p>`;
  else if (action.done) {
    result = html`<p class="note good" role="status">Your address ${action.done.email} is confirmed and your account is
        ready.</p>
      <p><${SignInLink} /> with this address and the password you chose.</p>`;
  }
  return html`<${PublicCard} title="Confirm your address">${result}<//>`;
}

function RequestReset() {
  const action = useAction((form) =>
    api("/api/v1/auth/password-reset", { method: "POST", body: { email: String(form.get("email")).trim() }, auth: null }),
  );
  return html`<${PublicCard} title="Forgot your password?">
    <form class="stack" onSubmit=${action.submit} aria-label="Request a password reset">
      <p class="muted">Give your address; if it belongs to an account, a link to choose a new password is mailed to it.</p>
      <label>E-mail <input name="email" type="email" autocomplete="username" maxlength="320" required autofocus /></label>
      <${ErrorNote} error=${action.error} />
      ${action.done && html`<p class="note good" role="status">If the address is known, the link is on its way.</p>`}
      <button type="submit" class="primary" disabled=${action.busy}>Mail me a link</button>
      <p class="muted small">Remembered it? <${SignInLink} text="Sign in" />.</p>
    </form>
  <//>`;
}

function ChooseNewPassword({ token }) {
  const action = useAction((form) => {
    if (form.get("password") !== form.get("repeat")) throw new Error("the two passwords differ");
    return api("/api/v1/auth/password-reset/confirm", { method: "POST", body: { token, password: form.get("password") }, auth: null });
  });
  if (action.done) {
    return html`<${PublicCard} title="Password changed">
      <p class="note good" role="status">Your new password is set, and every earlier sign-in has ended.</p>
      <p><${SignInLink} /> with the new password.</p>
    <//>`;
  }
  return html`<${PublicCard} title="Choose a new password">
    <form class="stack" onSubmit=${action.submit} aria-label="Choose a new password">
      <label>New password <input name="password" type="password" autocomplete="new-password" minlength="10" maxlength="1000" required autofocus /></label>
      <label>Repeat it <input name="repeat" type="password" autocomplete="new-password" minlength="10" maxlength="1000" required /></label>
      <${ErrorNote} error=${action.error} />
      <button type="submit" class="primary" disabled=${action.busy}>Set the password</button>
    </form>
  <//>`;
}

export function ResetPassword({ where }) {
  const token = where.query.get("token");
  return token ? html`<${ChooseNewPassword} token=${token} />` : html`<${RequestReset} />`;
}

export function AcceptInvitation({ where }) {
  const token = where.query.get("token") || "";
  const action = useAction((form) => {
    const password = String(form.get("password") || "");
    return api("/api/v1/invitations/accept", { method: "POST", body: { token, password: password || null }, auth: null });
  });
  if (!token) {
    return html`<${PublicCard} title="Join an account">
      <p class="note error" role="alert">This link has no token. Open the link from the invitation mail again.</p>
    <//>`;
  }
  if (action.done) {
    return html`<${PublicCard} title="Welcome">
      <p class="note good" role="status">You joined the account as ${action.done.role}.</p>
      <p><${SignInLink} /> with your address${action.done.user_created ? " and the password you just chose" : ""}.</p>
    <//>`;
  }
  return html`<${PublicCard} title="Join an account">
    <form class="stack" onSubmit=${action.submit} aria-label="Accept the invitation">
      <p class="muted">You were invited to a PromptWatch account. If you have no PromptWatch sign-in for this address
        yet, choose a password for it; otherwise leave the field empty.</p>
      <label>Password (new sign-ins only) <input name="password" type="password" autocomplete="new-password" maxlength="1000" /></label>
      <${ErrorNote} error=${action.error} />
      <button type="submit" class="primary" disabled=${action.busy}>Accept the invitation</button>
    </form>
  <//>`;
}
