// A tenant's quota: its fields with the plan's range and a form to change
// them, and its history with a way back to an earlier version. The server
// decides every change: a tenant admin's edit outside the plan's range is
// refused with the server's message, shown as it is.
import { api } from "./api";
import { el, errorText, listTable, section } from "./render";

type Json = Record<string, unknown>;

export type QuotaRole = "tenant" | "operator";

function diffTable(made: Json): HTMLElement {
  const diff = Object.entries((made.changes ?? {}) as Record<string, unknown[]>).map(([field, ov]) => ({
    field,
    from: ov[0],
    to: ov[1],
  }));
  return listTable(diff);
}

// Every version, newest first; the history is paged oldest first, so the
// pages are followed (at most `maxPages` of 1000).
async function allVersions(t: string, maxPages = 10): Promise<Json[]> {
  const out: Json[] = [];
  let after: unknown = null;
  for (let i = 0; i < maxPages; i++) {
    const q = after === null ? "" : `&start_after=${encodeURIComponent(String(after))}`;
    const page = (await api("GET", `/admin/v1/tenants/${t}/quota/history?limit=1000${q}`)) as Json;
    out.push(...((page.versions ?? []) as Json[]));
    after = page.next ?? null;
    if (after === null) break;
  }
  return out.reverse();
}

// The quota view of tenant `t` (URL-encoded id). A tenant admin changes
// fields within its plan's range and goes back to an earlier version by
// setting its values again (judged like any edit); the operator uses the
// revert route, which makes a new version equal to the old one.
export async function renderQuota(m: HTMLElement, t: string, plan: string, role: QuotaRole, alive: () => boolean): Promise<void> {
  const q = (await api("GET", `/admin/v1/tenants/${t}/quota`)) as Json;
  const fields = (q.quota ?? {}) as Record<string, number>;
  const range = plan ? ((await api("GET", `/admin/v1/plans/${encodeURIComponent(plan)}`)) as Json) : {};
  if (!alive()) return;
  const min = (range.min ?? {}) as Record<string, unknown>;
  const max = (range.max ?? {}) as Record<string, unknown>;
  const form = el("form", "", "quota-form");
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
    const cellOf = (v: unknown) => el("td", v === undefined ? "" : String(v), "num");
    const inputCell = el("td");
    inputCell.append(input);
    tr.append(el("th", name), cellOf(value), cellOf(min[name]), cellOf(max[name]), inputCell);
    table.append(tr);
  }
  const save = el("button", "Change quota");
  save.type = "submit";
  const result = el("div");
  form.append(table, save, result);
  const historyBox = el("div");
  const showHistory = async () => {
    const versions = await allVersions(t);
    if (!alive()) return;
    const current = Number(q.version ?? 0);
    const rows = versions.slice(0, 50).map((v) => ({
      version: v.version,
      by: v.updated_by,
      at: v.updated_at,
      changes: v.changes,
    }));
    historyBox.replaceChildren(
      listTable(rows, (row) => {
        const back = el("button", role === "operator" ? "Revert to this" : "Restore these values");
        back.type = "button";
        back.dataset.version = String(row.version);
        back.disabled = Number(row.version) === current;
        back.addEventListener("click", () => void restore(Number(row.version), versions));
        return back;
      }),
    );
    if (versions.length > 50) historyBox.append(el("p", `${versions.length - 50} older versions not shown.`, "note"));
  };
  const done = async (made: Json) => {
    result.replaceChildren(el("p", `Manifest version ${String(made.version)}`, "note"), diffTable(made));
    q.version = made.version;
    await showHistory();
  };
  const restore = async (version: number, versions: Json[]) => {
    result.replaceChildren();
    try {
      if (role === "operator") {
        await done((await api("POST", `/admin/v1/tenants/${t}/quota/revert`, { version })) as Json);
      } else {
        const old = versions.find((v) => Number(v.version) === version);
        await done((await api("PUT", `/admin/v1/tenants/${t}/quota`, (old?.quota ?? {}) as Json)) as Json);
      }
    } catch (e) {
      result.append(el("p", errorText(e), "error"));
    }
  };
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
      await done((await api("PUT", `/admin/v1/tenants/${t}/quota`, change)) as Json);
    } catch (e) {
      result.append(el("p", errorText(e), "error"));
    }
  });
  await showHistory();
  m.append(section(`Quota (manifest v${String(q.version ?? "")}, plan ${plan})`, form), section("Quota history, newest first", historyBox));
}
