// My referral invites (P12): create a code with its sign-up link (POST /api/v1/referrals/codes), and see my
// codes and who signed up through them, their addresses masked (GET /api/v1/referrals).
import { html } from "./lib.js";
import { api } from "./api.js";
import { when } from "./format.js";
import { CopyButton, ErrorNote, Loading, useAction, useLoad } from "./widgets.js";

export function Referrals() {
  const mine = useLoad(() => api("/api/v1/referrals"), []);
  const create = useAction(async () => {
    const created = await api("/api/v1/referrals/codes", { method: "POST" });
    mine.reload();
    return created;
  });
  const data = mine.data;
  return html`<p class="muted">Anyone who signs up through your link is recorded as invited by you.</p>
    <button type="button" class="primary" disabled=${create.busy} onClick=${() => create.run()}>Create an invite link</button>
    ${create.done && html`<div class="note good secret" role="status"><code class="invite-link">${create.done.link}</code>
      <${CopyButton} text=${create.done.link} /></div>`}
    <${ErrorNote} error=${create.error || mine.error} />
    ${mine.loading && !data && html`<${Loading} what="Loading referrals" />`}
    ${data && data.codes.length > 0 && html`<table class="list" aria-label="Invite codes">
      <thead><tr><th>Code</th><th>Link</th><th>Created</th></tr></thead>
      <tbody>${data.codes.map((c) => html`<tr><td class="id">${c.code}</td><td class="id">${c.link}</td><td>${when(c.created_at)}</td></tr>`)}</tbody>
    </table>`}
    ${data && html`<table class="list" aria-label="My referrals">
      <thead><tr><th>Signed up</th><th>Address</th><th>Code</th></tr></thead>
      <tbody>${data.referrals.length === 0
        ? html`<tr><td colspan="3" class="muted">Nobody has signed up through your links yet.</td></tr>`
        : data.referrals.map((r) => html`<tr><td>${when(r.signed_up_at)}</td><td>${r.email}</td><td class="id">${r.code}</td></tr>`)}
      </tbody>
    </table>`}`;
}
