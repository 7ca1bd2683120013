// The pages a visitor reaches without signing in — sign-up, waitlist, the links mailed for verification,
// password reset and invitations, and the policy texts — picked by path before the sign-in check.
import { html } from "./lib.js";
import { SignUp, Waitlist } from "./signup.js";
import { AcceptInvitation, ResetPassword, Verify } from "./mailed_links.js";
import { PolicyText } from "./policies.js";

const PAGES = [
  { pattern: /^\/ui\/signup\/?$/, view: SignUp },
  { pattern: /^\/ui\/waitlist\/?$/, view: Waitlist },
  { pattern: /^\/ui\/verify\/?$/, view: Verify },
  { pattern: /^\/ui\/reset\/?$/, view: ResetPassword },
  { pattern: /^\/ui\/invitation\/?$/, view: AcceptInvitation },
  { pattern: /^\/ui\/policies\/([a-z_-]+)(?:\/(\d+))?\/?$/, view: PolicyText },
];

// the public page at this location (its path's groups are the view's `params`), or null
export function publicPage(where) {
  for (const { pattern, view } of PAGES) {
    const found = where.path.match(pattern);
    if (found) return html`<${view} where=${where} params=${found.slice(1)} />`;
  }
  return null;
}
