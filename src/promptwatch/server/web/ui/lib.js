// The UI's view library in one place: Preact 11, its hooks and htm's tagged templates (`html`), imported by
// relative path from the vendored copies, so the page needs no import map (an inline one would be blocked by
// the server's `script-src 'self'`).
import { Component, h, render } from "../vendor/preact-11.2.0/preact.mjs";
import htm from "../vendor/htm-3.1.1/htm.module.js";

export { Component, h, render };
export { useCallback, useEffect, useMemo, useRef, useState } from "../vendor/preact-11.2.0/hooks.mjs";
export const html = htm.bind(h);
