#!/usr/bin/env node
// The TypeScript SDK's GET throughput against raw fetch, in the same run:
// one tenantkv-server on 127.0.0.1 (port 0), one tenant whose quota does
// not bind, N keys preloaded; then rounds alternating raw fetch and the SDK,
// the same concurrency and duration each, and which goes first alternating,
// so drift of the machine hits both.
// Prints each round and the ratios of the medians (SDK / raw) of throughput
// and of the client's CPU time per GET (the SDK's own cost, which other load
// on the machine disturbs much less than throughput).
//
//   node tools/bench/scripts/sdk-overhead.mjs [--server-bin PATH] [--concurrency 16]
//        [--seconds 5] [--max-requests 2000000] [--rounds 3] [--keys 1000] [--value-bytes 100]
//
// Needs the SDK built (cd tools/sdk/typescript && npm ci && npm run build).
// Both sides use Node's fetch (undici) with its default keep-alive pool; the
// raw side reads the body and checks the status, as the SDK does. Four sides:
// raw fetch, raw fetch with AbortSignal.timeout (the SDK has a time limit by
// default), the SDK, and the SDK with timeoutMs 0.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "../../..");
const opts = {
  "server-bin": join(repo, "build/bin/tenantkv-server"),
  concurrency: "16",
  seconds: "5",
  "max-requests": "2000000",
  rounds: "3",
  keys: "1000",
  "value-bytes": "100",
};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
  const k = argv[i]?.replace(/^--/, "");
  if (k === undefined || !(k in opts) || argv[i + 1] === undefined) {
    console.error(`usage: sdk-overhead.mjs ${Object.keys(opts).map((o) => `[--${o} V]`).join(" ")}`);
    process.exit(2);
  }
  opts[k] = argv[i + 1];
}
const concurrency = Number(opts.concurrency);
const seconds = Number(opts.seconds);
const maxRequests = Number(opts["max-requests"]);
const rounds = Number(opts.rounds);
const nkeys = Number(opts.keys);
const valueBytes = Number(opts["value-bytes"]);

const { TenantKV } = await import(pathToFileURL(join(repo, "tools/sdk/typescript/dist/index.js")).href);

// ---- the server
const dir = mkdtempSync(join(tmpdir(), "tkv-sdk-bench-"));
const server = spawn(
  opts["server-bin"],
  ["--data-dir", join(dir, "data"), "--listen", "127.0.0.1:0", "--spare-column-families", "4", "--no-access-log"],
  { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, TENANTKV_OPERATOR_TOKEN: "" } },
);
// On a failure, the server is killed with the script; its directory stays in /tmp.
process.on("exit", () => {
  if (server.exitCode === null) server.kill("SIGKILL");
});
const stop = async () => {
  const exited = new Promise((r) => server.once("exit", r));
  server.kill("SIGTERM");
  await exited;
  rmSync(dir, { recursive: true, force: true });
};
const url = await new Promise((resolve, reject) => {
  let out = "";
  server.stdout.on("data", (b) => {
    out += b;
    const m = /listening on (http:\/\/127\.0\.0\.1:\d+)\n/.exec(out);
    if (m) resolve(m[1]);
  });
  server.once("exit", (c) => reject(new Error(`tenantkv-server exited (${c}): ${out}`)));
});
const opToken = readFileSync(join(dir, "data/operator.token"), "utf8").trim();
const op = new TenantKV({ baseUrl: url, token: opToken });
// Creating a tenant is an operator route the SDK does not wrap.
const create = await fetch(`${url}/admin/v1/tenants`, {
  method: "POST",
  headers: { authorization: `Bearer ${opToken}` },
  body: JSON.stringify({ id: "bench", plan: "premium" }),
});
if (create.status !== 201) throw new Error(`create tenant: ${create.status}`);
await op.setQuota("bench", { requests_per_sec: 10000000, burst_requests: 100000000, max_concurrent: 100000,
  read_bytes_per_sec: 2 ** 50, burst_read_bytes: 2 ** 50 });  // 2^61-1 is not exact in a JS number
