// Small shared components: copy button, error and loading notes, text and JSON blocks, key-value lists.
// Customer content only ever reaches the page as text children, which Preact renders as text nodes.
import { html, useEffect, useState } from "./lib.js";
import { json } from "./format.js";

export function CopyButton({ text, label = "Copy" }) {
  const [state, setState] = useState(label);
  useEffect(() => {
    if (state === label) return undefined;
    const timer = setTimeout(() => setState(label), 1500);
    return () => clearTimeout(timer);
  }, [state, label]);
  const copy = async (event) => {
    event.stopPropagation();
    try {
      await navigator.clipboard.writeText(text);
      setState("Copied");
    } catch {
      setState("Copy failed");
    }
  };
  return html`<button type="button" class="copy" onClick=${copy} aria-live="polite">${state}</button>`;
}

export function ErrorNote({ error }) {
  if (!error) return null;
  const fields = (error.problem && error.problem.errors) || [];
  return html`<div class="note error" role="alert">
    <strong>${error.problem ? error.problem.title : "Error"}</strong> ${error.message}
    ${fields.length > 0 && html`<ul>${fields.map((f) => html`<li>${f.field}: ${f.message}</li>`)}</ul>`}
  </div>`;
}

export function Loading({ what = "Loading" }) {
  return html`<p class="muted loading" aria-busy="true">${what}…</p>`;
}

export function TextBlock({ title, text, tone }) {
  if (text === null || text === undefined || text === "") return null;
  const value = typeof text === "string" ? text : json(text);
  return html`<section class=${`block ${tone || ""}`}>
    <header><h4>${title}</h4><${CopyButton} text=${value} /></header>
    <pre class="text">${value}</pre>
  </section>`;
}

export function Facts({ items }) {
  const shown = items.filter(([, value]) => value !== null && value !== undefined && value !== "");
  if (shown.length === 0) return null;
  return html`<dl class="facts">
    ${shown.map(([name, value]) => html`<div><dt>${name}</dt><dd>${value}</dd></div>`)}
  </dl>`;
}

// useLoad(fn, deps) → { data, error, loading, reload }: one API call tied to a component's lifetime
export function useLoad(fn, deps) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let live = true;
    setState((old) => ({ ...old, loading: true, error: null }));
    fn().then(
      (data) => live && setState({ data, error: null, loading: false }),
      (error) => live && setState({ data: null, error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, round]);
  return { ...state, reload: () => setRound((n) => n + 1) };
}
