// tenantkv's web console. Signs in with a tenant admin's API key or the
// operator token, keeps it in this tab's sessionStorage only and sends it
// as `Authorization: Bearer` (no cookie, so no CSRF surface). Everything
// the server returns is put on the page as text, never as markup.
import { api, clearToken, readToken, saveToken } from "./api";
import { historySection, renderUsage } from "./usage";
import { renderAddons } from "./addons";
import { renderAlerts } from "./alerts";
import { renderQuota } from "./quota";
import { renderOperatorRequests, renderTenantRequests } from "./requests";
import { el, errorText, input, kvTable, listTable, section, submit } from "./render";

type Json = Record<string, unknown>;

// A view renders into its own container; `alive()` turns false once
// another view (or sign-out) replaced it, so a late answer or a refresh
// timer of an old view never writes into the new one.
interface View {
  title: string;
  render: (main: HTMLElement, alive: () => boolean) => Promise<void>;
}

const main = document.getElementById("main") as HTMLElement;
const nav = document.getElementById("nav") as HTMLElement;
const signOut = document.getElementById("sign-out") as HTMLButtonElement;
let generation = 0;

signOut.addEventListener("click", () => {
  generation++;
  clearToken();
  void start();
});

function showViews(views: View[], first = 0): void {
  nav.replaceChildren();
  const links = views.map((v, i) => {
    const a = el("a", v.title);
    a.addEventListener("click", () => open(i));
    nav.append(a);
    return a;
  });
  const open = (i: number) => {
    const mine = ++generation;
    const alive = () => mine === generation;
    links.forEach((a, j) => a.classList.toggle("current", i === j));
    const box = el("div");
    main.replaceChildren(box);
    views[i].render(box, alive).catch((e) => {
      if (alive()) box.append(section("Error", el("p", errorText(e), "error")));
    });
  };
  open(first);
}

// --- the tenant admin -------------------------------------------------------

function tenantViews(tenant: string, plan: string): View[] {
  const t = encodeURIComponent(tenant);
  return [
    { title: "Usage", render: (m, alive) => renderUsage(m, tenant, alive) },
    {
      title: "Quota",
      render: async (m, alive) => {
        await renderQuota(m, t, plan, "tenant", alive);
        if (alive()) await renderAddons(m, t, "tenant", alive);
        if (alive()) await renderTenantRequests(m, alive);
      },
    },
    { title: "API keys", render: async (m) => renderApiKeys(m, t) },
    { title: "Alerts", render: (m, alive) => renderAlerts(m, "/v1/webhooks", "Alert webhooks of this tenant", true, alive) },
    { title: "Data keys", render: async (m) => renderDataKeys(m, t) },
    {
      title: "Audit",
      render: async (m) => {
        const a = (await api("GET", `/admin/v1/audit?tenant=${t}&limit=200`)) as Json;
        m.append(section("Audit entries of this tenant", auditTable((a.entries ?? []) as Json[])));
      },
    },
  ];
}

// Audit entries, newest first; `details` is the entry's JSON, shown as text.
function auditTable(entries: Json[]): HTMLElement {
  return listTable([...entries].reverse());
}

async function renderDataKeys(m: HTMLElement, t: string): Promise<void> {
  const k = (await api("GET", `/admin/v1/tenants/${t}/keys`)) as Json;
  const versions = (k.versions ?? []) as Json[];
  m.append(section("Data-key versions", listTable(versions)));
  // Re-encryption progress: the values still sealed under retiring versions.
  const total = versions.reduce((a, v) => a + Number(v.values ?? 0), 0);
  const left = versions.filter((v) => v.state === "retiring").reduce((a, v) => a + Number(v.values ?? 0), 0);
  const progress = el("p", "", "note");
  if (k.reencrypting) {
    const bar = el("progress");
    bar.max = total > 0 ? total : 1;
    bar.value = total - left;
    progress.append(`Re-encryption running: ${left} of ${total} values still on retiring versions. `, bar);
  } else {
    progress.textContent = left > 0 ? `${left} values on retiring versions; re-encryption pending.` : "Re-encryption idle: every value is on the current version.";
  }
  m.append(section("Re-encryption", progress));
}