const token = (await op.createApiKey("bench", "write")).token;
const kv = new TenantKV({ baseUrl: url, token, retry: false });
const keys = Array.from({ length: nkeys }, (_, i) => `bench/${String(i).padStart(6, "0")}`);
const value = "v".repeat(valueBytes);
for (let i = 0; i < keys.length; i += 500) {
  await kv.batch(keys.slice(i, i + 500).map((key) => ({ op: "put", key, value })));
}

// ---- the two clients, doing the same work per GET
const headers = { authorization: `Bearer ${token}` };
const rawGet = async (key) => {
  const res = await fetch(`${url}/v1/kv/${encodeURIComponent(key)}`, { headers });
  const body = new Uint8Array(await res.arrayBuffer());
  if (res.status !== 200 || body.length !== valueBytes) throw new Error(`raw GET: ${res.status}`);
};
// Raw fetch with a time limit as well (AbortSignal.timeout), as the SDK has by default.
const rawGetTimeout = async (key) => {
  const res = await fetch(`${url}/v1/kv/${encodeURIComponent(key)}`, { headers, signal: AbortSignal.timeout(30000) });
  const body = new Uint8Array(await res.arrayBuffer());
  if (res.status !== 200 || body.length !== valueBytes) throw new Error(`raw GET: ${res.status}`);
};
const sdkGet = async (key) => {
  const r = await kv.get(key);
  if (r === null || r.value.length !== valueBytes) throw new Error("SDK GET: absent");
};
// The SDK without its per-attempt time limit (timeoutMs 0): no AbortController
// and no timer per call, to show what the limit costs.
const kvNoLimit = new TenantKV({ baseUrl: url, token, retry: false, timeoutMs: 0 });
const sdkGetNoLimit = async (key) => {
  const r = await kvNoLimit.get(key);
  if (r === null || r.value.length !== valueBytes) throw new Error("SDK GET: absent");
};

