// docs/openapi.yaml against a running server's routes: for every path of the
// spec, the methods the server serves there (the Allow of its 405 answer to
// OPTIONS, which no route serves) are exactly the methods the spec lists for
// the paths matching it. It runs before authentication, so no token is needed.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, before, it } from "node:test";
import { fileURLToPath } from "node:url";

import { Server } from "./harness.js";

const METHODS = ["get", "put", "post", "delete", "patch", "head", "options"];
const specPath = join(dirname(fileURLToPath(import.meta.url)), "../../../../docs/openapi.yaml");

/** path -> methods, read from the spec's `paths:` block (two-space paths, four-space methods). */
function specRoutes(): Map<string, Set<string>> {
  const routes = new Map<string, Set<string>>();
  let inPaths = false;
  let current: Set<string> | undefined;
  for (const line of readFileSync(specPath, "utf8").split("\n")) {
    if (/^\S/.test(line)) inPaths = line === "paths:";
    if (!inPaths) continue;
    const p = /^ {2}(\/\S*):\s*$/.exec(line);
    if (p?.[1] !== undefined) {
      current = new Set();
      routes.set(p[1], current);
      continue;
    }
    const m = /^ {4}([a-z]+):/.exec(line);
    if (m?.[1] !== undefined && METHODS.includes(m[1])) current?.add(m[1].toUpperCase());
  }
  return routes;
}

/** Does the spec's path template match a concrete path ({param} = one segment)? */
function matches(template: string, path: string): boolean {
  const t = template.split("/");
  const p = path.split("/");
  return t.length === p.length && t.every((seg, i) => /^\{[^}]+\}$/.test(seg) || seg === p[i]);
}

const SAMPLE: Record<string, string> = { key: "k", id: "acme", key_id: "0123456789abcdef", name: "free" };

let server: Server;
before(async () => {
  server = await Server.start();
});
after(async () => {
  await server.stop();
});

it("every path of the spec is served with exactly the spec's methods", async () => {
  const spec = specRoutes();
  assert.ok(spec.size >= 30, `read ${spec.size} paths from the spec`);
  const problems: string[] = [];
  for (const template of spec.keys()) {
    const path = template.replace(/\{([^}]+)\}/g, (_, name: string) => SAMPLE[name] ?? "x");
    const want = new Set<string>();
    for (const [t, methods] of spec) if (matches(t, path)) for (const m of methods) want.add(m);
    // The server answers HEAD wherever it answers GET; the spec lists HEAD where it documents it.
    if (want.has("GET")) want.add("HEAD");
    const res = await fetch(server.url + path, { method: "OPTIONS" });
    await res.body?.cancel();
    if (res.status !== 405) {
      problems.push(`${path}: OPTIONS answered ${res.status}, not 405 (no route?)`);
      continue;
    }
    const got = new Set((res.headers.get("allow") ?? "").split(",").map((s) => s.trim()).filter(Boolean));
    const missing = [...want].filter((m) => !got.has(m));
    const extra = [...got].filter((m) => !want.has(m));
    if (missing.length > 0) problems.push(`${path}: in the spec, not served: ${missing.join(" ")}`);
    if (extra.length > 0) problems.push(`${path}: served, not in the spec: ${extra.join(" ")}`);
  }
  assert.deepEqual(problems, []);
});

it("a path outside the spec is not served", async () => {
  for (const path of ["/v1", "/v1/kv2", "/admin/v1", "/admin/v1/tenants/acme/nope", "/v2/kv/k"]) {
    const res = await fetch(server.url + path, { method: "OPTIONS" });
    assert.equal(res.status, 404, path);
    assert.equal(((await res.json()) as { code: string }).code, "route_not_found");
  }
});
