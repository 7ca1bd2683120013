// One version of a prompt template: its text and stats, the unified diff from another version
// (GET …/versions/{v}?diff_to=, lines drawn as text with added/removed classes) and the LLM calls that used
// it (GET …/versions/{v}/executions, newest first, "Load more" with next_before), each linking to its session.
// "Delete version" removes it (with the labels that point at it, which the confirmation names); it is offered
// only with an `onDeleted` to call.
import { html, useEffect, useState } from "./lib.js";
import { api } from "./api.js";
import { ConfirmDelete } from "./confirm_delete.js";
import { sessionPath } from "./router.js";
import { count, money, when } from "./format.js";
import { ErrorNote, Facts, Loading, TextBlock, useLoad } from "./widgets.js";

function base(name, version) {
  return `/api/v1/templates/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}`;
}

function lineClass(line) {
  if (line.startsWith("+++") || line.startsWith("---")) return "diff-file";
  if (line.startsWith("@@")) return "diff-hunk";
  if (line.startsWith("+")) return "diff-add";
  if (line.startsWith("-")) return "diff-del";
  return "diff-same";
}

function Diff({ name, version, other }) {
  const { data, error, loading } = useLoad(() => api(base(name, version), { query: { diff_to: other } }), [name, version, other]);
  if (error) return html`<${ErrorNote} error=${error} />`;
  if (loading || !data) return html`<${Loading} what="Comparing" />`;
  if (!data.diff) return html`<p class="muted">The two versions have the same text.</p>`;
  const lines = data.diff.replace(/\n$/, "").split("\n");
  return html`<pre class="text diff" aria-label=${`Changes from ${other} to ${version}`}>${lines.map(
    (line) => html`<span class=${lineClass(line)}>${line}</span>`,
  )}</pre>`;
}

function Executions({ name, version }) {
  const [page, setPage] = useState({ items: [], next: null, loading: true, error: null });
  const load = (before) =>
    api(`${base(name, version)}/executions`, { query: { limit: 50, before } }).then(
      (data) => setPage((old) => ({ items: before ? [...old.items, ...data.items] : data.items, next: data.next_before, loading: false, error: null })),
      (error) => setPage((old) => ({ ...old, loading: false, error })),
    );
  useEffect(() => {
    load(undefined);
  }, [name, version]);
  const more = () => {
    setPage((old) => ({ ...old, loading: true }));
    load(page.next);
  };
  return html`<${ErrorNote} error=${page.error} />
    ${page.items.length === 0 && !page.loading && !page.error && html`<p class="muted">No recorded LLM call used this version.</p>`}
    ${page.items.length > 0 && html`<table class="list" aria-label="Executions">
      <thead><tr><th>Start</th><th>Session</th><th>Model</th><th class="num">Tokens</th><th class="num">Cost</th>
        <th>Feedback</th><th>Status</th></tr></thead>
      <tbody>${page.items.map((e) => html`<tr data-activity=${e.id}>
        <td>${when(e.start_time)}</td>
        <td><a href=${`${sessionPath(e.session_id)}?activity=${encodeURIComponent(e.id)}`}>${e.session_id}</a></td>
        <td>${e.model || ""}</td>
        <td class="num">${count(e.total_tokens)}</td>
        <td class="num">${money(e.cost)}</td>
        <td>${e.feedback_label === 1 ? html`<span class="badge ok">▲ good</span>` : e.feedback_label === 0 ? html`<span class="badge bad">▼ bad</span>` : ""}</td>
        <td>${e.error ? html`<span class="badge bad" title=${e.error}>error</span>` : html`<span class="badge ok">ok</span>`}</td>
      </tr>`)}</tbody>
    </table>`}
    ${page.loading && html`<${Loading} what="Loading executions" />`}
    ${page.next && !page.loading && html`<button type="button" class="more" onClick=${more}>Load more</button>`}`;
}

function DeleteVersion({ name, version, labels, onDeleted }) {
  const also = labels.length ? ` The labels ${labels.join(", ")} point at it and are deleted with it.` : "";
  return html`<${ConfirmDelete} label="Delete version"
    question=${`Delete version ${version}?${also} The LLM calls that used it stay in their sessions, no longer linked to it.`}
    onConfirm=${() => api(base(name, version), { method: "DELETE", query: { force: labels.length ? "true" : undefined } })}
    onDeleted=${onDeleted} />`;
}

export function VersionPanel({ name, version, versions, labels = [], diffTo, onDiffTo, onDeleted }) {
  const { data, error } = useLoad(() => api(base(name, version)), [name, version]);
  const others = versions.filter((v) => v.version !== version);
  const index = versions.findIndex((v) => v.version === version);
  const other = others.some((v) => v.version === diffTo) ? diffTo : index > 0 ? versions[index - 1].version : others[0] && others[0].version;
  return html`<section class="panel version" aria-labelledby="version-title">
    <header class="panel-head"><h2 id="version-title">Version ${version}</h2>
      ${onDeleted && html`<${DeleteVersion} name=${name} version=${version} labels=${labels} onDeleted=${onDeleted} />`}</header>
    <${ErrorNote} error=${error} />
    ${data && html`<${Facts} items=${[
      ["Given as", data.given_version],
      ["Format", data.content && data.content.format],
      ["Input parameters", data.content && (data.content.prompt_input_params || []).join(", ")],
      ["Content hash", html`<span class="id">${data.content_hash.slice(0, 16)}…</span>`],
    ]} />
    <${TextBlock} title="Template text" text=${data.text || "(empty)"} />`}
    ${other && html`<section class="block">
      <header><h4>Changes</h4>
        <label class="inline">from version
          <select value=${other} onChange=${(e) => onDiffTo(e.currentTarget.value)} aria-label="Compare with version">
            ${others.map((v) => html`<option value=${v.version}>${v.version}</option>`)}
          </select>
        </label>
      </header>
      <${Diff} name=${name} version=${version} other=${other} />
    </section>`}
    <h3>Executions</h3>
    <${Executions} name=${name} version=${version} />
  </section>`;
}
