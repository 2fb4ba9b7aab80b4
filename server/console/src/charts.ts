// Usage history as charts (uPlot, from npm): requests, bytes read and
// written, stored bytes, and the refusals by reason, over the window the
// server answers (60 one-minute points for 1h, 144 ten-minute points for
// 24h). Each chart's caption carries the window's total as text, so the
// figures are readable without the canvas too.
import uPlot from "uplot";
import type { components } from "../../../tools/sdk/typescript/src/openapi";
import { el } from "./render";

// The answer's type, generated from docs/openapi.yaml for the TypeScript
// SDK (type-only: nothing of the SDK is bundled).
export type History = components["schemas"]["UsageHistory"];

const palette = ["#2b6cb0", "#c05621", "#2f855a", "#9b2c2c", "#6b46c1", "#b7791f", "#2c7a7b", "#702459", "#4a5568"];

export function bytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let v = Math.abs(n);
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  const shown = u === 0 ? String(Math.round(v)) : v.toFixed(v < 10 ? 1 : 0);
  return `${n < 0 ? "-" : ""}${shown} ${units[u]}`;
}

export function count(n: number): string {
  return Number.isInteger(n) ? n.toLocaleString("en") : n.toFixed(1);
}

interface Line {
  label: string;
  values: number[];
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

function chart(name: string, caption: string, xs: number[], lines: Line[], fmt: (n: number) => string): HTMLElement {
  const box = el("figure", "", "chart");
  box.dataset.chart = name;
  box.append(el("figcaption", caption));
  const opts: uPlot.Options = {
    width: 520,
    height: 160,
    series: [
      {},
      ...lines.map((l, i) => ({
        label: l.label,
        stroke: palette[i % palette.length],
        width: 1.5,
        value: (_u: uPlot, v: number | null) => (v === null ? "" : fmt(v)),
      })),
    ],
    axes: [{}, { size: 72, values: (_u: uPlot, ticks: number[]) => ticks.map(fmt) }],
    scales: { y: { range: (_u: uPlot, _min: number, max: number) => [0, max > 0 ? max * 1.1 : 1] } },
  };
  // uPlot sets its elements' styles through the DOM (allowed by the page's
  // style-src 'self'); its stylesheet is bundled into console.css.
  new uPlot(opts, [xs, ...lines.map((l) => l.values)], box);
  return box;
}

// The charts of one history answer.
export function historyCharts(h: History): HTMLElement {
  const wrap = el("div", "", "charts");
  const t0 = Date.parse(h.start) / 1000;
  const n = h.series.requests.length;
  const xs = Array.from({ length: n }, (_, i) => t0 + i * h.step_seconds);
  const s = h.series;
  const span = h.window === "24h" ? "the last day" : "the last hour";
  wrap.append(
    chart("requests", `Requests: ${count(sum(s.requests))} in ${span}`, xs, [{ label: "requests", values: s.requests }], count),
    chart(
      "bytes",
      `Bytes read ${bytes(sum(s.read_bytes))}, written ${bytes(sum(s.write_bytes))} in ${span}`,
      xs,
      [
        { label: "read", values: s.read_bytes },
        { label: "written", values: s.write_bytes },
      ],
      bytes,
    ),
    chart("storage", `Stored: ${bytes(s.storage_bytes[n - 1] ?? 0)} now`, xs, [{ label: "stored", values: s.storage_bytes }], bytes),
  );
  const reasons = Object.entries(s.throttled);
  const refused = reasons.reduce((a, [, v]) => a + sum(v), 0);
  if (reasons.length === 0) {
    wrap.append(el("p", `Refused requests: none in ${span}.`, "note"));
  } else {
    wrap.append(
      chart(
        "throttled",
        `Refused requests: ${count(refused)} in ${span}, by reason`,
        xs,
        reasons.map(([reason, values]) => ({ label: reason, values })),
        count,
      ),
    );
  }
  return wrap;
}