async function phase(name, get) {
  let done = 0;
  let issued = 0;
  let failed = 0;
  const deadline = performance.now() + seconds * 1000;
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  const worker = async (w) => {
    let i = w;
    while (performance.now() < deadline && issued < maxRequests) {
      issued++;
      try {
        await get(keys[i % nkeys]);
        done++;
      } catch (e) {
        // Counted, not retried, on both sides alike (e.g. a keep-alive
        // connection the server closed as the request went out).
        failed++;
        if (failed > 100) throw e;
      }
      i += concurrency;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  const rate = done / ((performance.now() - start) / 1000);
  const cpu = process.cpuUsage(cpu0);
  // The client's own CPU per GET (user + system): what the SDK adds, and far
  // less sensitive than throughput to other load on the machine.
  const cpuUs = (cpu.user + cpu.system) / Math.max(1, done);
  console.log(`${name.padEnd(4)} ${done} GETs, ${rate.toFixed(0)}/s, client CPU ${cpuUs.toFixed(1)} us/GET` +
    `${failed ? `, ${failed} failed` : ""}`);
  return { rate, cpuUs };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`tenantkv-server ${url}; ${nkeys} keys of ${valueBytes} B; concurrency ${concurrency}, ${seconds} s a phase`);
await phase("warm", rawGet);
await phase("warm", sdkGet);
const raw = [];
const sdk = [];
const sdk0 = [];
const rawT = [];
// The order rotates each round, so no side always follows the same one.
const sides = [
  ["raw", rawGet, raw],
  ["rawT", rawGetTimeout, rawT],
  ["sdk", sdkGet, sdk],
  ["sdk0", sdkGetNoLimit, sdk0],
];
for (let r = 0; r < rounds; r++) {
  for (let j = 0; j < sides.length; j++) {
    const [name, get, out] = sides[(r + j) % sides.length];
    out.push(await phase(name, get));
  }
}
const rateRaw = median(raw.map((p) => p.rate));
const rateSdk = median(sdk.map((p) => p.rate));
const cpuRaw = median(raw.map((p) => p.cpuUs));
const cpuSdk = median(sdk.map((p) => p.cpuUs));
console.log(`throughput, median: raw ${rateRaw.toFixed(0)}/s, SDK ${rateSdk.toFixed(0)}/s: ` +
  `SDK/raw = ${(rateSdk / rateRaw).toFixed(3)}`);
console.log(`client CPU per GET, median: raw ${cpuRaw.toFixed(1)} us, SDK ${cpuSdk.toFixed(1)} us: ` +
  `SDK/raw = ${(cpuSdk / cpuRaw).toFixed(3)} (+${(cpuSdk - cpuRaw).toFixed(1)} us)`);
const rateRawT = median(rawT.map((p) => p.rate));
const cpuRawT = median(rawT.map((p) => p.cpuUs));
console.log(`raw fetch with AbortSignal.timeout, median: ${rateRawT.toFixed(0)}/s, client CPU ${cpuRawT.toFixed(1)} us/GET; ` +
  `SDK against it: throughput ${(rateSdk / rateRawT).toFixed(3)}, CPU ${(cpuSdk / cpuRawT).toFixed(3)}`);
const rateSdk0 = median(sdk0.map((p) => p.rate));
const cpuSdk0 = median(sdk0.map((p) => p.cpuUs));
console.log(`SDK with timeoutMs 0, median: ${rateSdk0.toFixed(0)}/s (SDK/raw = ${(rateSdk0 / rateRaw).toFixed(3)}), ` +
  `client CPU ${cpuSdk0.toFixed(1)} us/GET (SDK/raw = ${(cpuSdk0 / cpuRaw).toFixed(3)})`);
await stop();

// The SDK's own cost without network or server: both sides call a fetch that
// answers at once with a canned 200, so the difference is only what the SDK
// does around fetch (URL and headers, timer, reading the headers it reports).
const canned = new Uint8Array(valueBytes);
const stubFetch = async () =>
  new Response(canned, {
    status: 200,
    headers: { etag: '"0123456789abcdef01234567"', "x-request-id": "r", "ratelimit-limit": "1000",
      "ratelimit-remaining": "999", "ratelimit-reset": "1", "ratelimit-policy": "1000;w=2" },
  });
const stubKv = new TenantKV({ baseUrl: url, token, retry: false, fetch: stubFetch });
const stubCalls = Math.min(maxRequests, 50000);
async function stubPhase(name, get) {
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < stubCalls; i++) await get(keys[i % nkeys]);
  const cpu = process.cpuUsage(cpu0);
  const us = (cpu.user + cpu.system) / stubCalls;
  console.log(`stub ${name.padEnd(4)} ${stubCalls} calls, ${us.toFixed(2)} us CPU/call`);
  return us;
}
const stubRaw = async (key) => {
  const res = await stubFetch(`${url}/v1/kv/${encodeURIComponent(key)}`, { headers });
  const body = new Uint8Array(await res.arrayBuffer());
  if (res.status !== 200 || body.length !== valueBytes) throw new Error("stub");
};
const stubSdk = async (key) => {
  const r = await stubKv.get(key);
  if (r === null || r.value.length !== valueBytes) throw new Error("stub");
};
await stubPhase("warm", stubRaw);
await stubPhase("warm", stubSdk);
const sr = [];
const ss = [];
for (let r = 0; r < rounds; r++) {
  sr.push(await stubPhase("raw", stubRaw));
  ss.push(await stubPhase("sdk", stubSdk));
}
console.log(`SDK's own CPU per GET, median: ${(median(ss) - median(sr)).toFixed(2)} us ` +
  `(stub raw ${median(sr).toFixed(2)} us, stub SDK ${median(ss).toFixed(2)} us); ` +
  `against the raw GET's client CPU above that is ${(((median(ss) - median(sr)) / cpuRaw) * 100).toFixed(1)}%`);
