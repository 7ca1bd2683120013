// Redaction before storage (P1, P10): the rules the ingest stage applies to the account and to single projects
// (a project's rules replace the account's): which kinds of data to mask, custom patterns, and dropping prompt
// and output text altogether. Owners and admins edit them; an invalid pattern is refused with the API's reason.
import { html, useState } from "./lib.js";
import { api } from "./api.js";
import { ErrorNote, Loading, useAction, useLoad } from "./widgets.js";
import { can } from "./permissions.js";

const KINDS = {
  secrets: "API keys, tokens and passwords", email: "e-mail addresses", phone: "phone numbers",
  card: "card numbers (Luhn-checked)", iban: "IBANs (mod-97-checked)", ip: "IP addresses",
};

function summary(config, kinds) {
  const masked = kinds.filter((kind) => config[kind]);
  const parts = [masked.length ? `masks ${masked.join(", ")}` : "masks nothing"];
  if (config.custom.length) parts.push(`custom: ${config.custom.map((c) => c.name).join(", ")}`);
  if (config.drop_text) parts.push("drops prompt and output text");
  return parts.join("; ");
}

function Editor({ project, config, kinds, onSaved }) {
  const [custom, setCustom] = useState(config.custom);
  const where = project ? `project ${project}` : "the account";
  const save = useAction(async (form) => {
    const body = Object.fromEntries([...kinds, "drop_text"].map((name) => [name, form.get(name) === "on"]));
    body.custom = custom.filter((c) => c.name.trim() || c.pattern).map((c) => ({ name: c.name.trim(), pattern: c.pattern }));
    await api("/api/v1/redaction", { method: "PUT", query: { project }, body });
    onSaved(`Saved the rules of ${where}; they apply to data ingested from now on.`);
  });
  const remove = useAction(async () => {
    await api("/api/v1/redaction", { method: "DELETE", query: { project } });
    onSaved(`Removed the rules of ${where}.`);
  });
  const change = (index, part) => setCustom(custom.map((c, i) => (i === index ? { ...c, ...part } : c)));
  return html`<form class="redaction-editor" onSubmit=${save.submit} aria-label=${`Redaction rules of ${where}`}>
    <h3>Rules of ${where}</h3>
    <fieldset><legend>Mask</legend>
      ${kinds.map((kind) => html`<label class="inline"><input type="checkbox" name=${kind} defaultChecked=${config[kind]} /> ${KINDS[kind] || kind}</label>`)}
    </fieldset>
    <fieldset><legend>Custom patterns (regular expressions, each masked as [NAME])</legend>
      ${custom.map((c, index) => html`<div class="pattern-row">
        <label>Name <input aria-label="Pattern name" value=${c.name} maxlength="40" placeholder="order_id"
          onInput=${(e) => change(index, { name: e.currentTarget.value })} /></label>
        <label class="wide">Pattern <input aria-label="Pattern" value=${c.pattern} maxlength="500" placeholder="ORD-[0-9]{6}"
          onInput=${(e) => change(index, { pattern: e.currentTarget.value })} /></label>
        <button type="button" class="ghost" onClick=${() => setCustom(custom.filter((_, i) => i !== index))}>Remove</button>
      </div>`)}
      <button type="button" class="ghost" disabled=${custom.length >= 20} onClick=${() => setCustom([...custom, { name: "", pattern: "" }])}>Add pattern</button>
    </fieldset>
    <label class="inline"><input type="checkbox" name="drop_text" defaultChecked=${config.drop_text} /> Drop prompt, output and document text altogether</label>
    <div class="actions">
      <button type="submit" class="primary" disabled=${save.busy}>Save rules</button>
      <button type="button" class="ghost" disabled=${remove.busy} onClick=${() => remove.run()}>Remove these rules</button>
    </div>
    <${ErrorNote} error=${save.error || remove.error} />
  </form>`;
}

export function Redaction({ me }) {
  const rules = useLoad(() => api("/api/v1/redaction"), []);
  const [target, setTarget] = useState("");
  const [saved, setSaved] = useState(null);
  if (rules.loading && !rules.data) return html`<${Loading} what="Loading redaction rules" />`;
  if (rules.error) return html`<${ErrorNote} error=${rules.error} />`;
  const { account, projects, effective_default: fallback, kinds } = rules.data;
  const manage = can(me, "manageRedaction");
  const chosen = (target && projects[target]) || (target && account) || account || fallback;
  const edit = (project) => {
    setSaved(null);
    setTarget(project);
  };
  const pick = (event) => {
    event.preventDefault();
    edit(new FormData(event.currentTarget).get("project").trim());
  };
  const rows = [["", account || fallback, !account], ...Object.entries(projects).map(([name, config]) => [name, config, false])];
  return html`<table class="list" aria-label="Redaction rules">
      <thead><tr><th>Applies to</th><th>Rules</th><th></th></tr></thead>
      <tbody>${rows.map(([project, config, isDefault]) => html`<tr data-project=${project}>
        <td>${project || html`<span class="muted">the account${isDefault ? " (default)" : ""}</span>`}</td>
        <td>${summary(config, kinds)}</td>
        <td class="actions">${manage && html`<button type="button" class="ghost" onClick=${() => edit(project)}>Edit</button>`}</td>
      </tr>`)}</tbody>
    </table>
    ${saved && html`<p class="note good" role="status">${saved}</p>`}
    ${manage && html`<form class="filters compact" onSubmit=${pick} aria-label="Edit the rules of a project">
        <label>Project <input name="project" maxlength="256" placeholder="a project's name" /></label>
        <div class="actions"><button type="submit" class="ghost">Edit its rules</button></div>
      </form>
      <${Editor} key=${`${target}:${JSON.stringify(chosen)}`} project=${target} config=${chosen} kinds=${kinds}
        onSaved=${(message) => { rules.reload(); setSaved(message); }} />`}
    ${!manage && html`<p class="muted">Only owners and admins change the rules.</p>`}`;
}
