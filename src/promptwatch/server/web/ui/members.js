// Members of the account (P16): the people and their roles; owners and admins invite by e-mail with a role
// and project limits (the invitation link is shown to pass on), revoke or resend pending invitations, change
// a member's role and remove a member after a confirmation. Everyone else sees the lists read-only. The
// account's only owner is offered no role change or removal: the API refuses both (an account keeps an owner).
import { html, useRef, useState } from "./lib.js";
import { api } from "./api.js";
import { when } from "./format.js";
import { CopyButton, ErrorNote, Loading, useAction, useInlineDialog, useLoad } from "./widgets.js";
import { Standing, standing } from "./access.js";
import { ROLES, can } from "./permissions.js";

function projectNames(text) {
  return String(text || "").split(",").map((name) => name.trim()).filter(Boolean);
}

function Projects({ names }) {
  return names && names.length ? names.join(", ") : html`<span class="muted">all</span>`;
}

// the roles the caller may hand out: only an owner makes an owner
function grantable(me) {
  return ROLES.filter((role) => role !== "owner" || can(me, "makeOwners"));
}

function NewInvitation({ invitation, onDone }) {
  const link = new URL(invitation.link, location.origin).href;
  return html`<div class="note good" role="status">
    <p><strong>Invitation for ${invitation.email} (${invitation.role}).</strong> Pass this link on; it works once and
      until ${when(invitation.expires_at)}. It is shown only now.</p>
    <div class="secret"><code class="invitation-link">${link}</code> <${CopyButton} text=${link} /></div>
    <button type="button" class="ghost" onClick=${onDone}>Done</button>
  </div>`;
}

function Invitations({ me }) {
  const [invited, setInvited] = useState(null); // the invitation just made, whose link is shown once
  const list = useLoad(() => api("/api/v1/invitations"), []);
  const invite = (body) => api("/api/v1/invitations", { method: "POST", body });
  const action = useAction(async (work) => {
    const created = await work();
    list.reload();
    if (created) setInvited(created);
  });
  const form = useRef(null);
  const create = useAction(async (data) => {
    const body = { email: data.get("email").trim(), role: data.get("role"), projects: projectNames(data.get("projects")) };
    setInvited(await invite(body));
    form.current.reset();
    list.reload();
  });
  const revoke = (item) => api(`/api/v1/invitations/${item.id}`, { method: "DELETE" });
  const resend = async (item) => {
    await revoke(item);
    return invite({ email: item.email, role: item.role, projects: item.projects || [] });
  };
  if (list.error && list.error.status === 403) return null;
  const open = list.data ? list.data.items.filter((item) => standing(item) === "pending") : [];
  return html`<h3 class="subhead">New invitation</h3>
    <form class="filters" ref=${form} onSubmit=${create.submit} aria-label="Invite a person">
      <label class="wide">E-mail <input name="email" type="email" required maxlength="320" placeholder="name@example.com" /></label>
      <label>Role
        <select name="role">${grantable(me).map((role) => html`<option value=${role} selected=${role === "member"}>${role}</option>`)}</select>
      </label>
      <label class="wide">Only these projects <input name="projects" maxlength="2000" placeholder="all projects (or: alpha, beta)" /></label>
      <div class="actions"><button type="submit" class="primary" disabled=${create.busy}>Invite</button></div>
    </form>
    ${invited && html`<${NewInvitation} invitation=${invited} onDone=${() => setInvited(null)} />`}
    <${ErrorNote} error=${create.error || action.error || list.error} />
    ${list.loading && !list.data && html`<${Loading} what="Loading invitations" />`}
    ${list.data && html`<h3 class="subhead">Pending invitations</h3>
      ${open.length === 0 && html`<p class="muted">No invitation is waiting for an answer.</p>`}
      ${open.length > 0 && html`<table class="list" aria-label="Invitations">
        <thead><tr><th>E-mail</th><th>Role</th><th>Projects</th><th>Invited by</th><th>Expires</th><th>Status</th><th></th></tr></thead>
        <tbody>${open.map((item) => html`<tr data-invitation=${item.id}>
          <td>${item.email}</td><td>${item.role}</td><td><${Projects} names=${item.projects} /></td>
          <td>${item.invited_by || ""}</td><td>${when(item.expires_at)}</td><td><${Standing} item=${item} /></td>
          <td class="actions">
            <button type="button" class="ghost" disabled=${action.busy} onClick=${() => action.run(() => resend(item))}>Resend</button>
            <button type="button" class="ghost" disabled=${action.busy} onClick=${() => action.run(() => revoke(item))}>Revoke</button>
          </td>
        </tr>`)}</tbody>
      </table>`}`}`;
}

