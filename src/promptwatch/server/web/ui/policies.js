// Policy documents (P20): a version's text as a public page (/ui/policies/<kind>[/<version>]), and the shell's
// banner of announced changes the signed-in user has not acknowledged (GET /api/v1/policies/notices).
import { html } from "./lib.js";
import { api } from "./api.js";
import { day } from "./format.js";
import { ErrorNote, Loading, PublicCard, useAction, useLoad } from "./widgets.js";

export function policyPath(kind, version) {
  return `/ui/policies/${encodeURIComponent(kind)}/${version}`;
}

export function PolicyText({ params }) {
  const [kind, version] = params;
  const path = `/api/v1/policies/${encodeURIComponent(kind)}${version ? `/versions/${version}` : ""}`;
  const doc = useLoad(() => api(path, { auth: null }), [path]);
  if (doc.loading) return html`<${PublicCard} title="Policy" wide><${Loading} what="Loading the text" /><//>`;
  if (doc.error) return html`<${PublicCard} title="Policy" wide><${ErrorNote} error=${doc.error} /><//>`;
  const { title, effective_date: effective } = doc.data;
  return html`<${PublicCard} title=${`${title}, version ${doc.data.version}`} wide>
    <p class="muted">In force from ${day(effective)}. <a href="/ui/sessions">Back to PromptWatch</a></p>
    <pre class="text policy">${doc.data.body}</pre>
  <//>`;
}

function Notice({ notice, onDone }) {
  const action = useAction(async () => {
    await api(`/api/v1/policies/${notice.id}/acknowledge`, { method: "POST" });
    onDone();
  });
  return html`<li data-policy=${notice.id}>
    Our <strong>${notice.title}</strong> changes: version ${notice.version} takes effect on ${day(notice.effective_date)}.
    ${" "}<a href=${policyPath(notice.kind, notice.version)}>Read the new text</a>${" "}
    <button type="button" class="primary" disabled=${action.busy} onClick=${() => action.run()}>Acknowledge</button>
    <${ErrorNote} error=${action.error} />
  </li>`;
}

export function PolicyBanner() {
  const notices = useLoad(() => api("/api/v1/policies/notices"), []);
  const items = notices.data ? notices.data.items : [];
  if (items.length === 0) return null;
  return html`<aside class="policy-banner note warn" role="status" aria-label="Policy changes">
    <ul>${items.map((n) => html`<${Notice} key=${n.id} notice=${n} onDone=${notices.reload} />`)}</ul>
  </aside>`;
}
