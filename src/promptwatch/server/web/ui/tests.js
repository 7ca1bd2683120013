// Prompt unit tests: /ui/tests lists the tests with their runs (pass/fail counts, score; GET /api/v1/tests/runs),
// /ui/tests/runs/{id} shows one run's per-case results (inputs, the expected outputs with their labels, what was
// generated, the verdict and why) and, chosen with "Compare with run…", the two runs side by side per case
// (GET …/runs/{a}/compare/{b}). Runs and whole tests can be deleted. Long texts show their start and "Show all".
import { html } from "./lib.js";
import { api } from "./api.js";
import { navigate } from "./router.js";
import { count, json, percent, when } from "./format.js";
import { ErrorNote, Loading, LongText, useLoad } from "./widgets.js";
import { ConfirmDelete } from "./confirm_delete.js";
import { can } from "./permissions.js";

const RUNS = "/api/v1/tests/runs";

function runPath(runId) {
  return `/ui/tests/runs/${encodeURIComponent(runId)}`;
}

function score(value) {
  return value === null || value === undefined ? "–" : percent(value);
}

function Verdict({ passed }) {
  if (passed === null || passed === undefined) return html`<span class="muted">–</span>`;
  return passed ? html`<span class="badge ok">passed</span>` : html`<span class="badge bad">failed</span>`;
}

const LABELS = { 1: "▲ good", 0: "▼ bad" };

// a case's labelled example outputs: good ones to come close to, bad ones to stay away from
function Expected({ outputs }) {
  if (!Array.isArray(outputs) || outputs.length === 0) return html`<span class="muted">none</span>`;
  return outputs.map((o) => html`<div class="expected" data-label=${o.label}>
    <span class=${`badge ${o.label === 0 ? "bad" : "ok"}`}>${LABELS[o.label] ?? o.label}</span>
    <${LongText} text=${o.value} tone="small" /></div>`);
}

// why a case went as it did: the evaluator's reasoning, the error, and what the score had to reach
function Why({ c }) {
  const meta = c.evaluation_metadata || {};
  const closest = meta.closest_reference_example;
  let bar = null;
  if (closest && closest.label === 1 && typeof meta.positive_score_threshold === "number") {
    bar = `Closest to a good example; passes at ${percent(meta.positive_score_threshold)} similarity.`;
  } else if (closest && closest.label === 0 && typeof meta.negative_score_threshold === "number") {
    bar = `Closest to a bad example; passes at ${percent(meta.negative_score_threshold)} away from it.`;
  }
  return html`${c.reasoning && html`<${LongText} text=${c.reasoning} tone="small" />`}
    ${c.error_description && html`<${LongText} text=${c.error_description} tone="small" />`}
    ${bar && html`<p class="muted small">${bar}</p>`}`;
}

function byTest(runs) {
  const groups = new Map();
  for (const run of runs) {
    if (!groups.has(run.test_name)) groups.set(run.test_name, []);
    groups.get(run.test_name).push(run);
  }
  return [...groups.entries()];
}

export function TestRuns({ me }) {
  const { data, error, loading, reload } = useLoad(() => api(RUNS, { query: { limit: 500 } }), []);
  if (error) return html`<section class="screen"><${ErrorNote} error=${error} /></section>`;
  if (loading && !data) return html`<section class="screen"><${Loading} what="Loading test runs" /></section>`;
  const groups = byTest(data.items);
  return html`<section class="screen tests">
    <h1>Prompt unit tests</h1>
    ${groups.length === 0 && html`<p class="muted">No unit test has run yet (promptwatch.unit_tests.UnitTest posts its runs here).</p>`}
    ${groups.map(([name, runs]) => html`<section class="panel" data-test=${name} aria-label=${`Test ${name}`}>
      <header class="panel-head"><h2>${name}</h2>
        ${can(me, "deletePromptLoop") && html`<${ConfirmDelete} label="Delete test"
          question=${`Delete the test ${name} with all ${runs.length} runs and their results?`}
          onConfirm=${() => api(`/api/v1/tests/${encodeURIComponent(name)}`, { method: "DELETE" })} onDeleted=${reload} />`}</header>
      <table class="list" aria-label=${`Runs of ${name}`}>
        <thead><tr><th>Run</th><th>Started</th><th>Evaluation</th><th class="num">Passed</th><th class="num">Failed</th><th class="num">Score</th></tr></thead>
        <tbody>${runs.map((r) => html`<tr data-run=${r.run_id}>
          <td><a href=${runPath(r.run_id)}>${r.run_id}</a></td><td>${when(r.start_time)}</td><td>${r.evaluation_method || ""}</td>
          <td class="num">${count(r.passed)}</td><td class="num">${count(r.failed)}</td><td class="num">${score(r.overall_score)}</td>
        </tr>`)}</tbody>
      </table>
    </section>`)}
  </section>`;
}

