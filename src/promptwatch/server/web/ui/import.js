// Import into this account: a PromptWatch export archive (.zip, POST /api/v1/import: checksums checked, ids
// remapped, all or nothing; offered with `archives`, to account-wide admins) or sessions and activities as JSON
// Lines (.jsonl, POST /api/v1/import/jsonl, the "upload as a file" channel). The file goes from the browser as the request body; nothing of it is kept.
import { html, useState } from "./lib.js";
import { api } from "./api.js";
import { ErrorNote } from "./widgets.js";

function counted(result) {
  const counts = result.imported || result;
  return Object.entries(counts)
    .filter(([, value]) => typeof value === "number" && value > 0)
    .map(([name, value]) => `${name.replaceAll("_", " ")}: ${value}`)
    .join(", ");
}

// what an archive held that this account deleted, the dataset items copied from what it deleted and the
// invitations to people erased since: left out, so that it stays deleted
function leftOut(result) {
  const gone = result.left_out_deleted || {};
  const said = [];
  if (gone.sessions || gone.activities)
    said.push(`Left out, as this account deleted them: ${gone.sessions} sessions and ${gone.activities} activities.`);
  if (gone.datasets || gone.dataset_items)
    said.push(
      `Left out, as this account deleted them or the calls they were copied from: ${gone.datasets} datasets and ` +
        `${gone.dataset_items} dataset items.`,
    );
  if (gone.invitations)
    said.push(`Left out, as the people invited were erased: ${gone.invitations} invitations.`);
  return said.join(" ");
}

export function ImportData({ archives }) {
  const [state, setState] = useState({ busy: false, error: null, result: null });
  const upload = async (event) => {
    event.preventDefault();
    const file = new FormData(event.currentTarget).get("file");
    if (!file || !file.name) return setState({ busy: false, error: new Error("choose a file first"), result: null });
    const archive = file.name.toLowerCase().endsWith(".zip");
    setState({ busy: true, error: null, result: null });
    try {
      const body = archive ? new Blob([file], { type: "application/zip" }) : file;
      const result = await api(archive ? "/api/v1/import" : "/api/v1/import/jsonl", { method: "POST", body });
      setState({ busy: false, error: null, result });
    } catch (error) {
      setState({ busy: false, error, result: null });
    }
  };
  return html`<form class="filters" onSubmit=${upload} aria-label="Import data">
      <label>${archives ? "Archive (.zip) or JSON Lines (.jsonl)" : "JSON Lines (.jsonl)"}
        <input name="file" type="file" accept=${archives ? ".zip,.jsonl,.json" : ".jsonl,.json"} /></label>
      <div class="actions"><button type="submit" class="primary" disabled=${state.busy}>
        ${state.busy ? "Importing…" : "Import"}</button></div>
    </form>
    <${ErrorNote} error=${state.error} />
    ${state.result && html`<p class="note good" role="status">
      Imported: ${counted(state.result) || "nothing new"}. ${leftOut(state.result)}</p>`}`;
}
