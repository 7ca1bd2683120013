// Export of the account (or of one tracking tenant's data): GET /api/v1/export with the bearer header via
// fetch, then the zip is offered as a download through an object URL — no cookie, no credential in a URL.
import { html, useEffect, useState } from "./lib.js";
import { request } from "./api.js";
import { ErrorNote } from "./widgets.js";
import { fileSize } from "./format.js";

function fileName(response, tenant) {
  const match = /filename="?([^";]+)"?/.exec(response.headers.get("Content-Disposition") || "");
  return match ? match[1] : `promptwatch-export-${tenant ? "tenant" : "account"}.zip`;
}

export function ExportData() {
  const [state, setState] = useState({ busy: false, error: null, file: null });
  useEffect(() => () => state.file && URL.revokeObjectURL(state.file.url), [state.file]);

  const prepare = async (event) => {
    event.preventDefault();
    const tenant = new FormData(event.currentTarget).get("tenant").trim();
    setState({ busy: true, error: null, file: null });
    try {
      const response = await request("/api/v1/export", { query: { tenant }, accept: "application/zip" });
      const blob = await response.blob();
      const file = { url: URL.createObjectURL(blob), name: fileName(response, tenant), size: blob.size };
      setState({ busy: false, error: null, file });
    } catch (error) {
      setState({ busy: false, error, file: null });
    }
  };
  return html`<form class="filters" onSubmit=${prepare} aria-label="Export data">
      <label>Only this tenant <input name="tenant" maxlength="256" placeholder="the whole account" /></label>
      <div class="actions"><button type="submit" class="primary" disabled=${state.busy}>
        ${state.busy ? "Preparing…" : "Prepare export"}</button></div>
    </form>
    <${ErrorNote} error=${state.error} />
    ${state.file && html`<p class="note good" role="status">The archive is ready:${" "}
      <a class="download" href=${state.file.url} download=${state.file.name}>Save ${state.file.name}</a>${" "}
      <span class="muted">(${fileSize(state.file.size)}; a zip of JSON Lines with a manifest, docs/lifecycle.md)</span></p>`}`;
}
