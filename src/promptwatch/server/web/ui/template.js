// One prompt template (GET /api/v1/templates/{name}): its current labels and their moves, and every version
// (oldest first) with its stats: calls, errors and error rate, cost, tokens, mean latency, annotation score
// and rating. The chosen version (?version=) opens below with its text, a diff and its executions.
import { html } from "./lib.js";
import { api } from "./api.js";
import { navigate } from "./router.js";
import { count, millis, money, percent, when } from "./format.js";
import { ErrorNote, Loading, useLoad } from "./widgets.js";
import { LabelBadges } from "./templates.js";
import { VersionPanel } from "./template_version.js";

function score(stats) {
  if (stats.annotation_score === null || stats.annotation_score === undefined) return html`<span class="muted">–</span>`;
  return html`${percent(stats.annotation_score)} <span class="muted">(${count(stats.annotated)})</span>`;
}

function VersionRow({ v, labels, chosen, onChoose }) {
  const s = v.stats;
  return html`<tr class=${`row${chosen ? " chosen" : ""}`} data-version=${v.version} tabindex="0" aria-selected=${chosen}
    onClick=${onChoose} onKeyDown=${(event) => event.key === "Enter" && onChoose()}>
    <td class="name"><span class="version-name">${v.version}</span> <${LabelBadges} labels=${labels} version=${v.version} /></td>
    <td class="muted">${v.given_version || ""}</td>
    <td>${when(v.created_at)}</td>
    <td>${v.source}</td>
    <td class="num">${count(s.calls)}</td>
    <td class="num">${count(s.errors)} <span class="muted">${s.error_rate === null ? "" : `(${percent(s.error_rate)})`}</span></td>
    <td class="num">${money(s.cost)}</td>
    <td class="num">${count(s.total_tokens)}</td>
    <td class="num">${millis(s.latency_ms_mean)}</td>
    <td class="num" data-stat="annotation">${score(s)}</td>
    <td class="num">${s.rating_mean === null ? "–" : s.rating_mean.toFixed(2)}</td>
  </tr>`;
}

function LabelMoves({ history }) {
  if (!history.length) return null;
  return html`<details class="moves">
    <summary>Label history (${history.length} ${history.length === 1 ? "move" : "moves"})</summary>
    <table class="list" aria-label="Label history">
      <thead><tr><th>Moved</th><th>Label</th><th>Version</th></tr></thead>
      <tbody>${history.map((m) => html`<tr><td>${when(m.moved_at)}</td><td>${m.label}</td><td>${m.version}</td></tr>`)}</tbody>
    </table>
  </details>`;
}

export function TemplateDetail({ name, where }) {
  const { data, error, loading } = useLoad(() => api(`/api/v1/templates/${encodeURIComponent(name)}`), [name]);
  const back = html`<p><a href="/ui/templates">← Prompt templates</a></p>`;
  if (error) return html`<section class="screen">${back}<${ErrorNote} error=${error} /></section>`;
  if (loading && !data) return html`<section class="screen"><${Loading} what="Loading the template" /></section>`;
  const versions = data.versions;
  const wanted = where.query.get("version");
  const chosen = versions.find((v) => v.version === wanted) || versions[versions.length - 1];
  const here = `/ui/templates/${encodeURIComponent(name)}`;
  const choose = (version, diffTo) => {
    const query = new URLSearchParams({ version });
    if (diffTo) query.set("diff_to", diffTo);
    navigate(`${here}?${query}`, { replace: true });
  };
  return html`<section class="screen template">
    <header class="session-head">
      ${back}
      <h1>${name}</h1>
      <p class="labels">${Object.keys(data.labels).length
        ? html`Labels: <${LabelBadges} labels=${data.labels} />`
        : html`<span class="muted">No labels yet (PUT /api/v1/templates/{name}/labels/{label} points one at a version).</span>`}</p>
      <p><a href=${`/ui/sessions?${new URLSearchParams({ template: name })}`}>Sessions that used this template</a></p>
    </header>
    <div class="scroll"><table class="list" aria-label="Versions">
      <thead><tr><th>Version</th><th>Given as</th><th>Created</th><th>Source</th><th class="num">Calls</th>
        <th class="num">Errors</th><th class="num">Cost</th><th class="num">Tokens</th><th class="num">Mean latency</th>
        <th class="num" title="share of thumbs up among annotated calls">Annotation score</th><th class="num">Rating</th></tr></thead>
      <tbody>${versions.map((v) => html`<${VersionRow} key=${v.version} v=${v} labels=${data.labels}
        chosen=${chosen && v.version === chosen.version} onChoose=${() => choose(v.version)} />`)}</tbody>
    </table></div>
    <${LabelMoves} history=${data.label_history} />
    ${chosen && html`<${VersionPanel} key=${chosen.version} name=${name} version=${chosen.version} versions=${versions}
      diffTo=${where.query.get("diff_to")} onDiffTo=${(other) => choose(chosen.version, other)} />`}
  </section>`;
}