async function renderApiKeys(m: HTMLElement, t: string): Promise<void> {
  const out = el("div");
  const form = el("form");
  form.className = "inline";
  const role = el("select");
  role.name = "role";
  for (const r of ["read", "write", "admin"]) role.append(new Option(r, r));
  const name = input("name", { placeholder: "name (optional)", maxLength: 128 });
  const expires = input("expires_at", { type: "datetime-local", title: "expires at (optional, your local time)" });
  form.append(el("span", "New key with role"), role, name, el("span", "expires"), expires, submit("Create key"));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    out.replaceChildren();
    try {
      const body: Json = { role: role.value };
      if (name.value !== "") body.name = name.value;
      // datetime-local is the browser's local time; the server takes RFC 3339.
      if (expires.value !== "") body.expires_at = new Date(expires.value).toISOString().replace(/\.\d{3}Z$/, "Z");
      const made = (await api("POST", `/admin/v1/tenants/${t}/apikeys`, body)) as Json;
      const token = String(made.token ?? "");
      const copy = el("button", "Copy");
      copy.type = "button";
      copy.addEventListener("click", () => void navigator.clipboard.writeText(token));
      out.append(
        el("p", "The key is shown once. Copy it now:", "note"),
        el("p", token, "secret"),
        copy,
      );
      await list();
    } catch (e) {
      out.append(el("p", errorText(e), "error"));
    }
  });
  const listed = el("div");
  const list = async () => {
    const keys = ((await api("GET", `/admin/v1/tenants/${t}/apikeys`)) as Json).keys as Json[];
    const table = listTable(keys, (row) => {
      const revoke = el("button", "Revoke");
      revoke.addEventListener("click", async () => {
        try {
          await api("DELETE", `/admin/v1/tenants/${t}/apikeys/${encodeURIComponent(String(row.key_id))}`);
          await list();
        } catch (e) {
          out.replaceChildren(el("p", errorText(e), "error"));
        }
      });
      return revoke;
    });
    listed.replaceChildren(table);
  };
  await list();
  m.append(section("API keys", form, out, listed));
}

// --- the operator -----------------------------------------------------------

const sumOf = (o: unknown) => Object.values((o ?? {}) as Record<string, number>).reduce((a, b) => a + Number(b || 0), 0);

function operatorViews(): View[] {
  return [
    { title: "Tenants", render: (m, alive) => renderTenants(m, alive) },
    {
      title: "Plans",
      render: async (m) => {
        const plans = ((await api("GET", "/admin/v1/plans")) as Json).plans as Json[];
        for (const p of plans) m.append(section(`Plan ${String(p.name)}`, kvTable(p)));
      },
    },
    { title: "Requests", render: (m, alive) => renderOperatorRequests(m, alive) },
    {
      title: "Alerts",
      render: (m, alive) => renderAlerts(m, "/admin/v1/webhooks", "Global alert webhooks: every tenant's events", true, alive),
    },
    { title: "Keys", render: (m, alive) => renderKeys(m, alive) },
    {
      title: "Audit",
      render: async (m) => {
        m.append(section("Chain check", kvTable((await api("GET", "/admin/v1/audit/verify")) as Json)));
        const a = (await api("GET", "/admin/v1/audit?limit=200")) as Json;
        m.append(section("Entries, newest first", auditTable((a.entries ?? []) as Json[])));
      },
    },
  ];
}

