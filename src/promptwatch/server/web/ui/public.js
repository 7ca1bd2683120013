// The pages a visitor reaches without signing in — sign-up, waitlist, the links mailed for verification,
// password reset and invitations, and the policy texts — picked by path before the sign-in check; their
// modules load when one is opened.
import { html } from "./lib.js";
import { lazy } from "./widgets.js";
import { PolicyText } from "./policies.js";

const SignUp = lazy(() => import("./signup.js").then((m) => m.SignUp));
const Waitlist = lazy(() => import("./signup.js").then((m) => m.Waitlist));
const Verify = lazy(() => import("./mailed_links.js").then((m) => m.Verify));
const ResetPassword = lazy(() => import("./mailed_links.js").then((m) => m.ResetPassword));
const AcceptInvitation = lazy(() => import("./mailed_links.js").then((m) => m.AcceptInvitation));

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
