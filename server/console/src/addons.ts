// A tenant's add-ons (temporary quota boosts): the list for both roles;
// for the operator, a form to grant one and a cancel button on the open
// ones. The server judges every value and time; a refusal shows its message.
import { api } from "./api";
import { el, errorText, input, labelled, listTable, section, submit } from "./render";

type Json = Record<string, unknown>;

function fieldsText(fields: unknown): string {
  return Object.entries((fields ?? {}) as Record<string, unknown>)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(" ");
}

// "requests_per_sec=3000 burst_requests=6000" into {field: value}; null
// when a part is not FIELD=INTEGER.
export function parseAssignments(text: string): Record<string, number> | null {
  const out: Record<string, number> = {};
  const parts = text.split(/[\s,]+/).filter((p) => p !== "");
  if (parts.length === 0) return null;
  for (const p of parts) {
    const m = /^([a-z0-9_]+)=(-?\d+)$/.exec(p);
    if (!m) return null;
    out[m[1]] = Number(m[2]);
  }
  return out;
}

// parseAssignments of `text`, or null after putting the rule in `result`.
export function assignmentsOrSay(text: string, result: HTMLElement): Record<string, number> | null {
  const values = parseAssignments(text);
  if (values === null) result.append(el("p", "Fields are FIELD=INTEGER, separated by spaces.", "error"));
  return values;
}

// A datetime-local input's value (the browser's local time) as RFC 3339 UTC.
export function toRfc3339(local: string): string | undefined {
  if (local.trim() === "") return undefined;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? "invalid" : d.toISOString();
}

export async function renderAddons(m: HTMLElement, t: string, role: "tenant" | "operator", alive: () => boolean): Promise<void> {
  const listBox = el("div");
  const result = el("div");
  const show = async () => {
    const body = (await api("GET", `/admin/v1/tenants/${t}/addons`)) as Json;
    if (!alive()) return;
    const rows = ((body.addons ?? []) as Json[])
      .slice()
      .reverse()
      .map((a) => ({
        id: a.id,
        state: a.state,
        fields: fieldsText(a.fields),
        starts_at: a.starts_at,
        ends_at: a.ends_at,
        reason: a.reason,
        by: a.created_by,
      }));
    const cancel =
      role === "operator"
        ? (row: Json) => {
            const b = el("button", "Cancel");
            b.type = "button";
            b.dataset.addon = String(row.id);
            b.disabled = row.state !== "scheduled" && row.state !== "active";
            b.addEventListener("click", async () => {
              result.replaceChildren();
              try {
                await api("DELETE", `/admin/v1/tenants/${t}/addons/${encodeURIComponent(String(row.id))}`);
                await show();
              } catch (e) {
                result.append(el("p", errorText(e), "error"));
              }
            });
            return b;
          }
        : undefined;
    listBox.replaceChildren(listTable(rows, cancel));
  };
  const children: Node[] = [listBox, result];
  if (role === "operator") {
    const form = el("form", "", "addon-form");
    const fields = input("fields", { placeholder: "requests_per_sec=3000 burst_requests=6000" });
    const starts = input("starts_at", { type: "datetime-local" });
    const ends = input("ends_at", { type: "datetime-local" });
    const reason = input("reason", { placeholder: "reason (optional)" });
    form.append(
      labelled("Fields ", fields),
      labelled(" from ", starts),
      labelled(" until ", ends),
      labelled(" ", reason),
      submit("Grant add-on"),
    );
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      result.replaceChildren();
      const values = assignmentsOrSay(fields.value, result);
      if (values === null) return;
      const body: Json = { fields: values, ends_at: toRfc3339(ends.value) ?? "" };
      const from = toRfc3339(starts.value);
      if (from !== undefined) body.starts_at = from;
      if (reason.value.trim() !== "") body.reason = reason.value;
      try {
        const made = (await api("POST", `/admin/v1/tenants/${t}/addons`, body)) as Json;
        result.append(el("p", `Add-on ${String(made.id)} ${String(made.state)}`, "note"));
        await show();
      } catch (e) {
        result.append(el("p", errorText(e), "error"));
      }
    });
    children.unshift(form);
  }
  await show();
  m.append(section("Add-ons (temporary boosts), newest first", ...children));
}