// The tenant list: searched by id prefix and filtered by the server, in
// pages of 100 with more on demand; usage and refusals at a glance.
async function renderTenants(m: HTMLElement, alive: () => boolean): Promise<void> {
  const form = el("form", "", "inline filters");
  const search = el("input");
  search.name = "prefix";
  search.placeholder = "id starts with";
  const plans = ((await api("GET", "/admin/v1/plans")) as Json).plans as Json[];
  const select = (name: string, options: string[]) => {
    const s = el("select");
    s.name = name;
    s.append(new Option(`any ${name}`, ""));
    for (const o of options) s.append(new Option(o, o));
    return s;
  };
  const plan = select("plan", plans.map((p) => String(p.name)));
  const tier = select("tier", ["pooled", "column_family", "dedicated"]);
  const state = select("state", ["active", "suspended", "deleting"]);
  const go = el("button", "Search");
  go.type = "submit";
  form.append(search, plan, tier, state, go);
  const listed = el("div");
  const status = el("p", "", "note");
  const detail = el("div");
  const more = el("button", "Load more");
  more.type = "button";
  let rows: Json[] = [];
  let next: string | null = null;
  let query = "";
  const load = async () => {
    const after = next === null ? "" : `&start_after=${encodeURIComponent(next)}`;
    const page = (await api("GET", `/admin/v1/tenants?limit=100${query}${after}`)) as Json;
    if (!alive()) return;
    for (const x of (page.tenants ?? []) as Json[]) {
      const usage = (x.usage ?? {}) as Json;
      rows.push({
        id: x.id,
        plan: x.plan,
        tier: x.tier,
        state: x.state,
        keys: usage.keys,
        bytes: usage.logical_bytes,
        refused: x.throttled === undefined ? "" : sumOf(x.throttled),
        created_at: x.created_at,
      });
    }
    next = typeof page.next === "string" ? page.next : null;
    more.hidden = next === null;
    status.textContent = `${rows.length} tenant(s) shown${next === null ? "" : "; more follow"}.`;
    listed.replaceChildren(
      listTable(rows, (row) => {
        const open = el("button", "Open");
        open.type = "button";
        open.addEventListener("click", () => void drill(String(row.id), detail, alive));
        return open;
      }),
    );
  };
  const fresh = async () => {
    const params = new URLSearchParams();
    if (search.value.trim()) params.set("prefix", search.value.trim());
    for (const s of [plan, tier, state]) if (s.value) params.set(s.name, s.value);
    query = params.toString() ? `&${params.toString()}` : "";
    rows = [];
    next = null;
    await load();
  };
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    fresh().catch((e) => listed.replaceChildren(el("p", errorText(e), "error")));
  });
  more.addEventListener("click", () => {
    load().catch((e) => listed.replaceChildren(el("p", errorText(e), "error")));
  });
  await fresh();
  m.append(section("Tenants", form, status, listed, more), detail);
}

// One tenant, for the operator: what it is, its usage history and
// refusals, its quota (with revert), its data keys and its audit entries.
let drilled = 0;
async function drill(id: string, into: HTMLElement, viewAlive: () => boolean): Promise<void> {
  const mine = ++drilled;
  const alive = () => viewAlive() && mine === drilled;  // another Open replaces this one
  const t = encodeURIComponent(id);
  into.replaceChildren();
  try {
    const tenant = (await api("GET", `/admin/v1/tenants/${t}`)) as Json;
    if (!alive()) return;
    const shown: Json = { ...tenant };
    delete shown.quota;  // below, with its history
    delete shown.key_versions;
    delete shown.throttled;
    into.append(section(`Tenant ${id}`, kvTable(shown)));
    if (tenant.state === "deleting") return;  // its store is closed: nothing more to show
    const refused = Object.entries((tenant.throttled ?? {}) as Record<string, number>)
      .filter(([, n]) => n > 0)
      .map(([reason, n]) => ({ reason, refused: n }));
    const history = historySection(`/admin/v1/tenants/${t}/usage/history`, alive);
    await history.load();
    into.append(history.node, section("Refused requests since the server started, by reason", listTable(refused)));
    const quota = el("div");
    await renderQuota(quota, t, String(tenant.plan ?? ""), "operator", alive);
    await renderAddons(quota, t, "operator", alive);
    await renderAlerts(quota, `/admin/v1/tenants/${t}/webhooks`, "Its alert webhooks (set by its admin)", false, alive);
    const keys = el("div");
    await renderDataKeys(keys, t);
    const a = (await api("GET", `/admin/v1/audit?tenant=${t}&limit=50`)) as Json;
    if (!alive()) return;
    into.append(quota, keys, section("Audit entries of this tenant, newest first", auditTable((a.entries ?? []) as Json[])));
  } catch (e) {
    if (alive()) into.append(el("p", errorText(e), "error"));
  }
}

