// Quota change requests. The tenant admin files one (fields past its
// plan's range, a reason, an optional expiry) and follows its own; the
// operator lists them by state and approves or rejects each, with a
// comment. The server judges everything (four eyes, capacity, expiry); a
// refusal shows its message, and what the server returns is shown as text.
import { api } from "./api";
import { assignmentsOrSay, toRfc3339 } from "./addons";
import { el, errorText, input, labelled, listTable, section, submit } from "./render";

type Json = Record<string, unknown>;

const fieldsText = (fields: unknown) =>
  Object.entries((fields ?? {}) as Record<string, unknown>)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(" ");

function rowOf(r: Json): Json {
  return {
    id: r.id,
    tenant: r.tenant,
    state: r.state,
    fields: fieldsText(r.fields),
    reason: r.reason,
    until: r.expires_at ?? "",
    approvals: ((r.approvals ?? []) as Json[]).map((a) => String(a.by)).join(", "),
    decision: r.decided_by === undefined ? "" : `${String(r.decided_by)}${r.comment ? `: ${String(r.comment)}` : ""}`,
    version: r.manifest_version ?? "",
    filed: r.created_at,
  };
}

// Up to `pages` pages of 100 from a list route answering {requests, next}.
async function listAll(path: string, pages = 5): Promise<{ rows: Json[]; more: boolean }> {
  const rows: Json[] = [];
  let next: string | null = null;
  for (let i = 0; i < pages; i++) {
    const sep = path.includes("?") ? "&" : "?";
    const after: string = next === null ? "" : `&start_after=${encodeURIComponent(next)}`;
    const page = (await api("GET", `${path}${sep}limit=100${after}`)) as Json;
    rows.push(...((page.requests ?? []) as Json[]));
    next = typeof page.next === "string" ? page.next : null;
    if (next === null) return { rows, more: false };
  }
  return { rows, more: true };
}

// The tenant admin's section: the form and its own requests, newest first.
export async function renderTenantRequests(m: HTMLElement, alive: () => boolean): Promise<void> {
  const listBox = el("div");
  const result = el("div");
  const show = async () => {
    const { rows, more } = await listAll("/v1/quota/requests");
    if (!alive()) return;
    listBox.replaceChildren(listTable(rows.reverse().map(rowOf)));
    if (more) listBox.append(el("p", "Older requests follow: see GET /v1/quota/requests.", "note"));
  };
  const form = el("form", "", "request-form");
  const fields = input("fields", { placeholder: "requests_per_sec=5000" });
  const reason = input("reason", { placeholder: "reason (required)", maxLength: 1024 });
  const expires = input("expires_at", {
    type: "datetime-local",
    title: "until (optional, your local time): a temporary grant",
  });
  form.append(labelled("Fields ", fields), labelled(" ", reason), labelled(" until ", expires), submit("File request"));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    result.replaceChildren();
    const values = assignmentsOrSay(fields.value, result);
    if (values === null) return;
    const body: Json = { fields: values, reason: reason.value };
    const until = toRfc3339(expires.value);
    if (until !== undefined) body.expires_at = until;
    try {
      const made = (await api("POST", "/v1/quota/requests", body)) as Json;
      result.append(el("p", `Request ${String(made.id)} ${String(made.state)}`, "note"));
      await show();
    } catch (e) {
      result.append(el("p", errorText(e), "error"));
    }
  });
  await show();
  if (!alive()) return;
  m.append(
    section(
      "Quota requests: more than the plan's range, for the operator to approve",
      form,
      result,
      listBox,
    ),
  );
}

// The operator's view: requests by state, with approve and reject on the
// pending ones and a comment that goes with the decision.
export async function renderOperatorRequests(m: HTMLElement, alive: () => boolean): Promise<void> {
  const filter = el("form", "", "inline filters");
  const state = el("select");
  state.name = "state";
  for (const s of ["pending", "approved", "rejected", ""]) state.append(new Option(s === "" ? "any state" : s, s));
  const tenant = input("tenant", { placeholder: "tenant (optional)" });
  filter.append(state, tenant, submit("Show"));
  const comment = input("comment", { placeholder: "comment for the decision (optional)", maxLength: 1024, size: 50 });
  const result = el("div");
  const listBox = el("div");
  const decide = (row: Json, verb: "approve" | "reject") => {
    const b = el("button", verb === "approve" ? "Approve" : "Reject");
    b.type = "button";
    b.dataset.request = String(row.id);
    b.dataset.verb = verb;
    b.disabled = row.state !== "pending";
    b.addEventListener("click", async () => {
      result.replaceChildren();
      const body: Json = comment.value.trim() === "" ? {} : { comment: comment.value };
      try {
        const r = (await api("POST", `/admin/v1/quota-requests/${encodeURIComponent(String(row.id))}/${verb}`, body)) as Json;
        const n = ((r.approvals ?? []) as Json[]).length;
        result.append(
          el(
            "p",
            r.state === "pending"
              ? `Request ${String(r.id)}: approval ${n} recorded; another operator must approve it.`
              : `Request ${String(r.id)} ${String(r.state)}${r.manifest_version ? `, quota version ${String(r.manifest_version)}` : ""}.`,
            "note",
          ),
        );
        await show();
      } catch (e) {
        result.append(el("p", errorText(e), "error"));
      }
    });
    return b;
  };
  const show = async () => {
    const q = new URLSearchParams();
    if (state.value) q.set("state", state.value);
    if (tenant.value.trim()) q.set("tenant", tenant.value.trim());
    const { rows, more } = await listAll(`/admin/v1/quota-requests${q.toString() ? `?${q.toString()}` : ""}`);
    if (!alive()) return;
    listBox.replaceChildren(
      listTable(rows.reverse().map(rowOf), (row) => {
        const cell = el("span");
        cell.append(decide(row, "approve"), " ", decide(row, "reject"));
        return cell;
      }),
    );
    if (more) listBox.append(el("p", "More follow: see tenantkv-admin requests list.", "note"));
  };
  filter.addEventListener("submit", (ev) => {
    ev.preventDefault();
    result.replaceChildren();
    show().catch((e) => result.append(el("p", errorText(e), "error")));
  });
  await show();
  if (!alive()) return;
  m.append(section("Quota requests, newest first", filter, comment, result, listBox));
}
