// The operator console's Support access tab (P10): the live grants across the instance, with no content
// (GET /api/v1/support/grants). Only when staff open a grant are the sessions it covers listed, and only a
// session picked from that list is read — read-only, shown as text (the session, then each activity's record
// in tree order, the first 200 at once and the rest a page at a time), each page read in the customer's audit log.
import { html, useState } from "./lib.js";
import { api } from "./api.js";
import { count, when } from "./format.js";
import { ErrorNote, Loading, Panel, TextBlock, useLoad } from "./widgets.js";
import { Pending, Rows } from "./operator_parts.js";
import { useSessionPages } from "./session_pages.js";
import { ActivityList } from "./activity_list.js";

const Record = ({ a }) => html`<${TextBlock} title="Record" text=${a} />`;

function SessionText({ accountId, sessionId }) {
  const pages = useSessionPages(`/api/v1/support/accounts/${accountId}/sessions/${encodeURIComponent(sessionId)}`);
  const { session, error } = pages;
  if (error) return html`<${ErrorNote} error=${error} />`;
  if (!session) return html`<${Loading} what="Reading the session" />`;
  const { activities, next_activities_cursor, ...totals } = session;
  return html`<${TextBlock} title=${`Session ${sessionId} (read-only)`} text=${totals} />
    <${ActivityList} pages=${pages} Body=${Record} />`;
}

function GrantedSessions({ accountId }) {
  const [chosen, setChosen] = useState(null);
  const sessions = useLoad(() => api(`/api/v1/support/accounts/${accountId}/sessions`), [accountId]);
  const columns = [
    ["Started", (s) => when(s.start_time)], ["Session", (s) => s.session_name || s.id], ["Activities", (s) => count(s.activity_count), "num"],
    ["", (s) => html`<button type="button" class="ghost" onClick=${() => setChosen(s.id)}>Read</button>`, "actions"],
  ];
  return html`<h3>Sessions of account ${accountId} under the grant</h3>
    <${Pending} load=${sessions} what="Loading granted sessions" />
    ${sessions.data && html`<${Rows} label="Granted sessions" columns=${columns} rows=${sessions.data.items} rowKey=${(s) => s.id} empty="No session." />`}
    ${chosen && html`<${SessionText} key=${chosen} accountId=${accountId} sessionId=${chosen} />`}`;
}

export function SupportTab() {
  const [account, setAccount] = useState(null);
  const grants = useLoad(() => api("/api/v1/support/grants"), []);
  const columns = [
    ["Grant", (g) => g.id, "num"], ["Account", (g) => g.account_id, "num"], ["Covers", (g) => (g.scope === "account" ? "the whole account" : "named sessions")],
    ["Reason", (g) => g.reason], ["Expires", (g) => when(g.expires_at)],
    ["", (g) => html`<button type="button" class="ghost" onClick=${() => setAccount(g.account_id)}>Open sessions</button>`, "actions"],
  ];
  return html`<${Panel} id="support-title" title="Live support grants">
    <p class="muted">Customer data is readable only under a live grant its account gave; every read is audited.</p>
    <${Pending} load=${grants} what="Loading grants" />
    ${grants.data && html`<${Rows} label="Live support grants" columns=${columns} rows=${grants.data.items} rowKey=${(g) => g.id}
      empty="No live grant: no customer data is readable." />`}
    ${account && html`<${GrantedSessions} key=${account} accountId=${account} />`}
  <//>`;
}
