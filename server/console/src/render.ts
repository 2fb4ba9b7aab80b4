// Building the page from server data. Every value becomes a text node
// (textContent), so markup in a tenant's data is shown, never run.
import { ApiError } from "./api";

type Json = Record<string, unknown>;

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, text = "", cls = ""): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

// An <input> named `name`; `attrs` sets the rest (placeholder, type, ...).
export function input(name: string, attrs: Partial<Pick<HTMLInputElement, "placeholder" | "type" | "title" | "maxLength" | "size">> = {}): HTMLInputElement {
  const i = el("input");
  i.name = name;
  Object.assign(i, attrs);
  return i;
}

// `control` inside a <label> that starts with `text`.
export function labelled(text: string, control: HTMLElement): HTMLLabelElement {
  const l = el("label", text);
  l.append(control);
  return l;
}

// A submit button.
export function submit(text: string): HTMLButtonElement {
  const b = el("button", text);
  b.type = "submit";
  return b;
}

export function section(title: string, ...children: Node[]): HTMLElement {
  const s = el("section");
  s.append(el("h2", title), ...children);
  return s;
}

export function errorText(e: unknown): string {
  if (e instanceof ApiError) return `${e.status} ${e.code}: ${e.detail}`;
  return e instanceof Error ? e.message : String(e);
}

function cell(v: unknown): HTMLTableCellElement {
  const td = el("td");
  if (typeof v === "number") td.className = "num";
  td.textContent = v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v);
  return td;
}

// An object as two columns: name and value.
export function kvTable(obj: Json): HTMLTableElement {
  const table = el("table");
  for (const [k, v] of Object.entries(obj)) {
    const tr = el("tr");
    tr.append(el("th", k), cell(v));
    table.append(tr);
  }
  return table;
}

// Rows of objects, one column a member (the union of them, in first-seen
// order); `action` may add a last cell per row.
export function listTable(rows: Json[], action?: (row: Json) => Node): HTMLElement {
  if (rows.length === 0) return el("p", "none", "note");
  const cols: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!cols.includes(k)) cols.push(k);
  const table = el("table");
  const head = el("tr");
  for (const c of cols) head.append(el("th", c));
  if (action) head.append(el("th"));
  table.append(head);
  for (const r of rows) {
    const tr = el("tr");
    for (const c of cols) tr.append(cell(r[c]));
    if (action) {
      const td = el("td");
      td.append(action(r));
      tr.append(td);
    }
    table.append(tr);
  }
  return table;
}
