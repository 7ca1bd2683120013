// What the signed-in caller may do, read from GET /api/v1/me and mirroring the server's checks: an action
// needs a credential scope (read < ingest < admin; a log-in carries its role's scope), or a role in the account
// (viewer < member < admin < owner; a key acts as the role its scope matches), and for some the whole account
// (not a project-limited caller) or a person logged in (not a key). Screens hide what can(me, action) refuses.

const RANK = { viewer: 1, member: 2, admin: 3, owner: 4 };
const SCOPE_ROLE = { read: "viewer", ingest: "member", admin: "admin" };
const SCOPE_HOLDERS = { read: ["read", "ingest", "admin"], ingest: ["ingest", "admin"], admin: ["admin"] };

export const ROLES = Object.keys(RANK);

// each action as the server's service checks it (`caller.require(scope)` or `caller.require_role(role, …)`)
const ACTIONS = {
  annotate: { scope: "ingest" },
  deleteSession: { scope: "ingest" },
  deleteActivity: { scope: "ingest" },
  replay: { scope: "ingest" },
  share: { role: "member" },
  editDatasets: { role: "member" },
  moveLabels: { scope: "ingest" },
  deletePromptLoop: { scope: "ingest", accountWide: true }, // templates, their versions, tests and test runs
  clearCache: { scope: "ingest" },
  importLines: { scope: "ingest" },
  importArchive: { scope: "admin", accountWide: true },
  exportData: { scope: "admin", accountWide: true },
  deleteData: { scope: "admin" },
  manageKeys: { scope: "admin" },
  managePrices: { scope: "admin" },
  manageProviders: { scope: "admin" },
  setRetention: { scope: "admin" },
  enableEncryption: { scope: "admin" },
  editAccountProfile: { scope: "admin" },
  editBillingProfile: { role: "owner" },
  setUsageStatistics: { role: "owner" },
  manageMembers: { role: "admin", accountWide: true },
  makeOwners: { role: "owner" },
  manageRedaction: { role: "admin", accountWide: true },
  grantSupport: { role: "admin", accountWide: true, person: true },
};

export function roleOf(me) {
  return me ? me.role || SCOPE_ROLE[me.scope] || "viewer" : null;
}

// can(me, "annotate") → whether the caller may do it; an unknown action is refused
export function can(me, action) {
  const need = ACTIONS[action];
  if (!me || !need) return false;
  if (need.scope && !SCOPE_HOLDERS[need.scope].includes(me.scope)) return false;
  if (need.role && RANK[roleOf(me)] < RANK[need.role]) return false;
  if (need.accountWide && me.project) return false;
  return !need.person || Boolean(me.user);
}
