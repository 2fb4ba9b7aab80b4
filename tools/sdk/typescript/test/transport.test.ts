// Timeouts, aborts, retries on 503 and the error mapping, against a small
// scripted HTTP server on 127.0.0.1 (what a real server cannot be made to do
// on demand: stall, answer 503 storage_busy, send a non-JSON error).
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, beforeEach, describe, it } from "node:test";

import {
  ConnectionError,
  ServerError,
  ServiceUnavailableError,
  TenantKV,
  TimeoutError,
} from "../dist/index.js";

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

let http: HttpServer;
let url: string;
let handler: Handler;
let calls: { method: string; url: string; auth: string | undefined }[];
const open = new Set<ServerResponse>();

function problem(res: ServerResponse, status: number, code: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/problem+json", "x-request-id": "req-1", ...extra });
  res.end(JSON.stringify({ type: `https://tenantkv.dev/problems/${code}`, title: "t", status, detail: "d", code }));
}

before(async () => {
  http = createServer((req, res) => {
    calls.push({ method: req.method ?? "", url: req.url ?? "", auth: req.headers.authorization });
    open.add(res);
    res.on("close", () => open.delete(res));
    req.resume();
    req.on("end", () => handler(req, res, calls.length));
  });
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});
beforeEach(() => {
  calls = [];
});
after(async () => {
  for (const res of open) res.destroy();
  http.closeAllConnections();
  await new Promise((r) => http.close(r));
});

const fast = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 };

describe("timeouts and aborts", () => {
  it("an answer that never comes is a TimeoutError", async () => {
    handler = () => {};
    const kv = new TenantKV({ baseUrl: url, token: "t", timeoutMs: 150, retry: false });
    await assert.rejects(kv.get("k"), (e: unknown) => {
      return e instanceof TimeoutError && e.code === "timeout" && e.status === 0;
    });
  });

  it("a body that stalls after the headers is a TimeoutError too", async () => {
    handler = (_req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": "10" });
      res.write("abc");
    };
    const kv = new TenantKV({ baseUrl: url, token: "t", timeoutMs: 150, retry: false });
    await assert.rejects(kv.get("k"), TimeoutError);
  });

  it("timeoutMs 0 sets no limit, and the caller's signal still cancels", async () => {
    handler = () => {};
    const kv = new TenantKV({ baseUrl: url, token: "t", timeoutMs: 0, retry: false });
    const ctl = new AbortController();
    const p = kv.get("k", { signal: ctl.signal });
    setTimeout(() => ctl.abort(new Error("cancelled")), 100);
    await assert.rejects(p, /cancelled/);
  });

  it("the per-call timeoutMs wins over the client's", async () => {
    handler = () => {};
    const kv = new TenantKV({ baseUrl: url, token: "t", timeoutMs: 60000, retry: false });
    await assert.rejects(kv.usage({ timeoutMs: 100 }), TimeoutError);
  });

  it("the caller's AbortSignal rejects with its reason, also while waiting to retry", async () => {
    handler = () => {};
    const kv = new TenantKV({ baseUrl: url, token: "t", retry: false });
    const ctl = new AbortController();
    const p = kv.get("k", { signal: ctl.signal });
    setTimeout(() => ctl.abort(new Error("stop")), 50);
    await assert.rejects(p, /stop/);

    // Aborted once the first attempt was answered, while the client waits its Retry-After of 30 s.
    calls = [];
    let answered: () => void = () => {};
    const firstAnswer = new Promise<void>((r) => (answered = r));
    handler = (_req, res) => {
      problem(res, 503, "queue_full", { "retry-after": "30" });
      answered();
    };
    const waiting = new TenantKV({ baseUrl: url, token: "t", retry: { maxAttempts: 3, maxElapsedMs: 60000 } });
    const ctl2 = new AbortController();
    const q = waiting.get("k", { signal: ctl2.signal });
    await firstAnswer;
    setTimeout(() => ctl2.abort(new Error("enough")), 50);
    await assert.rejects(q, /enough/);
    assert.equal(calls.length, 1);
  });
});