// Keys: the rotation policy and its last sweep, what falls due within a
// week, and the master key's status.
async function renderKeys(m: HTMLElement, alive: () => boolean): Promise<void> {
  const rotation = (await api("GET", "/admin/v1/keys/rotation")) as Json;
  const schedule = (await api("GET", "/admin/v1/keys/schedule?due_within_days=7&limit=200")) as Json;
  const master = (await api("GET", "/admin/v1/master-key")) as Json;
  if (!alive()) return;
  const policy = (rotation.policy ?? {}) as Json;
  m.append(
    section(
      "Rotation schedule",
      el(
        "p",
        `Data keys rotate after ${String(policy.max_age_days)} days or ${String(policy.max_seals)} seals; ` +
          (Number(policy.check_interval_sec) > 0
            ? `the server checks every ${String(policy.check_interval_sec)} s.`
            : "the server has no timer: run tenantkv-admin keys rotate --due."),
        "note",
      ),
      kvTable({ sweeps: rotation.sweeps, last_sweep: rotation.last_sweep }),
    ),
  );
  const due = (schedule.tenants ?? []) as Json[];
  const list = section(
    "Due now or within 7 days",
    listTable(due.map((d) => ({ tenant: d.tenant, version: d.version, created_at: d.created_at, seals: d.seals, due_at: d.due_at, due_now: d.due ?? "" }))),
  );
  if (schedule.next !== null && schedule.next !== undefined) {
    list.append(el("p", "More tenants follow: see tenantkv-admin keys schedule --due-within-days 7 --all.", "note"));
  }
  m.append(list, section("Master key", kvTable(master)));
}

// --- signing in ---------------------------------------------------------------

function signInForm(message = ""): void {
  nav.replaceChildren();
  signOut.hidden = true;
  const form = el("form");
  form.className = "inline";
  const kind = el("select");
  kind.name = "kind";
  kind.append(new Option("tenant admin API key", "tenant"), new Option("operator token", "operator"));
  const token = el("input");
  token.type = "password";
  token.autocomplete = "off";
  token.placeholder = "key or token";
  token.size = 60;
  const go = el("button", "Sign in");
  go.type = "submit";
  form.append(kind, token, go);
  const err = el("p", message, "error");
  if (!message) err.hidden = true;
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    saveToken(token.value.trim(), kind.value === "operator" ? "operator" : "tenant");
    void start();
  });
  main.replaceChildren(section("Sign in", form, err));
}

// The tenant key's views start from /v1/usage, which names its tenant and
// plan; the operator's from the plan list, which only the operator may read.
async function start(): Promise<void> {
  const who = readToken();
  if (!who.token) return signInForm();
  try {
    if (who.kind === "operator") {
      await api("GET", "/admin/v1/plans");
      signOut.hidden = false;
      showViews(operatorViews());
    } else {
      const u = (await api("GET", "/v1/usage")) as Json;
      signOut.hidden = false;
      showViews(tenantViews(String(u.tenant), String(u.plan ?? "")));
    }
  } catch (e) {
    clearToken();
    signInForm(errorText(e));
  }
}

void start();
