// tenantkv's web console. Signs in with a tenant admin's API key or the
// operator token, keeps it in this tab's sessionStorage only and sends it
// as `Authorization: Bearer` (no cookie, so no CSRF surface). Everything
// the server returns is put on the page as text, never as markup.
import { api, clearToken, readToken, saveToken } from "./api";
import { el, errorText, kvTable, listTable, section } from "./render";

type Json = Record<string, unknown>;

interface View {
  title: string;
  render: (main: HTMLElement) => Promise<void>;
}

const main = document.getElementById("main") as HTMLElement;
const nav = document.getElementById("nav") as HTMLElement;
const signOut = document.getElementById("sign-out") as HTMLButtonElement;

signOut.addEventListener("click", () => {
  clearToken();
  start();
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
    links.forEach((a, j) => a.classList.toggle("current", i === j));
    main.replaceChildren();
    views[i].render(main).catch((e) => main.append(section("Error", el("p", errorText(e), "error"))));
  };
  open(first);
}

// --- the tenant admin -------------------------------------------------------

function tenantViews(tenant: string, plan: string): View[] {
  const t = encodeURIComponent(tenant);
  return [
    {
      title: "Usage",
      render: async (m) => {
        const u = (await api("GET", "/v1/usage")) as Json;
        m.append(section(`Usage of ${tenant}`, kvTable((u.usage ?? {}) as Json)));
        const quotas = (u.quotas ?? {}) as Record<string, Json>;
        m.append(
          section(
            "Quotas now",
            listTable(Object.entries(quotas).map(([name, q]) => ({ quota: name, ...q }))),
          ),
        );
        const throttled = (u.throttled ?? {}) as Json;
        m.append(section("Refused requests since the server started, by reason", kvTable(throttled)));
      },
    },
    {
      title: "Quota",
      render: async (m) => renderQuota(m, t, plan),
    },
    {
      title: "API keys",
      render: async (m) => renderApiKeys(m, t),
    },
    {
      title: "Data keys",
      render: async (m) => {
        const k = (await api("GET", `/admin/v1/tenants/${t}/keys`)) as Json;
        m.append(section("Data-key versions", listTable((k.versions ?? []) as Json[])));
        const rest: Json = { ...k };
        delete rest.versions;
        m.append(section("Re-encryption", kvTable(rest)));
      },
    },
    {
      title: "Audit",
      render: async (m) => {
        const a = (await api("GET", `/admin/v1/audit?tenant=${t}&limit=200`)) as Json;
        m.append(section("Audit entries of this tenant", listTable((a.entries ?? []) as Json[])));
      },
    },
  ];
}

// The quota fields with the plan's range; a change goes to the server,
// which decides (an edit outside the range is refused with its message).
async function renderQuota(m: HTMLElement, t: string, plan: string): Promise<void> {
  const q = (await api("GET", `/admin/v1/tenants/${t}/quota`)) as Json;
  const fields = (q.quota ?? {}) as Record<string, number>;
  const range = plan ? ((await api("GET", `/admin/v1/plans/${encodeURIComponent(plan)}`)) as Json) : {};
  const min = (range.min ?? {}) as Record<string, unknown>;
  const max = (range.max ?? {}) as Record<string, unknown>;
  const form = el("form");
  const table = el("table");
  const head = el("tr");
  for (const h of ["field", "now", "plan min", "plan max", "new value"]) head.append(el("th", h));
  table.append(head);
  const inputs: HTMLInputElement[] = [];
  for (const [name, value] of Object.entries(fields)) {
    const input = el("input");
    input.type = "number";
    input.name = name;
    input.placeholder = String(value);
    inputs.push(input);
    const tr = el("tr");
    const cellOf = (v: unknown) => {
      const td = el("td", v === undefined ? "" : String(v), "num");
      return td;
    };
    const inputCell = el("td");
    inputCell.append(input);
    tr.append(el("th", name), cellOf(value), cellOf(min[name]), cellOf(max[name]), inputCell);
    table.append(tr);
  }
  const save = el("button", "Change quota");
  save.type = "submit";
  const result = el("div");
  form.append(table, save, result);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    result.replaceChildren();
    const change: Record<string, number> = {};
    for (const input of inputs) if (input.value.trim() !== "") change[input.name] = Number(input.value);
    if (Object.keys(change).length === 0) {
      result.append(el("p", "Nothing to change.", "note"));
      return;
    }
    try {
      const made = (await api("PUT", `/admin/v1/tenants/${t}/quota`, change)) as Json;
      const diff = Object.entries((made.changes ?? {}) as Record<string, unknown[]>).map(([field, ov]) => ({
        field,
        from: ov[0],
        to: ov[1],
      }));
      result.append(el("p", `Manifest version ${String(made.version)}`, "note"), listTable(diff));
    } catch (e) {
      result.append(el("p", errorText(e), "error"));
    }
  });
  m.append(section(`Quota (manifest v${String(q.version ?? "")}, plan ${plan})`, form));
  const h = (await api("GET", `/admin/v1/tenants/${t}/quota/history?limit=20`)) as Json;
  const versions = (h.versions ?? []) as Json[];
  m.append(
    section(
      "History",
      listTable(versions.map((v) => ({ version: v.version, by: v.updated_by, at: v.updated_at, changes: v.changes }))),
    ),
  );
}

