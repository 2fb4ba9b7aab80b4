// Retries on 429 against a real server, with a tenant whose quota allows one
// request at a time (burst_requests 1, requests_per_sec 1).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { RateLimitedError, TenantKV } from "../dist/index.js";
import { Server, checkedFetch } from "./harness.js";

let server: Server;
let token: string;
let adminToken: string;

before(async () => {
  server = await Server.start();
  await server.createTenant("tiny");
  token = await server.token("tiny", "write");
  adminToken = await server.token("tiny", "admin");
  // The operator may set any value; a tenant admin could lower these itself too.
  await server.operator().setQuota("tiny", { requests_per_sec: 1, burst_requests: 1 });
});
after(async () => {
  await server.stop();
});

function client(retry: ConstructorParameters<typeof TenantKV>[0] = {}): TenantKV {
  return new TenantKV({ baseUrl: server.url, token, fetch: checkedFetch, ...retry });
}

/** Spends the bucket's one token and returns once a call was refused for it. */
async function exhaust(kv: TenantKV): Promise<void> {
  for (;;) {
    try {
      await kv.usage();
    } catch (e) {
      if (e instanceof RateLimitedError) return;
      throw e;
    }
  }
}

describe("429", () => {
  it("without retries, a refused call throws RateLimitedError with Retry-After and the RateLimit headers", async () => {
    const kv = client({ retry: false });
    await exhaust(kv);
    await assert.rejects(kv.get("k"), (e: unknown) => {
      assert.ok(e instanceof RateLimitedError);
      assert.equal(e.status, 429);
      assert.equal(e.code, "rate_limited");
      assert.ok((e.retryAfter ?? 0) >= 1);
      assert.equal(e.rateLimit?.limit, 1);
      assert.equal(e.rateLimit?.remaining, 0);
      assert.equal(e.attempts, 1);
      return true;
    });
  });

  it("a GET and a PUT refused with 429 are retried after Retry-After and succeed", async () => {
    const kv = client({ retry: { maxAttempts: 6, maxElapsedMs: 20000 } });
    await exhaust(client({ retry: false }));
    const put = await kv.put("k", "v");
    assert.ok(put.meta.attempts > 1, `attempts ${put.meta.attempts}`);
    await exhaust(client({ retry: false }));
    const got = await kv.get("k");
    assert.equal(got?.text(), "v");
    assert.ok(got !== null && got.meta.attempts > 1);
  });

  it("a batch refused by admission ran nothing, so it is retried", async () => {
    const kv = client({ retry: { maxAttempts: 6, maxElapsedMs: 20000 } });
    await exhaust(client({ retry: false }));
    const r = await kv.batch([{ op: "put", key: "b", value: "1" }]);
    assert.equal(r.results[0]?.status, 201);
    assert.ok(r.meta.attempts > 1);
  });

  it("gives up when Retry-After would pass the total time allowed", async () => {
    const kv = client({ retry: { maxAttempts: 10, maxElapsedMs: 200 } });
    await exhaust(client({ retry: false }));
    await assert.rejects(kv.get("k"), (e: unknown) => e instanceof RateLimitedError && e.attempts === 1);
  });

  it("stops at maxAttempts", async () => {
    const kv = client({ retry: { maxAttempts: 1 } });
    await exhaust(kv);
    await assert.rejects(kv.usage(), (e: unknown) => e instanceof RateLimitedError && e.attempts === 1);
  });

  it("never retries an API key create (a POST that would make a second key)", async () => {
    const admin = new TenantKV({ baseUrl: server.url, token: adminToken, fetch: checkedFetch, retry: { maxAttempts: 6 } });
    await exhaust(client({ retry: false }));
    await assert.rejects(admin.createApiKey("tiny", "read"), (e: unknown) => {
      return e instanceof RateLimitedError && e.attempts === 1;
    });
  });
});
