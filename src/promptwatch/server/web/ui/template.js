// One prompt template (GET /api/v1/templates/{name}): its current labels and their moves, and every version
// (oldest first) with its stats: calls, errors and error rate, cost ("$x + N unpriced" when some calls have no
// price), tokens, mean latency, annotation score and rating. The chosen version (?version=) opens below with its text, a diff and its executions. Labels
// are moved to a version or rolled back here; the template can be deleted (its LLM calls stay, unlinked).
import { html, useState } from "./lib.js";
import { api } from "./api.js";
import { navigate } from "./router.js";
import { count, millis, percent, when } from "./format.js";
import { ErrorNote, Loading, useAction, useLoad } from "./widgets.js";
import { LabelBadges } from "./templates.js";
import { VersionPanel } from "./template_version.js";
import { ConfirmDelete } from "./confirm_delete.js";
import { sessionsUrl } from "./sessions.js";
import { can } from "./permissions.js";
import { usageCost } from "./usage.js";

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
    <td class="num">${usageCost(s)}</td>
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

function templatePath(name) {
  return `/api/v1/templates/${encodeURIComponent(name)}`;
}

// one row per label: point it at another version, or roll it back to the version it had before its latest move
function LabelRow({ name, label, version, versions, onChanged }) {
  const [target, setTarget] = useState(version);
  const labelPath = `${templatePath(name)}/labels/${encodeURIComponent(label)}`;
  const move = useAction(() => api(labelPath, { method: "PUT", body: { version: target } }).then(onChanged));
  const rollback = useAction(() => api(`${labelPath}/rollback`, { method: "POST" }).then(onChanged));
  return html`<tr data-label=${label}>
    <td>${label}</td><td>${version}</td>
    <td><select value=${target} aria-label=${`Version for ${label}`} onChange=${(e) => setTarget(e.currentTarget.value)}>
      ${versions.map((v) => html`<option value=${v.version}>${v.version}</option>`)}
    </select>
    <button type="button" disabled=${move.busy || target === version} onClick=${() => move.run()}>Move</button>
    <button type="button" class="ghost" disabled=${rollback.busy} onClick=${() => rollback.run()}>Roll back</button>
    <${ErrorNote} error=${move.error || rollback.error} /></td>
  </tr>`;
}

function Labels({ name, labels, versions, onChanged }) {
  const add = useAction((form) => api(`${templatePath(name)}/labels/${encodeURIComponent(form.get("label").trim())}`,
    { method: "PUT", body: { version: form.get("version") } }).then(onChanged));
  return html`<section class="block labels-panel" aria-label="Labels">
    <header><h4>Labels</h4></header>
    ${Object.keys(labels).length > 0 && html`<table class="list"><thead><tr><th>Label</th><th>Version</th><th>Move or roll back</th></tr></thead>
      <tbody>${Object.entries(labels).map(([label, version]) => html`<${LabelRow} key=${`${label}@${version}`} name=${name}
        label=${label} version=${version} versions=${versions} onChanged=${onChanged} />`)}</tbody></table>`}
    <form class="inline" onSubmit=${add.submit}>
      <label>New label <input name="label" required maxlength="100" pattern="[A-Za-z0-9_.\\-]+" placeholder="production" /></label>
      <label>at version <select name="version">${versions.map((v) => html`<option value=${v.version}>${v.version}</option>`)}</select></label>
      <button type="submit" disabled=${add.busy}>Set label</button>
    </form>
    <${ErrorNote} error=${add.error} />
  </section>`;
}

export function TemplateDetail({ name, where, me }) {
  const { data, error, loading, reload } = useLoad(() => api(`/api/v1/templates/${encodeURIComponent(name)}`), [name]);
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
  const versionDeleted = () => {
    navigate(here, { replace: true });
    reload();
  };
  return html`<section class="screen template">
    <header class="session-head">
      <div class="head-row">${back}
        ${can(me, "deletePromptLoop") && html`<div class="head-actions"><${ConfirmDelete} label="Delete template"
          question=${`Delete the template ${name} with all ${versions.length} versions and its labels? The LLM calls that used it stay in their sessions, no longer linked to it.`}
          onConfirm=${() => api(templatePath(name), { method: "DELETE" })} onDeleted=${() => navigate("/ui/templates")} /></div>`}
      </div>
      <h1>${name}</h1>
      <p class="labels">${Object.keys(data.labels).length
        ? html`Labels: <${LabelBadges} labels=${data.labels} />`
        : html`<span class="muted">No labels yet${can(me, "moveLabels") ? ': "Labels" below points one (e.g. production) at a version' : ""}.</span>`}</p>
      <p><a href=${sessionsUrl({ template: name })}>Sessions that used this template</a></p>
    </header>
    <div class="scroll"><table class="list" aria-label="Versions">
      <thead><tr><th>Version</th><th>Given as</th><th>Created</th><th>Source</th><th class="num">Calls</th>
        <th class="num">Errors</th><th class="num">Cost</th><th class="num">Tokens</th><th class="num">Mean latency</th>
        <th class="num" title="share of thumbs up among annotated calls">Annotation score</th><th class="num">Rating</th></tr></thead>
      <tbody>${versions.map((v) => html`<${VersionRow} key=${v.version} v=${v} labels=${data.labels}
        chosen=${chosen && v.version === chosen.version} onChoose=${() => choose(v.version)} />`)}</tbody>
    </table></div>
    ${can(me, "moveLabels") && html`<${Labels} name=${name} labels=${data.labels} versions=${versions} onChanged=${reload} />`}
    <${LabelMoves} history=${data.label_history} />
    ${chosen && html`<${VersionPanel} key=${chosen.version} name=${name} version=${chosen.version} versions=${versions}
      labels=${Object.keys(data.labels).filter((label) => data.labels[label] === chosen.version)}
      diffTo=${where.query.get("diff_to")} onDiffTo=${(other) => choose(chosen.version, other)}
      onDeleted=${can(me, "deletePromptLoop") ? versionDeleted : null} />`}
  </section>`;
}
