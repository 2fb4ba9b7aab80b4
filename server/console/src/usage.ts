// A tenant's usage: what it may still use (remaining capacity, the storage
// burn rate and when it would run out), its history as charts over the
// last hour or day, and the refusals it met. Refreshed while shown.
import { api } from "./api";
import { bytes, count, historyCharts, type History } from "./charts";
import { el, errorText, kvTable, listTable, section } from "./render";

type Json = Record<string, unknown>;

const REFRESH_MS = 15_000;

function num(v: unknown): number {
  return typeof v === "number" ? v : 0;
}

function meter(used: number, limit: number): HTMLElement {
  const m = el("meter");
  m.min = 0;
  m.max = limit > 0 ? limit : 1;
  m.value = Math.min(used, m.max);
  m.high = m.max * 0.8;
  m.optimum = 0;
  return m;
}

function duration(seconds: number): string {
  if (seconds < 120) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} days`;
}

// One row per quota: its limit, what is used and what remains now, the
// rate the tenant used it at over the last whole minute (from the 1h
// history) and when it would run out at that rate. A rate quota runs out
// when the burst is spent: only while the use is above the refill rate.
export function capacityTable(quotas: Record<string, Json>, hour?: History): HTMLElement {
  const table = el("table", "", "capacity");
  const head = el("tr");
  for (const h of ["quota", "limit", "used", "remaining", "", "use (last minute)", "runs out"]) head.append(el("th", h));
  table.append(head);
  const row = (name: string, cells: string[], m?: HTMLElement, burn: string[] = ["", ""]) => {
    const tr = el("tr");
    tr.dataset.quota = name;
    const bar = el("td");
    if (m) bar.append(m);
    tr.append(el("th", name), ...cells.map((c) => el("td", c, "num")), bar, ...burn.map((b) => el("td", b, "num")));
    table.append(tr);
  };
  // The last whole minute of a series, per second (the last point is the
  // minute in progress).
  const lastMinute = (series: number[] | undefined) =>
    series && series.length >= 2 ? num(series[series.length - 2]) / 60 : undefined;
  const rates: [string, (n: number) => string, number[] | undefined][] = [
    ["requests_per_sec", count, hour?.series.requests],
    ["read_bytes_per_sec", bytes, hour?.series.read_bytes],
    ["write_bytes_per_sec", bytes, hour?.series.write_bytes],
  ];
  for (const [name, fmt, series] of rates) {
    const q = quotas[name];
    if (!q) continue;
    const burst = num(q.limit);
    const refill = num(q.rate);
    const use = lastMinute(series);
    const burn =
      use === undefined
        ? ["", ""]
        : [
            `${fmt(use)}/s (${refill > 0 ? Math.round((use / refill) * 100) : 0}% of the rate)`,
            use > refill ? `burst spent in ${duration(num(q.remaining) / (use - refill))}` : "not at this rate",
          ];
    row(name, [`${fmt(refill)}/s (burst ${fmt(burst)})`, fmt(num(q.used)), fmt(num(q.remaining))], meter(num(q.used), burst), burn);
  }
  const c = quotas.max_concurrent;
  if (c) row("max_concurrent", [count(num(c.limit)), count(num(c.used)), count(num(c.remaining))], meter(num(c.used), num(c.limit)));
  const s = quotas.storage_bytes;
  if (s) {
    const rate = num(s.burn_rate_per_hour);
    const at = s.projected_exhaustion;
    row(
      "storage_bytes",
      [bytes(num(s.limit)), bytes(num(s.used)), bytes(num(s.remaining))],
      meter(num(s.used), num(s.limit)),
      [`${rate > 0 ? "+" : ""}${bytes(rate)}/h`, typeof at === "string" ? new Date(at).toISOString() : "not growing"],
    );
  }
  const v = quotas.max_value_bytes;
  if (v) row("max_value_bytes", [bytes(num(v.limit)), "", ""]);
  return table;
}

// The storage quota's burn rate and projected exhaustion, in words.
export function burnText(storage: Json | undefined): HTMLElement {
  const p = el("p", "", "burn");
  if (!storage) return p;
  const rate = num(storage.burn_rate_per_hour);
  const at = storage.projected_exhaustion;
  const soft = num(storage.soft_limit);
  const parts = [`Storage burn rate: ${rate > 0 ? "+" : ""}${bytes(rate)} per hour.`];
  if (typeof at === "string") {
    parts.push(`At this rate the storage quota is reached at ${new Date(at).toISOString()}.`);
  } else {
    parts.push("Storage is not growing: no exhaustion projected.");
  }
  if (soft > 0) parts.push(`Soft limit (a warning, not a refusal): ${bytes(soft)}.`);
  p.textContent = parts.join(" ");
  return p;
}

// The history charts of `path` (…/usage/history), with a 1h/24h switch.
export function historySection(
  path: string,
  alive: () => boolean,
): { node: HTMLElement; load: () => Promise<History | undefined> } {
  const body = el("div");
  const pick = el("select");
  pick.name = "window";
  pick.append(new Option("last hour", "1h"), new Option("last day", "24h"));
  const head = el("div", "", "inline");
  head.append(el("span", "Window"), pick);
  const load = async () => {
    const h = (await api("GET", `${path}?window=${pick.value}`)) as History;
    if (!alive()) return undefined;
    body.replaceChildren(historyCharts(h));
    return h;
  };
  pick.addEventListener("change", () => {
    load().catch((e) => body.replaceChildren(el("p", errorText(e), "error")));
  });
  return { node: section("Usage history", head, body), load };
}

// The tenant admin's Usage view.
export async function renderUsage(m: HTMLElement, tenant: string, alive: () => boolean): Promise<void> {
  const capacity = el("div");
  const throttled = el("div");
  const usage = el("div");
  const history = historySection("/v1/usage/history", alive);
  const refresh = async () => {
    const u = (await api("GET", "/v1/usage")) as Json;
    if (!alive()) return;
    const quotas = (u.quotas ?? {}) as Record<string, Json>;
    usage.replaceChildren(kvTable((u.usage ?? {}) as Json));
    capacity.replaceChildren(capacityTable(quotas), burnText(quotas.storage_bytes));
    const t = Object.entries((u.throttled ?? {}) as Record<string, number>).map(([reason, n]) => ({ reason, refused: n }));
    throttled.replaceChildren(listTable(t.filter((r) => r.refused > 0)));
    const shown = await history.load();
    // The use columns need the hour's minutes, whichever window is drawn.
    const hour =
      shown?.window === "1h" ? shown : ((await api("GET", "/v1/usage/history?window=1h")) as History);
    if (alive()) capacity.replaceChildren(capacityTable(quotas, hour), burnText(quotas.storage_bytes));
  };
  await refresh();
  m.append(
    section(`Usage of ${tenant}`, usage),
    section("Remaining capacity", capacity),
    history.node,
    section("Refused requests since the server started, by reason", throttled),
  );
  const timer = setInterval(() => {
    if (!alive()) {
      clearInterval(timer);
      return;
    }
    refresh().catch(() => undefined);  // the next tick tries again
  }, REFRESH_MS);
}
