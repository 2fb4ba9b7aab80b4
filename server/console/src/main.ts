// tenantkv's web console. Signs in with a tenant admin's API key or the
// operator token, keeps it in this tab's sessionStorage only and sends it
// as `Authorization: Bearer` (no cookie, so no CSRF surface). Everything
// the server returns is put on the page as text, never as markup.
import { api, ApiError, clearToken, readToken, saveToken } from "./api";
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

function tenantViews(tenant: string): View[] {
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
        const storage = u.storage as Json | undefined;
        if (storage) m.append(section("Storage", kvTable(storage)));
      },
    },
    {
      title: "Quota",
      render: async (m) => {
        const q = (await api("GET", `/admin/v1/tenants/${t}/quota`)) as Json;
        m.append(section(`Quota manifest v${String(q.version ?? "")}`, kvTable((q.quota ?? q) as Json)));
        const h = (await api("GET", `/admin/v1/tenants/${t}/quota/history?limit=20`)) as Json;
        const versions = (h.versions ?? []) as Json[];
        m.append(
          section(
            "History",
            listTable(versions.map((v) => ({ version: v.version, at: v.created_at ?? v.at, changes: v.changes }))),
          ),
        );
      },
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
        const tenants = ((await api("GET", "/admin/v1/tenants")) as Json).tenants as Json[];
        const draw = () => {
          const shown = tenants.filter((x) => String(x.id).includes(search.value.trim()));
          listed.replaceChildren(
            listTable(shown, (row) => {
              const open = el("button", "Open");
              open.addEventListener("click", () => void drill(String(row.id), detail));
              return open;
            }),
          );
        };
        search.addEventListener("input", draw);
        draw();
        m.append(section(`Tenants (${tenants.length})`, search, listed), detail);
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
    into.append(section(`Tenant ${id}`, kvTable((await api("GET", `/admin/v1/tenants/${t}`)) as Json)));
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
  const token = el("input");
  token.type = "password";
  token.autocomplete = "off";
  token.placeholder = "API key of a tenant admin, or the operator token";
  token.size = 60;
  const go = el("button", "Sign in");
  go.type = "submit";
  form.append(token, go);
  const err = el("p", message, "error");
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    saveToken(token.value.trim());
    start();
  });
  main.replaceChildren(section("Sign in", form, err));
}

// Who the token is: a tenant key answers /v1/usage with its tenant; the
// operator token is refused there with tenant_token_required.
async function start(): Promise<void> {
  if (!readToken()) return signInForm();
  try {
    const u = (await api("GET", "/v1/usage")) as Json;
    signOut.hidden = false;
    showViews(tenantViews(String(u.tenant)));
  } catch (e) {
    if (e instanceof ApiError && e.code === "tenant_token_required") {
      signOut.hidden = false;
      showViews(operatorViews());
      return;
    }
    clearToken();
    signInForm(errorText(e));
  }
}

void start();
