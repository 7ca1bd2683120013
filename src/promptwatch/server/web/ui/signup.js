// The two public forms of a visitor: sign-up (POST /api/v1/signup, with the referral code of a ?ref= link,
// P12) and the waitlist (POST /api/v1/waitlist with the consent text the server shows, P8). Neither signs in.
import { html } from "./lib.js";
import { api } from "./api.js";
import { ErrorNote, Loading, PublicCard, useAction, useLoad } from "./widgets.js";

const text = (form, name) => String(form.get(name) || "").trim();

export function SignUp({ where }) {
  const referral = where.query.get("ref") || "";
  const action = useAction(async (form) => {
    const body = { email: text(form, "email"), password: form.get("password"), account_name: text(form, "account_name") };
    if (referral) body.referral_code = referral;
    return api("/api/v1/signup", { method: "POST", body, auth: null });
  });
  if (action.done) {
    return html`<${PublicCard} title="Check your mail">
      <p class="note good" role="status">We sent a link to confirm your address. Your account is created when you
        open it.</p>
      <p><a href="/ui/sessions">Sign in</a> once you have confirmed.</p>
    <//>`;
  }
  return html`<${PublicCard} title="Create your account">
    <form class="stack" onSubmit=${action.submit} aria-label="Sign up">
      ${referral && html`<p class="note" role="status">You were invited with the code <code>${referral}</code>: the person
        who invited you will see that you signed up (your address shown masked).</p>`}
      <label>E-mail <input name="email" type="email" autocomplete="email" maxlength="320" required autofocus /></label>
      <label>Password <input name="password" type="password" autocomplete="new-password" minlength="10" maxlength="1000" required /></label>
      <label>Account name <input name="account_name" maxlength="200" required placeholder="your team or company" /></label>
      <p class="muted small">Your address is used for your account, billing and legal notices; product news and
        promotions can be turned off at any time. What we do with your data is in the
        ${" "}<a href="/ui/policies/privacy">privacy policy</a>.</p>
      <${ErrorNote} error=${action.error} />
      <button type="submit" class="primary" disabled=${action.busy}>${action.busy ? "Signing up…" : "Sign up"}</button>
      <p class="muted small">Already have an account? <a href="/ui/sessions">Sign in</a>.
        Not ready yet? <a href="/ui/waitlist">Join the waitlist</a>.</p>
    </form>
  <//>`;
}

export function Waitlist({ where }) {
  const info = useLoad(() => api("/api/v1/waitlist", { auth: null }), []);
  const action = useAction((form) => {
    const body = { email: text(form, "email"), consent: form.get("consent") === "on", source: where.query.get("source") || "web" };
    for (const name of ["name", "organisation"]) if (text(form, name)) body[name] = text(form, name);
    return api("/api/v1/waitlist", { method: "POST", body, auth: null });
  });
  if (action.done) {
    return html`<${PublicCard} title="You are on the waitlist">
      <p class="note good" role="status">Thank you. We mailed you a confirmation; it has a link that takes you off the
        list again with one click.</p>
    <//>`;
  }
  if (info.loading) return html`<${PublicCard} title="Join the waitlist"><${Loading} what="Loading" /><//>`;
  if (info.error) return html`<${PublicCard} title="Join the waitlist"><${ErrorNote} error=${info.error} /><//>`;
  if (!info.data.enabled) {
    return html`<${PublicCard} title="Join the waitlist"><p class="note">The waitlist of this instance is closed.</p><//>`;
  }
  return html`<${PublicCard} title="Join the waitlist">
    <form class="stack" onSubmit=${action.submit} aria-label="Join the waitlist">
      <label>E-mail <input name="email" type="email" autocomplete="email" maxlength="320" required autofocus /></label>
      <label>Name <input name="name" autocomplete="name" maxlength="200" placeholder="optional" /></label>
      <label>Organisation <input name="organisation" autocomplete="organization" maxlength="200" placeholder="optional" /></label>
      <label class="check"><input name="consent" type="checkbox" required /> <span class="consent">${info.data.consent_text}</span></label>
      <${ErrorNote} error=${action.error} />
      <button type="submit" class="primary" disabled=${action.busy}>${action.busy ? "Sending…" : "Join the waitlist"}</button>
    </form>
  <//>`;
}