function RemoveMember({ member, onRemoved }) {
  const [confirming, setConfirming] = useState(false);
  const remove = useAction(async () => {
    await api(`/api/v1/members/${member.id}`, { method: "DELETE" });
    onRemoved();
  });
  const dialog = useInlineDialog(confirming, () => setConfirming(false));
  if (!confirming) return html`<button type="button" class="ghost" ref=${dialog.openerRef} onClick=${() => setConfirming(true)}>Remove</button>`;
  return html`<div class="note error confirm" role="alertdialog" aria-label=${`Remove ${member.email}`}
    ref=${dialog.dialogRef} onKeyDown=${dialog.onKeyDown}>
    <p>Remove ${member.email} from the account? Their sign-in stops reaching it at once; keys they created stay.</p>
    <button type="button" class="danger" disabled=${remove.busy} onClick=${() => remove.run()}>Remove member</button>
    <button type="button" class="ghost" disabled=${remove.busy} onClick=${() => setConfirming(false)} data-autofocus>Cancel</button>
    <${ErrorNote} error=${remove.error} />
  </div>`;
}

// `onlyOwner`: the member is the account's one owner, whom the API keeps an owner and a member
function MemberRow({ member, me, manage, onlyOwner, onChanged }) {
  const change = useAction(async (role) => {
    await api(`/api/v1/members/${member.id}`, { method: "PATCH", body: { role } });
    onChanged();
  });
  const editable = manage && !onlyOwner && (member.role !== "owner" || can(me, "makeOwners"));
  const self = me && me.user && me.user.id === member.id;
  return html`<tr data-member=${member.email}>
    <td>${member.email}${self && html` <span class="muted">(you)</span>`}</td>
    <td>${editable
      ? html`<label><span class="sr-only">Role of ${member.email}</span>
          <select value=${member.role} disabled=${change.busy} onChange=${(e) => change.run(e.currentTarget.value)}>
            ${grantable(me).map((role) => html`<option value=${role}>${role}</option>`)}
          </select></label>
          <${ErrorNote} error=${change.error} />`
      : member.role}</td>
    <td><${Projects} names=${member.projects} /></td>
    <td>${when(member.created_at)}</td>
    <td class="actions">${editable && html`<${RemoveMember} member=${member} onRemoved=${onChanged} />`}
      ${manage && onlyOwner && html`<span class="muted small">the only owner</span>`}</td>
  </tr>`;
}

// the members first, then (for owners and admins) the invitation form and the pending invitations, each
// part under its own heading
export function Members({ me }) {
  const members = useLoad(() => api("/api/v1/members"), []);
  const manage = can(me, "manageMembers");
  const items = members.data ? members.data.items : [];
  const owners = items.filter((m) => m.role === "owner").length;
  return html`<${ErrorNote} error=${members.error} />
    ${members.loading && !members.data && html`<${Loading} what="Loading members" />`}
    ${members.data && html`<table class="list" aria-label="Members">
      <thead><tr><th>E-mail</th><th>Role</th><th>Projects</th><th>Member since</th><th></th></tr></thead>
      <tbody>${items.map((m) => html`<${MemberRow} key=${m.id} member=${m} me=${me} manage=${manage}
        onlyOwner=${m.role === "owner" && owners === 1} onChanged=${members.reload} />`)}</tbody>
    </table>`}
    ${!manage && me && html`<p class="muted">Only owners and admins invite people and change roles.</p>`}
    ${manage && html`<${Invitations} me=${me} />`}`;
}
