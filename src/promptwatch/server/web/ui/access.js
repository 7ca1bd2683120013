// Shared pieces of the access and trust screens: the standing of a grant, share link or invitation as a badge,
// and the note shown for a list the caller's role may not read (what the caller may do: permissions.js).
import { html } from "./lib.js";

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