describe("503 and retry classes", () => {
  it("an idempotent call is retried on 503 and succeeds", async () => {
    handler = (_req, res, n) => {
      if (n < 3) return problem(res, 503, "storage_busy", { "retry-after": "0" });
      res.writeHead(200, { etag: '"0123456789abcdef01234567"', "ratelimit-limit": "5", "ratelimit-remaining": "4" });
      res.end("ok");
    };
    const kv = new TenantKV({ baseUrl: url, token: "t", retry: fast });
    const got = await kv.get("k");
    assert.equal(got?.text(), "ok");
    assert.equal(got?.meta.attempts, 3);
    assert.equal(got?.meta.rateLimit?.remaining, 4);
    assert.equal(calls.length, 3);
  });

  it("a batch is retried on 503 queue_full (nothing ran) but not on 503 storage_busy", async () => {
    handler = (_req, res, n) => {
      if (n === 1) return problem(res, 503, "queue_full", { "retry-after": "0" });
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"results":[{"status":404}]}');
    };
    const kv = new TenantKV({ baseUrl: url, token: "t", retry: fast });
    const r = await kv.batch([{ op: "get", key: "k" }]);
    assert.equal(r.meta.attempts, 2);

    calls = [];
    handler = (_req, res) => problem(res, 503, "storage_busy", { "retry-after": "0" });
    await assert.rejects(kv.batch([{ op: "put", key: "k", value: "v" }]), (e: unknown) => {
      return e instanceof ServiceUnavailableError && e.code === "storage_busy" && e.attempts === 1;
    });
    assert.equal(calls.length, 1);
  });

  it("maxAttempts bounds the attempts and the last error is thrown", async () => {
    handler = (_req, res) => problem(res, 503, "deadline", { "retry-after": "0" });
    const kv = new TenantKV({ baseUrl: url, token: "t", retry: fast });
    await assert.rejects(kv.usage(), (e: unknown) => {
      return e instanceof ServiceUnavailableError && e.attempts === 3 && e.requestId === "req-1";
    });
    assert.equal(calls.length, 3);
  });

  it("a 500 is not retried and a non-JSON error body still gives a typed error", async () => {
    handler = (_req, res) => {
      res.writeHead(502, { "content-type": "text/html" });
      res.end("<h1>bad gateway</h1>");
    };
    const kv = new TenantKV({ baseUrl: url, token: "t", retry: fast });
    await assert.rejects(kv.get("k"), (e: unknown) => {
      return e instanceof ServerError && e.status === 502 && e.code === "http_502";
    });
    assert.equal(calls.length, 1);
  });

  it("no server at all is a ConnectionError", async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const kv = new TenantKV({ baseUrl: `http://127.0.0.1:${port}`, token: "t", retry: fast });
    await assert.rejects(kv.get("k"), (e: unknown) => {
      return e instanceof ConnectionError && e.code === "network_error" && e.attempts === 3;
    });
  });
});

describe("configuration", () => {
  it("takes the URL and token from TENANTKV_URL and TENANTKV_TOKEN when not given", async () => {
    handler = (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"tenant":"env","usage":{"keys":0,"logical_bytes":0},"quotas":{}}');
    };
    const saved = { url: process.env["TENANTKV_URL"], token: process.env["TENANTKV_TOKEN"] };
    process.env["TENANTKV_URL"] = url + "/";
    process.env["TENANTKV_TOKEN"] = "tkv_from_env";
    try {
      const kv = new TenantKV();
      assert.equal(kv.baseUrl, url);
      assert.equal((await kv.usage()).tenant, "env");
      assert.equal(calls[0]?.auth, "Bearer tkv_from_env");
    } finally {
      for (const [k, v] of [["TENANTKV_URL", saved.url], ["TENANTKV_TOKEN", saved.token]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it("passes the dispatcher to the injected fetch and keeps a base URL's path prefix", async () => {
    const seen: { url: string; dispatcher: unknown }[] = [];
    const dispatcher = { name: "my-agent" };
    const kv = new TenantKV({
      baseUrl: "https://kv.example/prefix",
      token: "t",
      dispatcher,
      fetch: async (input, init) => {
        seen.push({ url: String(input), dispatcher: (init as { dispatcher?: unknown }).dispatcher });
        return new Response(null, { status: 204, headers: { etag: '"0123456789abcdef01234567"' } });
      },
    });
    const r = await kv.put("a b", "v");
    assert.equal(r.created, false);
    assert.deepEqual(seen, [{ url: "https://kv.example/prefix/v1/kv/a%20b", dispatcher }]);
  });
});
