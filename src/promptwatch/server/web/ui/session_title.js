// A session's title: its name, or, for a session stored without one, a muted stand-in from its project and
// start time (the server invents no name; the id stays shown next to the title).
import { html } from "./lib.js";
import { whenShort } from "./format.js";

export function SessionTitle({ s }) {
  if (s.session_name) return s.session_name;
  const parts = ["Unnamed session", s.tracking_project, whenShort(s.start_time)];
  return html`<span class="unnamed">${parts.filter(Boolean).join(" · ")}</span>`;
}
