// The sessions list's "More filters": cost (in dollars), duration (in seconds) and token ranges, each bound
// optional and inclusive, and metadata conditions (key=value, one or more). The address keeps them under the
// API's names (`min_cost`, `max_duration_ms` in milliseconds, `meta=env=prod`). A bound that is not a number
// or is negative, a range whose "at most" is below its "at least", and a condition without a key are shown
// under their field and never sent, as is a second condition on the same key.
import { html, useEffect, useRef, useState } from "./lib.js";

// a range's address names are min_<name> and max_<name>; a duration is typed in seconds, kept in milliseconds
const RANGES = [
  { name: "cost", legend: "Cost", unit: "in dollars", before: "$" },
  { name: "duration_ms", legend: "Duration", unit: "in seconds", after: "s", scale: 1000 },
  { name: "tokens", legend: "Tokens", whole: true },
];
const BOUNDS = [
  ["min", "≥", "at least"],
  ["max", "≤", "at most"],
];
export const MORE_NAMES = new Set(["meta", ...RANGES.flatMap((range) => BOUNDS.map(([side]) => `${side}_${range.name}`))]);

// the number typed for a bound of `range`, or why it is not one
function bound(text, range) {
  const number = Number(text);
  if (!Number.isFinite(number)) return { problem: "not a number" };
  if (number < 0) return { problem: "cannot be negative" };
  if (range.whole && !Number.isInteger(number)) return { problem: "a whole number" };
  return { number };
}

// what the fields hold (`values`: the form's data, durations in seconds) → { address: [[name, value], ...]
// for the list's address and the API, problems: {field id: why its value cannot be sent} }
export function moreFromForm(values) {
  const address = [];
  const problems = {};
  for (const range of RANGES) {
    const [low, high] = BOUNDS.map(([side]) => {
      const name = `${side}_${range.name}`;
      const text = (values.get(name) || "").trim();
      return { name, ...(text ? bound(text, range) : {}) };
    });
    if (low.number > high.number) Object.assign(high, { number: undefined, problem: "below the minimum" });
    for (const { name, number, problem } of [low, high]) {
      if (problem) problems[name] = problem;
      else if (number !== undefined) {
        // scaled to the microsecond: 1.005 s is 1005 ms, not 1004.9999999999999
        const kept = range.scale ? Math.round(number * range.scale * 1e3) / 1e3 : number;
        address.push([name, String(kept)]);
      }
    }
  }
  const keys = new Set(); // the API keeps one value per key: a second one would quietly replace the first
  values.getAll("meta").forEach((condition, index) => {
    if (!condition.trim()) return;
    const equals = condition.indexOf("=");
    const key = condition.slice(0, equals).trim();
    if (equals < 0 || !key) problems[`meta-${index}`] = "write it key=value";
    else if (keys.has(key)) problems[`meta-${index}`] = `${key} is set above`;
    else address.push(["meta", `${key}=${condition.slice(equals + 1).trim()}`]);
    keys.add(key);
  });
  return { address, problems };
}

// the address's values as the fields show them: a duration in seconds
function typed(query) {
  const values = new URLSearchParams(query);
  for (const range of RANGES.filter((r) => r.scale)) {
    for (const [side] of BOUNDS) {
      const name = `${side}_${range.name}`;
      const { number } = query.get(name) ? bound(query.get(name), range) : {};
      if (number !== undefined) values.set(name, String(number / range.scale));
    }
  }
  return values;
}

// the same for the address: what the list sends, and the problems shown under the fields
export function moreFromAddress(query) {
  return moreFromForm(typed(query));
}

// one input with, under it, why its value cannot be sent
function Field({ id, name, label, value, problem, before, after, ...input }) {
  const problemId = problem && `more-${id}-problem`;
  return html`<div class="more-field">
    <label>${before && html`<span aria-hidden="true">${before}</span>`}
      <input id=${`more-${id}`} name=${name} defaultValue=${value || ""} aria-label=${label} autocomplete="off"
        aria-invalid=${problem ? "true" : undefined} aria-describedby=${problemId} ...${input} />
      ${after && html`<span aria-hidden="true">${after}</span>`}</label>
    ${problem && html`<span class="field-problem" id=${problemId}>${problem}</span>`}
  </div>`;
}

// open while any of its filters is set or has a problem; after Apply, the focus goes to the first problem
export function MoreFilters({ query, problems }) {
  const values = typed(query);
  const conditions = values.getAll("meta");
  const [rows, setRows] = useState(Math.max(1, conditions.length));
  const set = [...query.keys()].filter((name) => MORE_NAMES.has(name)).length;
  const bad = Object.keys(problems).length > 0;
  const box = useRef(null);
  useEffect(() => {
    const first = box.current.querySelector("[aria-invalid=true]");
    if (first && box.current.closest("form").contains(document.activeElement)) first.focus();
  }, [problems]);
  return html`<details class="more-filters" open=${set > 0 || bad} ref=${box}>
    <summary>More filters${set > 0 && html` <span class="badge score">${set} set</span>`}</summary>
    <div class="more-fields">
      ${RANGES.map(
        (range) => html`<fieldset><legend>${range.legend}</legend>
          ${BOUNDS.map(([side, sign, words]) => {
            const name = `${side}_${range.name}`;
            return html`<${Field} id=${name} name=${name} value=${values.get(name)} problem=${problems[name]}
              label=${`${range.legend} ${words}${range.unit ? `, ${range.unit}` : ""}`}
              before=${[sign, range.before].filter(Boolean).join(" ")} after=${range.after} placeholder="any"
              inputmode=${range.whole ? "numeric" : "decimal"} />`;
          })}
        </fieldset>`,
      )}
      <fieldset class="conditions"><legend>Metadata</legend>
        ${Array.from(
          { length: rows },
          (_, index) => html`<${Field} id=${`meta-${index}`} name="meta" value=${conditions[index]}
            problem=${problems[`meta-${index}`]} label=${`Metadata condition ${index + 1}, key=value`} placeholder="key=value" />`,
        )}
        <button type="button" class="ghost" onClick=${() => setRows(rows + 1)}>Add another</button>
      </fieldset>
    </div>
  </details>`;
}
