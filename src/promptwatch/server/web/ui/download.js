// A JSON Lines file the API makes (the audit log, a dataset), fetched with the bearer header and offered as a
// download through an object URL: no cookie, and no credential in a URL.
import { html, useEffect, useState } from "./lib.js";
import { request } from "./api.js";
import { ErrorNote, useAction } from "./widgets.js";

export function JsonLinesExport({ path, file, className = "" }) {
  const [url, setUrl] = useState(null);
  useEffect(() => () => url && URL.revokeObjectURL(url), [url]);
  const prepare = useAction(async () => {
    const response = await request(path, { accept: "application/x-ndjson" });
    setUrl(URL.createObjectURL(await response.blob()));
  });
  return html`<div class=${`actions ${className}`}>
    <button type="button" disabled=${prepare.busy} onClick=${() => prepare.run()}>${prepare.busy ? "Exporting…" : "Export"}</button>
    ${url && html`<a class="download" href=${url} download=${file}>Save ${file}</a>`}
    <${ErrorNote} error=${prepare.error} />
  </div>`;
}
