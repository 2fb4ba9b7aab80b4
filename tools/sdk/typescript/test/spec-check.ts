// A fetch that checks every answer against docs/openapi.yaml: its status must
// be documented for the route, and a JSON body (problem documents included)
// must match the documented schema. The test files give it to their clients
// and assert at the end that nothing was found, so every answer the SDK got
// in the suite is one the spec describes.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import SwaggerParser from "@apidevtools/swagger-parser";
import { Ajv, type ValidateFunction } from "ajv";

const specPath = join(dirname(fileURLToPath(import.meta.url)), "../../../../docs/openapi.yaml");

interface Operation {
  responses?: Record<string, { content?: Record<string, { schema?: object }> }>;
}
type PathItem = Record<string, Operation>;

const api = (await SwaggerParser.dereference(specPath)) as unknown as { paths: Record<string, PathItem> };
// OpenAPI 3.0 schemas: Ajv knows `nullable`; formats (byte, int64...) are descriptive here.
const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
const compiled = new Map<object, ValidateFunction>();

/** What the check found, one line per answer the spec does not describe. */
export const mismatches: string[] = [];

/** The spec path a request path falls under: literal segments win over parameters; {key} takes the rest. */
function templateOf(path: string): string | undefined {
  const segs = path.split("/");
  let best: string | undefined;
  let bestLiterals = -1;
  for (const t of Object.keys(api.paths)) {
    const ts = t.split("/");
    const rest = ts[ts.length - 1] === "{key}";
    if (rest ? segs.length < ts.length : segs.length !== ts.length) continue;
    let literals = 0;
    const ok = ts.every((s, i) => {
      if (/^\{[^}]+\}$/.test(s)) return (segs[i] ?? "") !== "";
      literals++;
      return s === segs[i];
    });
    if (ok && literals > bestLiterals) {
      best = t;
      bestLiterals = literals;
    }
  }
  return best;
}

async function check(method: string, url: URL, res: Response): Promise<void> {
  const where = `${method} ${url.pathname}${url.search} -> ${res.status}`;
  const template = templateOf(url.pathname);
  const op = template === undefined ? undefined : api.paths[template]?.[method.toLowerCase()];
  if (op === undefined) {
    mismatches.push(`${where}: no such operation in the spec`);
    return;
  }
  const documented = op.responses?.[String(res.status)];
  if (documented === undefined) {
    mismatches.push(`${where}: status not documented for ${method} ${template}`);
    return;
  }
  const type = (res.headers.get("content-type") ?? "").split(";")[0]?.trim() ?? "";
  if (method === "HEAD" || !type.endsWith("json")) return;
  // Only JSON is read, from a copy; the caller reads the original.
  res = res.clone();
  const schema = documented.content?.[type]?.schema;
  if (schema === undefined) {
    mismatches.push(`${where}: answered ${type}, which the spec does not give for this status`);
    return;
  }
  let validate = compiled.get(schema);
  if (validate === undefined) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  const body: unknown = await res.json();
  if (!validate(body)) {
    mismatches.push(`${where}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(body).slice(0, 300)}`);
  }
}

/** fetch, with each answer checked. */
export const checkedFetch: typeof fetch = async (input, init) => {
  const res = await fetch(input, init);
  const url = new URL(input instanceof Request ? input.url : String(input));
  await check(init?.method ?? "GET", url, res);
  return res;
};
