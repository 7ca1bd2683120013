// Small shared components: copy button, error and loading notes, text and JSON blocks, key-value lists,
// the card of a page outside the shell.
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

// a titled part of a screen (the settings tabs are made of them)
export function Panel({ id, title, children }) {
  return html`<section class="panel" aria-labelledby=${id}><h2 id=${id}>${title}</h2>${children}</section>`;
}

// a page of its own outside the shell (sign-in, sign-up, mailed links): a card in the middle of the screen
export function PublicCard({ title, wide = false, children }) {
  return html`<main class="signin">
    <section class=${wide ? "card wide" : "card"} aria-labelledby="card-title">
      <h1 id="card-title"><span class="logo" aria-hidden="true">◉</span> ${title}</h1>
      ${children}
    </section>
  </main>`;
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

// useAction(fn) → { run, submit, busy, error, done }: one API call started by the user (a button's run(...),
// a form's submit(event), which passes the form's FormData), with its progress, error and result
export function useAction(fn) {
  const [state, setState] = useState({ busy: false, error: null, done: null });
  const run = async (...args) => {
    setState({ busy: true, error: null, done: null });
    try {
      const done = await fn(...args);
      setState({ busy: false, error: null, done: done ?? true });
    } catch (error) {
      setState({ busy: false, error, done: null });
    }
  };
  const submit = (event) => {
    event.preventDefault();
    run(new FormData(event.currentTarget));
  };
  return { ...state, run, submit };
}
