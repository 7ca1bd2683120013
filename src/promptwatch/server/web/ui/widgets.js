// Small shared components: copy button, inline dialogs, error and loading notes, text and JSON blocks (a long
// text shown in part until asked), key-value lists, the card of a page outside the shell.
// Customer content only ever reaches the page as text children, which Preact renders as text nodes.
import { html, useEffect, useRef, useState } from "./lib.js";
import { count, fileSize, json } from "./format.js";

// the Clipboard API exists only in a secure context (https, or http on localhost); an instance reached over
// plain http on the network copies through a selected, visually hidden text area instead
async function writeClipboard(text) {
  if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
  const focused = document.activeElement;
  const area = Object.assign(document.createElement("textarea"), { value: text, readOnly: true, className: "sr-only" });
  document.body.append(area);
  area.select();
  const copied = document.execCommand("copy");
  area.remove();
  if (focused && focused.focus) focused.focus();
  if (!copied) throw new Error("the browser refused to copy");
}

// `what` names what is copied for screen readers ("Copy prompt"), where the button says only "Copy"
export function CopyButton({ text, label = "Copy", what }) {
  const [state, setState] = useState(label);
  useEffect(() => {
    if (state === label) return undefined;
    const timer = setTimeout(() => setState(label), 1500);
    return () => clearTimeout(timer);
  }, [state, label]);
  const copy = async (event) => {
    event.stopPropagation();
    try {
      await writeClipboard(text);
      setState("Copied");
    } catch {
      setState("Copy failed");
    }
  };
  return html`<button type="button" class="copy" onClick=${copy} aria-live="polite">
    ${state}${what && html`<span class="sr-only"> ${what}</span>`}
  </button>`;
}

const FOCUSABLE = "button:not([disabled]), [href], input, select, textarea, [tabindex]:not([tabindex='-1'])";

// an inline dialog (a confirmation, a small form) that replaces the button opening it: when it opens, focus
// moves into it (to its [data-autofocus] control, else its first one); Escape closes it; when it closes, focus
// returns to the button. → { dialogRef, openerRef, onKeyDown } for the dialog's element and the button
export function useInlineDialog(open, close) {
  const dialogRef = useRef(null);
  const openerRef = useRef(null);
  const wasOpen = useRef(open);
  useEffect(() => {
    if (open === wasOpen.current) return;
    wasOpen.current = open;
    const box = dialogRef.current;
    const lost = !document.activeElement || document.activeElement === document.body;
    const inside = box && (box.querySelector("[data-autofocus]") || box.querySelector(FOCUSABLE));
    const target = open ? inside : lost && openerRef.current;
    if (target) target.focus();
  }, [open]);
  const onKeyDown = (event) => {
    if (event.key !== "Escape") return;
    event.stopPropagation();
    close();
  };
  return { dialogRef, openerRef, onKeyDown };
}

// lazy(load) → a component showing the component that load() resolves to (from a dynamic import): a screen's
// modules are fetched when it is first shown, not with the first page. `.preload()` fetches them ahead.
export function lazy(load) {
  let view = null;
  let loading = null;
  const preload = () => {
    loading = loading || load().then((found) => (view = found), (caught) => {
      loading = null;
      throw caught;
    });
    return loading;
  };
  function Lazy(props) {
    const [state, setState] = useState(view ? "ready" : "loading");
    useEffect(() => {
      // asked even when the module is in: it may have arrived between this render and this effect
      let live = true;
      preload().then(() => live && setState("ready"), () => live && setState("failed"));
      return () => {
        live = false;
      };
    }, []);
    if (view) return html`<${view} ...${props} />`;
    if (state === "failed") return html`<${ErrorNote} error=${{ message: "This screen could not load; reload the page." }} />`;
    return html`<${Loading} />`;
  }
  Lazy.preload = preload;
  return Lazy;
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

// the characters of a text drawn at first: laying out megabytes of text takes a browser many seconds
export const SHOWN_CHARACTERS = 20_000;

// a text (any other value as JSON) as preformatted text; a longer one shows its first SHOWN_CHARACTERS and a
// button that draws the rest
export function LongText({ text, tone = "" }) {
  const [whole, setWhole] = useState(false);
  const value = typeof text === "string" ? text : text === null || text === undefined ? "" : json(text);
  const className = `text ${tone}`.trim();
  if (whole || value.length <= SHOWN_CHARACTERS) return html`<pre class=${className}>${value}</pre>`;
  return html`<pre class=${className}>${value.slice(0, SHOWN_CHARACTERS)}</pre>
    <p class="truncated muted small">The first ${count(SHOWN_CHARACTERS)} of ${count(value.length)} characters.${" "}
      <button type="button" class="ghost" onClick=${() => setWhole(true)}>Show all (${fileSize(new Blob([value]).size)})</button></p>`;
}

// a titled text (or any value as JSON) with a copy button, which copies all of it however much is shown
export function TextBlock({ title, text, tone }) {
  if (text === null || text === undefined || text === "") return null;
  const value = typeof text === "string" ? text : json(text);
  return html`<section class=${`block ${tone || ""}`}>
    <header><h4>${title}</h4><${CopyButton} text=${value} what=${title.toLowerCase()} /></header>
    <${LongText} text=${value} />
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