async function renderApiKeys(m: HTMLElement, t: string): Promise<void> {
  const out = el("div");
  const form = el("form");
  form.className = "inline";
  const role = el("select");
  for (const r of ["read", "write", "admin"]) role.append(new Option(r, r));
  const create = el("button", "Create key");
  create.type = "submit";
  form.append(el("span", "New key with role"), role, create);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    out.replaceChildren();
    try {
      const made = (await api("POST", `/admin/v1/tenants/${t}/apikeys`, { role: role.value })) as Json;
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

function operatorViews(): View[] {
  return [
    {
      title: "Tenants",
      render: async (m) => {
        const search = el("input");
        search.placeholder = "filter by id";
        const listed = el("div");
        const detail = el("div");
        // The list comes in pages (100 tenants each); more on demand.
        const tenants: Json[] = [];
        let next: string | null = null;
        const more = el("button", "Load more");
        more.type = "button";
        const load = async () => {
          const q = next === null ? "" : `?start_after=${encodeURIComponent(next)}`;
          const page = (await api("GET", `/admin/v1/tenants${q}`)) as Json;
          tenants.push(...((page.tenants ?? []) as Json[]));
          next = typeof page.next === "string" ? page.next : null;
          more.hidden = next === null;
        };
        await load();
        const draw = () => {
          const shown = tenants
            .filter((x) => String(x.id).includes(search.value.trim()))
            .map((x) => {
              const usage = (x.usage ?? {}) as Json;
              const row: Json = { id: x.id, plan: x.plan, state: x.state };
              if (x.tier !== undefined) row.tier = x.tier;
              return { ...row, keys: usage.keys, bytes: usage.logical_bytes, created_at: x.created_at };
            });
          listed.replaceChildren(
            listTable(shown, (row) => {
              const open = el("button", "Open");
              open.addEventListener("click", () => void drill(String(row.id), detail));
              return open;
            }),
          );
        };
        search.addEventListener("input", draw);
        more.addEventListener("click", async () => {
          await load();
          draw();
        });
        draw();
        m.append(section("Tenants", search, listed, more), detail);
      },
    },
    {
      title: "Plans",
      render: async (m) => {
        const plans = ((await api("GET", "/admin/v1/plans")) as Json).plans as Json[];
        for (const p of plans) m.append(section(`Plan ${String(p.name)}`, kvTable(p)));
      },
    },
    {
      title: "Keys",
      render: async (m) => {
        m.append(section("Rotation policy and last sweep", kvTable((await api("GET", "/admin/v1/keys/rotation")) as Json)));
        m.append(section("Master key", kvTable((await api("GET", "/admin/v1/master-key")) as Json)));
      },
    },
    {
      title: "Audit",
      render: async (m) => {
        m.append(section("Chain check", kvTable((await api("GET", "/admin/v1/audit/verify")) as Json)));
        const a = (await api("GET", "/admin/v1/audit?limit=200")) as Json;
        m.append(section("Entries", listTable((a.entries ?? []) as Json[])));
      },
    },
  ];
}

async function drill(id: string, into: HTMLElement): Promise<void> {
  const t = encodeURIComponent(id);
  into.replaceChildren();
  try {
    const shown: Json = { ...((await api("GET", `/admin/v1/tenants/${t}`)) as Json) };
    delete shown.quota;  // below, one field a row
    delete shown.key_versions;
    into.append(section(`Tenant ${id}`, kvTable(shown)));
    const q = (await api("GET", `/admin/v1/tenants/${t}/quota`)) as Json;
    into.append(section("Quota", kvTable((q.quota ?? q) as Json)));
    const k = (await api("GET", `/admin/v1/tenants/${t}/keys`)) as Json;
    into.append(section("Data-key versions", listTable((k.versions ?? []) as Json[])));
  } catch (e) {
    into.append(el("p", errorText(e), "error"));
  }
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
