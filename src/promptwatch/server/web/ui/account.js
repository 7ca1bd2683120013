// Settings → Account & billing: the account and billing profiles (P7; the billing profile is editable by
// owners only), plan, metering and invoices, my contact preferences (P6, P17), my referrals (P12) and the
// account's usage-statistics opt-out (P4).
import { html, useState } from "./lib.js";
import { api } from "./api.js";
import { when } from "./format.js";
import { ErrorNote, Facts, Loading, Panel, useAction, useLoad } from "./widgets.js";
import { Invoices, PlanAndUsage } from "./invoices.js";
import { Referrals } from "./referrals.js";
import { can } from "./permissions.js";

const PROFILE = [
  { name: "name", label: "Name", max: 200 },
  { name: "company", label: "Company", max: 200 },
  { name: "address", label: "Address", max: 2000, long: true },
  { name: "contact_email", label: "Contact e-mail", max: 320, type: "email" },
];
const BILLING = [
  { name: "billing_name", label: "Billing name", max: 200 },
  { name: "billing_address", label: "Billing address", max: 2000, long: true },
  { name: "country", label: "Country (ISO code)", max: 2, min: 2 },
  { name: "vat_id", label: "VAT id", max: 50 },
  { name: "billing_email", label: "Billing e-mail", max: 320, type: "email" },
];

function Field({ field, value }) {
  const common = { name: field.name, maxlength: field.max, minlength: field.min, defaultValue: value || "" };
  return html`<label class=${field.long ? "wide" : ""}>${field.label}
    ${field.long ? html`<textarea rows="3" ...${common} />` : html`<input type=${field.type || "text"} ...${common} />`}
  </label>`;
}

// one profile: GET it, and PUT the form's values (an empty field clears it) when `editable`
function ProfileForm({ path, fields, editable, label, readOnlyNote }) {
  const profile = useLoad(() => api(path), [path]);
  const [saved, setSaved] = useState(0);
  const action = useAction(async (form) => {
    const body = Object.fromEntries(fields.map((f) => [f.name, String(form.get(f.name)).trim() || null]));
    await api(path, { method: "PUT", body });
    profile.reload();
    setSaved((n) => n + 1);
    return "Saved.";
  });
  if (profile.error && profile.error.status === 403) return html`<p class="note">Shown to the account's owners and admins.</p>`;
  if (profile.error) return html`<${ErrorNote} error=${profile.error} />`;
  if (!profile.data) return html`<${Loading} what=${`Loading the ${label.toLowerCase()}`} />`;
  if (!editable) {
    return html`<p class="muted">${readOnlyNote}</p>
      <${Facts} items=${fields.map((f) => [f.label, profile.data[f.name]])} />`;
  }
  return html`<form class="filters profile" key=${saved} onSubmit=${action.submit} aria-label=${label}>
      ${fields.map((f) => html`<${Field} field=${f} value=${profile.data[f.name]} />`)}
      <div class="actions"><button type="submit" class="primary" disabled=${action.busy}>Save</button></div>
    </form>
    ${action.done && html`<p class="note good" role="status">${action.done}</p>`}
    <${ErrorNote} error=${action.error} />`;
}

// a setting read from `path` and changed with PUT: a change shows at once, then as the server answered it
function useSetting(path) {
  const loaded = useLoad(() => api(path), [path]);
  const [shown, setShown] = useState(null);
  const value = shown || loaded.data;
  const action = useAction(async (body, expected) => {
    setShown({ ...value, ...expected });
    try {
      setShown(await api(path, { method: "PUT", body }));
    } catch (error) {
      setShown(null);
      throw error;
    }
  });
  return { error: loaded.error || action.error, value, action };
}

function ContactPreferences() {
  const { error, value, action } = useSetting("/api/v1/me/contact-preferences");
  if (!value) return error ? html`<${ErrorNote} error=${error} />` : html`<${Loading} what="Loading contact preferences" />`;
  const toggle = (name, label) => html`<label class="check"><input type="checkbox" name=${name} checked=${value[name]}
      disabled=${action.busy} onChange=${(e) => action.run({ [name]: e.currentTarget.checked }, { [name]: e.currentTarget.checked })} />
      ${label}</label>`;
  return html`<fieldset class="choices" aria-label="Contact preferences">
      <p class="muted">Mail to ${value.email}${value.updated_at ? `, last changed ${when(value.updated_at)}` : ""}.</p>
      ${toggle("product_news", "Product news")}
      ${toggle("promotions", "Promotions and offers")}
      <label class="check"><input type="checkbox" checked disabled /> Billing notices (always sent)</label>
      <label class="check"><input type="checkbox" checked disabled /> Legal notices, such as policy changes (always sent)</label>
    </fieldset>
    <${ErrorNote} error=${error} />`;
}

function UsageStatistics({ owner }) {
  const { error, value, action } = useSetting("/api/v1/account/usage-stats");
  if (!value) return error ? html`<${ErrorNote} error=${error} />` : html`<${Loading} what="Loading" />`;
  if (!value.instance_collects) return html`<p class="muted">This instance collects no usage statistics.</p>`;
  const choose = (counted) => action.run({ opt_out: !counted }, { account_opted_out: !counted });
  const counted = !value.account_opted_out;
  return html`<p class="muted">Counted ${value.what_is_counted}.</p>
    ${owner
      ? html`<label class="check"><input type="checkbox" name="usage_stats" checked=${counted} disabled=${action.busy}
          onChange=${(e) => choose(e.currentTarget.checked)} /> Count this account's use in the anonymous statistics</label>`
      : html`<p>This account's use is ${counted ? "" : "not "}counted in the anonymous statistics (owners change this).</p>`}
    <${ErrorNote} error=${error} />`;
}

// `me` is the caller as GET /api/v1/me describes it (null while the shell loads it)
export function AccountBilling({ me }) {
  if (!me) return html`<${Loading} what="Loading" />`;
  const person = me.user !== null;
  return html`<${Panel} id="plan-title" title="Plan and this month's usage"><${PlanAndUsage} /><//>
    <${Panel} id="profile-title" title="Account profile">
      <${ProfileForm} path="/api/v1/account/profile" fields=${PROFILE} label="Account profile"
        editable=${can(me, "editAccountProfile")} readOnlyNote="Owners and admins change the account profile." />
    <//>
    <${Panel} id="billing-title" title="Billing profile">
      <${ProfileForm} path="/api/v1/account/billing-profile" fields=${BILLING} label="Billing profile"
        editable=${can(me, "editBillingProfile")} readOnlyNote="Only owners change the billing profile; invoices are addressed with it." />
    <//>
    <${Panel} id="invoices-title" title="Invoices"><${Invoices} /><//>
    ${person && html`<${Panel} id="contact-title" title="Mail you get"><${ContactPreferences} /><//>`}
    ${person && html`<${Panel} id="referrals-title" title="Invite people"><${Referrals} /><//>`}
    <${Panel} id="stats-title" title="Usage statistics"><${UsageStatistics} owner=${can(me, "setUsageStatistics")} /><//>`;
}
