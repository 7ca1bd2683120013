// Light and dark themes: the system's preference unless the user picked one for this tab (kept in
// sessionStorage, like everything the UI stores); `data-theme` on <html> selects the CSS variables.
import { useEffect, useState } from "./lib.js";

const STORE = "promptwatch.theme";
const dark = matchMedia("(prefers-color-scheme: dark)");
const listeners = new Set();

function effectiveTheme() {
  return sessionStorage.getItem(STORE) || (dark.matches ? "dark" : "light");
}

function apply() {
  document.documentElement.dataset.theme = effectiveTheme();
  for (const listener of listeners) listener();
}

export function toggleTheme() {
  sessionStorage.setItem(STORE, effectiveTheme() === "dark" ? "light" : "dark");
  apply();
}

export function useTheme() {
  const [theme, setTheme] = useState(effectiveTheme);
  useEffect(() => {
    const update = () => setTheme(effectiveTheme());
    listeners.add(update);
    return () => listeners.delete(update);
  }, []);
  return theme;
}

dark.addEventListener("change", apply);
apply();
