// Alerts: webhook endpoints and their deliveries. The tenant admin manages
// its own (/v1/webhooks), the operator the global ones (/admin/v1/webhooks)
// and reads a tenant's (/admin/v1/tenants/{id}/webhooks). A new endpoint's
// signing secret is shown once. The server judges every URL and setting; a
// refusal shows its message, and everything it returns is shown as text.
import { api } from "./api";
import { el, errorText, input, labelled, listTable, section, submit } from "./render";

type Json = Record<string, unknown>;

export const EVENT_TYPES = [
  "quota.threshold",
  "quota.exhaustion",
  "quota.throttled",
  "key.rotated",
  "quota_request.approved",
  "quota_request.rejected",
  "storage.grace.start",
  "storage.grace.end",
];

function endpointRow(w: Json): Json {
  const settings = [
    w.threshold_pct !== undefined && w.threshold_pct !== null ? `threshold ${String(w.threshold_pct)}%` : "",
    w.exhaustion_hours !== undefined && w.exhaustion_hours !== null ? `exhaustion ${String(w.exhaustion_hours)} h` : "",
    w.throttle_per_min !== undefined && w.throttle_per_min !== null ? `throttled ${String(w.throttle_per_min)}/min` : "",
  ].filter((s) => s !== "");
  return {
    id: w.id,
    url: w.url,
    events: ((w.events ?? []) as unknown[]).map(String).join(", "),
    settings: settings.join(", "),
    description: w.description ?? "",
    created_at: w.created_at,
  };
}

function deliveryRow(d: Json): Json {
  return {
    seq: d.seq,
    event: d.event_id,
    type: d.type,
    tenant: d.tenant ?? "",
    state: d.state,
    attempts: d.attempts,
    last_status: d.last_status ?? "",
    last_error: d.last_error ?? "",
    next_attempt_at: d.next_attempt_at ?? "",
    created_at: d.created_at,
  };
}

// `base` lists the endpoints ("/v1/webhooks", "/admin/v1/webhooks" or a
// tenant's "/admin/v1/tenants/{id}/webhooks"); `manage`: create and delete
// are offered (the tenant admin's own, the operator's global ones).
export async function renderAlerts(m: HTMLElement, base: string, title: string, manage: boolean, alive: () => boolean): Promise<void> {
  const result = el("div");
  const listBox = el("div");
  const deliveries = el("div");
  const showDeliveries = async (wid: string) => {
    const page = (await api("GET", `${base}/${encodeURIComponent(wid)}/deliveries?limit=100`)) as Json;
    if (!alive()) return;
    const rows = ((page.deliveries ?? []) as Json[]).slice().reverse().map(deliveryRow);
    deliveries.replaceChildren(section(`Deliveries of ${wid}, newest first`, listTable(rows)));
    if (page.next !== null && page.next !== undefined) {
      deliveries.append(el("p", "Older deliveries follow: see tenantkv-admin webhooks deliveries.", "note"));
    }
  };
  const show = async () => {
    const body = (await api("GET", base)) as Json;
    if (!alive()) return;
    const rows = ((body.webhooks ?? []) as Json[]).map(endpointRow);
    listBox.replaceChildren(
      listTable(rows, (row) => {
        const cell = el("span");
        const open = el("button", "Deliveries");
        open.type = "button";
        open.dataset.deliveries = String(row.id);
        open.addEventListener("click", () => {
          result.replaceChildren();
          showDeliveries(String(row.id)).catch((e) => result.append(el("p", errorText(e), "error")));
        });
        cell.append(open);
        if (manage) {
          const del = el("button", "Delete");
          del.type = "button";
          del.dataset.webhook = String(row.id);
          del.addEventListener("click", async () => {
            result.replaceChildren();
            try {
              await api("DELETE", `${base}/${encodeURIComponent(String(row.id))}`);
              deliveries.replaceChildren();
              await show();
            } catch (e) {
              result.append(el("p", errorText(e), "error"));
            }
          });
          cell.append(" ", del);
        }
        return cell;
      }),
    );
  };
  const children: Node[] = [result, listBox];
  if (manage) children.unshift(createForm(base, result, show));
  await show();
  if (!alive()) return;
  m.append(section(title, ...children), deliveries);
}

function createForm(base: string, result: HTMLElement, refresh: () => Promise<void>): HTMLFormElement {
  const form = el("form", "", "webhook-form");
  const url = input("url", { placeholder: "https://alerts.example.com/tenantkv", size: 50 });
  const description = input("description", { placeholder: "description (optional)", maxLength: 256 });
  const boxes = el("span", "", "events");
  const checks: HTMLInputElement[] = [];
  for (const type of EVENT_TYPES) {
    const c = input("event", { type: "checkbox" });
    c.value = type;
    checks.push(c);
    const l = el("label");
    l.append(c, ` ${type} `);
    boxes.append(l);
  }
  const threshold = input("threshold_pct", { type: "number", placeholder: "80", title: "quota.threshold: percent of storage_bytes" });
  const exhaustion = input("exhaustion_hours", { type: "number", placeholder: "24", title: "quota.exhaustion: hours ahead" });
  const throttle = input("throttle_per_min", { type: "number", placeholder: "60", title: "quota.throttled: refusals per minute" });
  form.append(
    labelled("URL ", url),
    labelled(" ", description),
    el("br"),
    boxes,
    el("br"),
    labelled("threshold % ", threshold),
    labelled(" exhaustion hours ", exhaustion),
    labelled(" throttled per min ", throttle),
    submit("Add endpoint"),
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    result.replaceChildren();
    const body: Json = { url: url.value.trim(), events: checks.filter((c) => c.checked).map((c) => c.value) };
    if (description.value.trim() !== "") body.description = description.value;
    for (const [field, box] of [
      ["threshold_pct", threshold],
      ["exhaustion_hours", exhaustion],
      ["throttle_per_min", throttle],
    ] as const) {
      if (box.value.trim() !== "") body[field] = Number(box.value);
    }
    try {
      const made = (await api("POST", base, body)) as Json;
      const note = el("div", "", "secret");
      const secret = el("code", String(made.secret));
      note.append(
        el("p", `Endpoint ${String(made.id)} added. Its signing secret, shown only this once: keep it with the receiver.`, "note"),
        secret,
      );
      result.append(note);
      await refresh();
    } catch (e) {
      result.append(el("p", errorText(e), "error"));
    }
  });
  return form;
}