function Comparison({ runId, other }) {
  const { data, error, loading } = useLoad(
    () => api(`${RUNS}/${encodeURIComponent(runId)}/compare/${encodeURIComponent(other)}`), [runId, other]);
  if (error) return html`<${ErrorNote} error=${error} />`;
  if (loading || !data) return html`<${Loading} what="Comparing" />`;
  const side = (s) => (s ? html`<${Verdict} passed=${s.passed} /> ${score(s.score)}` : html`<span class="muted">not in this run</span>`);
  return html`<table class="list" aria-label="Comparison">
    <thead><tr><th>Case</th><th>This run (${score(data.summary.a.overall_score)})</th><th>${other} (${score(data.summary.b.overall_score)})</th></tr></thead>
    <tbody>${data.cases.map((c) => html`<tr>
      <td>${c.id && html`<span class="muted id small">${c.id}</span>`}<${LongText} text=${json(c.inputs)} tone="small" /></td><td data-side="a">${side(c.a)}</td><td data-side="b">${side(c.b)}</td>
    </tr>`)}</tbody>
  </table>`;
}

export function TestRunDetail({ runId, where, me }) {
  const run = useLoad(() => api(`${RUNS}/${encodeURIComponent(runId)}`), [runId]);
  const siblings = useLoad(
    () => (run.data ? api(RUNS, { query: { test_name: run.data.test_name, limit: 500 } }) : Promise.resolve(null)), [run.data]);
  const back = html`<p><a href="/ui/tests">← Prompt unit tests</a></p>`;
  if (run.error) return html`<section class="screen">${back}<${ErrorNote} error=${run.error} /></section>`;
  if (!run.data) return html`<section class="screen"><${Loading} what="Loading the run" /></section>`;
  const r = run.data;
  const other = where.query.get("compare");
  const others = siblings.data ? siblings.data.items.filter((s) => s.run_id !== runId) : [];
  const compare = (value) => navigate(value ? `${runPath(runId)}?compare=${encodeURIComponent(value)}` : runPath(runId), { replace: true });
  return html`<section class="screen test-run">
    <header class="session-head">${back}
      <div class="panel-head"><h1>${r.test_name} <span class="muted id">${r.run_id}</span></h1>
        ${can(me, "deletePromptLoop") && html`<${ConfirmDelete} label="Delete run" question="Delete this run and its results?"
          onConfirm=${() => api(`${RUNS}/${encodeURIComponent(runId)}`, { method: "DELETE" })} onDeleted=${() => navigate("/ui/tests")} />`}</div>
      <p>${count(r.passed)} passed, ${count(r.failed)} failed, score ${score(r.overall_score)} · ${when(r.start_time)}</p>
      <label class="inline">Compare with run…
        <select value=${other || ""} onChange=${(e) => compare(e.currentTarget.value)} aria-label="Compare with run">
          <option value="">(none)</option>
          ${others.map((s) => html`<option value=${s.run_id}>${s.run_id} · ${when(s.start_time)}</option>`)}
        </select>
      </label>
    </header>
    ${other ? html`<${Comparison} runId=${runId} other=${other} />` : html`<table class="list" aria-label="Results">
      <thead><tr><th>#</th><th>Inputs</th><th>Expected</th><th>Generated</th><th>Verdict</th><th class="num">Score</th><th>Why</th></tr></thead>
      <tbody>${r.results.map((c) => html`<tr data-order=${c.order}>
        <td>${c.order}</td><td><${LongText} text=${json((c.test_case || {}).inputs)} tone="small" /></td>
        <td data-column="expected"><${Expected} outputs=${(c.test_case || {}).outputs} /></td>
        <td data-column="generated">${c.generated_result !== null && c.generated_result !== undefined &&
          html`<${LongText} text=${c.generated_result} tone="small" />`}</td>
        <td><${Verdict} passed=${c.passed} /></td><td class="num">${score(c.score)}</td><td data-column="why"><${Why} c=${c} /></td>
      </tr>`)}</tbody>
    </table>`}
  </section>`;
}
