// The operator console's Policies tab (P20): announce a new version of the privacy policy or the terms with
// its effective date (POST /api/v1/operator/policies; the API answers 422 with the earliest date when it is
// fewer than 30 business days away) and the versions in force and announced (GET /api/v1/policies).
import { html, useRef } from "./lib.js";
import { api } from "./api.js";
import { day, when } from "./format.js";
import { ErrorNote, Panel, useAction, useLoad } from "./widgets.js";
import { policyPath } from "./policies.js";
import { Pending, Rows } from "./operator_parts.js";

const COLUMNS = [
  ["Policy", (p) => p.kind], ["Version", (p) => p.version, "num"],
  ["Title", (p) => html`<a href=${policyPath(p.kind, p.version)}>${p.title}</a>`],
  ["Announced", (p) => when(p.announced_at)], ["In force from", (p) => day(p.effective_date)],
];

function AnnounceForm({ onAnnounced }) {
  const form = useRef(null);
  const announce = useAction(async (data) => {
    const body = { kind: data.get("kind"), title: data.get("title"), body: data.get("body"), effective_date: data.get("effective") };
    const created = await api("/api/v1/operator/policies", { method: "POST", body });
    form.current.reset();
    onAnnounced();
    return `Version ${created.version} announced; every account owner is notified.`;
  });
  return html`<form class="filters" ref=${form} onSubmit=${announce.submit} aria-label="Announce a policy version">
      <label>Policy <select name="kind"><option value="privacy">privacy</option><option value="terms">terms</option></select></label>
      <label class="wide">Title <input name="title" required maxlength="200" /></label>
      <label>Effective date <input name="effective" type="date" required /></label>
      <label class="wide">Text <textarea name="body" required rows="6"></textarea></label>
      <div class="actions"><button type="submit" class="primary" disabled=${announce.busy}>Announce</button></div>
    </form>
    <p class="muted small">A new version takes effect at least 30 business days after it is announced.</p>
    ${announce.done && html`<p class="note good" role="status">${announce.done}</p>`}
    <${ErrorNote} error=${announce.error} />`;
}

export function PoliciesTab() {
  const versions = useLoad(() => api("/api/v1/policies", { auth: null }), []);
  return html`<${Panel} id="announce-title" title="Announce a new version"><${AnnounceForm} onAnnounced=${versions.reload} /><//>
    <${Panel} id="versions-title" title="Versions in force and announced">
      <${Pending} load=${versions} what="Loading policies" />
      ${versions.data && html`<${Rows} label="Policy versions" columns=${COLUMNS} rows=${versions.data.items} empty="No policy." />`}
    <//>`;
}
