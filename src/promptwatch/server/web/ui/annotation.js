// The annotation of one activity: thumbs up ("Good", label 1) or down ("Bad", 0) and a note, read with
// GET /api/v1/activities/{id}/annotation (the controls appear once it is read, so a late answer cannot undo a
// click) and saved with PUT (the stored rating is sent back unchanged). A caller who may not annotate reads it.
import { html, useEffect, useState } from "./lib.js";
import { api } from "./api.js";
import { when } from "./format.js";
import { ErrorNote } from "./widgets.js";

const RATED = { 1: "▲ Good", 0: "▼ Bad" };

// the stored annotation as text, for a caller who may not change it
function ReadOnly({ saved }) {
  const rated = RATED[saved.label];
  if (!rated && !saved.notes) return html`<p class="muted annotation-body">Not annotated.</p>`;
  return html`<div class="annotation-body">
    ${rated && html`<span class="badge">${rated}</span>`}
    ${saved.notes && html`<span class="annotation-notes">${saved.notes}</span>`}
  </div>`;
}

export function Annotation({ activityId, editable }) {
  const path = `/api/v1/activities/${encodeURIComponent(activityId)}/annotation`;
  const [saved, setSaved] = useState(null);
  const [label, setLabel] = useState(null);
  const [notes, setNotes] = useState("");
  const [status, setStatus] = useState({ busy: false, error: null, done: false });
  useEffect(() => {
    let live = true;
    api(path).then(
      (a) => {
        if (!live) return;
        setSaved(a);
        setLabel(a.label);
        setNotes(a.notes || "");
      },
      (error) => live && setStatus({ busy: false, error, done: false }),
    );
    return () => {
      live = false;
    };
  }, [path]);

  const save = async (event) => {
    event.preventDefault();
    setStatus({ busy: true, error: null, done: false });
    try {
      const body = { label, notes: notes.trim() ? notes : null }; // a rating given by the API stays as it is
      setSaved(await api(path, { method: "PUT", body }));
      setStatus({ busy: false, error: null, done: true });
    } catch (error) {
      setStatus({ busy: false, error, done: false });
    }
  };
  const thumb = (value, text, name) => html`<button type="button" class=${`thumb${label === value ? " on" : ""}`}
    aria-pressed=${label === value} aria-label=${name} onClick=${() => setLabel(label === value ? null : value)}>${text}</button>`;

  return html`<form class="block annotation" onSubmit=${save} aria-label="Annotation">
    <header><h4>Annotation</h4>
      ${saved && saved.updated_at && html`<span class="muted small">saved ${when(saved.updated_at)}</span>`}</header>
    ${!saved && !status.error && html`<p class="muted annotation-body">Loading…</p>`}
    ${saved && !editable && html`<${ReadOnly} saved=${saved} />`}
    ${saved && editable && html`<div class="annotation-body">
      <div class="thumbs">${thumb(1, "▲ Good", "Thumbs up")} ${thumb(0, "▼ Bad", "Thumbs down")}</div>
      <label class="note-field"><span class="sr-only">Note</span><textarea name="notes" rows="1" maxlength="20000" value=${notes}
        onInput=${(e) => setNotes(e.currentTarget.value)} placeholder="A note: what was good or wrong?"></textarea></label>
      <button type="submit" class="primary" disabled=${status.busy}>Save annotation</button>
      ${status.done && html`<span class="good-text" role="status">Saved</span>`}
    </div>`}
    <${ErrorNote} error=${status.error} />
  </form>`;
}
