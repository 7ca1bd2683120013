// Shared pieces of the access and trust screens: what the signed-in caller may do (read from GET /api/v1/me;
// viewer < member < admin < owner, an API key acting as the role its scope matches, a project-limited caller
// managing nothing account-wide) and the standing of a grant, share link or invitation as a badge.
import { html } from "./lib.js";

const RANK = { viewer: 1, member: 2, admin: 3, owner: 4 };
const SCOPE_ROLE = { read: "viewer", ingest: "member", admin: "admin" };

export const ROLES = Object.keys(RANK);

export function roleOf(me) {
  return me ? me.role || SCOPE_ROLE[me.scope] || "viewer" : null;
}

// may(me, "admin") → whether the caller holds at least that role; accountWide: false also lets a
// project-limited caller through (for what it may do inside its projects)
export function may(me, role, { accountWide = true } = {}) {
  const own = roleOf(me);
  if (!own || RANK[own] < RANK[role]) return false;
  return !accountWide || !me.project;
}

const TONES = { live: "ok", pending: "ok", accepted: "off", expired: "off", revoked: "bad" };

// live | expired | revoked from the API's `live` and `revoked_at`; an invitation can also be accepted
export function standing(item) {
  if (item.accepted_at) return "accepted";
  if (item.revoked_at) return "revoked";
  if ("live" in item) return item.live ? "live" : "expired";
  return Date.parse(item.expires_at) > Date.now() ? "pending" : "expired";
}

export function Standing({ item }) {
  const state = standing(item);
  return html`<span class=${`badge ${TONES[state]}`}>${state}</span>`;
}

// the 403 answer of a list the caller's role may not read, as a plain note
export function NeedsRole({ error, what }) {
  if (!error || error.status !== 403) return null;
  return html`<p class="note">${what} needs an owner or admin role.</p>`;
}
