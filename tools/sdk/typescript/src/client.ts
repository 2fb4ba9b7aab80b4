import type { components } from "./openapi.js";
import {
  type Bytes,
  bytesToText,
  fromBase64,
  keyIdSegment,
  keySegment,
  query,
  quoteEtag,
  tenantSegment,
  toBase64,
  toBytes,
  unquoteEtag,
} from "./encoding.js";
import { TenantKVError } from "./errors.js";
import type { ResponseMeta, WithMeta } from "./meta.js";
import { type CallOptions, type RetryOptions, Transport, resolveRetry } from "./transport.js";

type Schemas = components["schemas"];

/** A tenant's usage, quotas, remaining budget and storage burn rate (`GET /v1/usage`). */
export type Usage = components["schemas"]["Usage"];
/** All fifteen quota fields. */
export type Quota = components["schemas"]["Quota"];
/** Any subset of the quota fields, for {@link TenantKV.setQuota}. */
export type QuotaPatch = components["schemas"]["QuotaPatch"];
/** A version of a tenant's quota manifest. */
export type QuotaManifest = components["schemas"]["QuotaManifest"];
/** An API key as listed (never its secret). */
export type ApiKey = components["schemas"]["ApiKey"];
/** A new API key: {@link ApiKey} plus its `token`, shown only this once. */
export type NewApiKey = components["schemas"]["NewApiKey"];
/** An API key's role: `read`, `write` or `admin`. */
export type Role = components["schemas"]["Role"];
/** A tenant's data-key versions and re-encryption progress (never key material). */
export type KeyStatus = components["schemas"]["KeyStatus"];
/** One entry of the audit log. */
export type AuditEntry = components["schemas"]["AuditEntry"];
/** A plan: its defaults and the range a tenant admin may choose in. */
export type Plan = components["schemas"]["Plan"];
/** A tenant's usage over the last hour (60 one-minute points) or day (144 ten-minute points). */
export type UsageHistory = components["schemas"]["UsageHistory"];
/** The window of a {@link UsageHistory}. */
export type UsageWindow = "1h" | "24h";

/** Options of {@link TenantKV.createApiKey}. */
export interface CreateApiKeyOptions extends CallOptions {
  /** A label, shown in lists and the audit (1..128 bytes, no control characters). */
  name?: string;
  /** When the key stops working: an RFC 3339 time in the future, or a `Date`. */
  expiresAt?: string | Date;
}

/** How to reach the server and how to behave. Every member is optional. */
export interface ClientOptions {
  /** Server URL, e.g. `https://kv.example.com` (a path prefix is kept). Default: `TENANTKV_URL`, else `http://127.0.0.1:8080`. */
  baseUrl?: string;
  /** Bearer token: a tenant API key (or the operator token for the admin routes). Default: `TENANTKV_TOKEN`. */
  token?: string;
  /**
   * The `fetch` to use; default `globalThis.fetch`. Inject one to add a
   * custom CA, a client certificate, a proxy or instrumentation.
   */
  fetch?: typeof fetch;
  /**
   * Node only: an undici `Dispatcher` (e.g. an `Agent` with `connect: { ca, cert, key }`)
   * passed to every `fetch` call as its `dispatcher` option. Node's fetch is undici's.
   */
  dispatcher?: unknown;
  /** Time limit of one attempt, request and whole answer, in ms (default 30000); 0 = none. */
  timeoutMs?: number;
  /** Retry policy for 429 and 503 answers; `false` turns retries off. */
  retry?: RetryOptions | false;
  /** Extra headers sent with every call. */
  headers?: Record<string, string>;
}

/** A value that was found. */
export interface Found {
  notModified: false;
  /** The value's bytes. */
  value: Uint8Array;
  /** Its ETag, without quotes. */
  etag: string;
  /** The value decoded as UTF-8. */
  text(): string;
  meta: ResponseMeta;
}

/** `ifNoneMatch` matched: the value you hold is current. */
export interface NotModified {
  notModified: true;
  /** The current ETag, without quotes. */
  etag: string;
  meta: ResponseMeta;
}

/** Options of {@link TenantKV.get}. */
export interface GetOptions extends CallOptions {
  /** ETags (bare or quoted) or `*`: when one matches, the answer is {@link NotModified} instead of the value. */
  ifNoneMatch?: string | readonly string[];
}

/** What {@link TenantKV.head} tells about a key. */
export interface Head {
  etag: string;
  /** The value's length in bytes. */
  size: number;
  meta: ResponseMeta;
}

/** Options of {@link TenantKV.put}. Conditions are what make a read-modify-write safe. */
export interface PutOptions extends CallOptions {
  /** Write only if the key exists with this ETag (bare or quoted), or, with `*`, exists at all. Otherwise {@link PreconditionFailedError}. */
  ifMatch?: string;
  /** `*`: write only if the key does not exist. Otherwise {@link PreconditionFailedError}. */
  ifNoneMatch?: "*";
  /** The value expires this many seconds from now (1..315360000). Without it the value never expires. */
  ttlSeconds?: number;
}

/** What a put did. */
export interface PutResult {
  /** True when the key was absent (201), false when a value was replaced (204). */
  created: boolean;
  /** The new version's ETag, without quotes. */
  etag: string;
  meta: ResponseMeta;
}

/** Options of {@link TenantKV.delete}. */
export interface DeleteOptions extends CallOptions {
  /** Delete only if the key holds this ETag (bare or quoted), or, with `*`, exists. Otherwise {@link PreconditionFailedError}. */
  ifMatch?: string;
}

/** What a delete did. */
export interface DeleteResult {
  /** True when a value was deleted, false when the key was absent (404). */
  deleted: boolean;
  meta: ResponseMeta;
}

/** Options of {@link TenantKV.list} and {@link TenantKV.listPage}. */
export interface ListOptions extends CallOptions {
  /** Only keys starting with these bytes. */
  prefix?: Bytes;
  /** Only keys after this one (exclusive). */
  startAfter?: Bytes;
  /** Page size 1..1000 (server default 100). For {@link TenantKV.list} this is the size of each page fetched. */
  limit?: number;
  /** Include each value. */
  values?: boolean;
}

/** One listed key. */
export interface ListItem {
  /** The key; a lossy rendering (U+FFFD) when it is not valid UTF-8. */
  key: string;
  /** The key's exact bytes. */
  keyBytes: Uint8Array;
  /** The value's length in bytes. */
  size: number;
  /** ETag, without quotes. */
  etag: string;
  /** The value, only with `values: true`. */
  value?: Uint8Array;
}

/** One page of a listing. */
export interface ListPage {
  items: ListItem[];
  /** Pass as `startAfter` for the next page; null when the listing is complete. */
  next: Uint8Array | null;
  meta: ResponseMeta;
}

/** One operation of a batch. */
export type BatchOp =
  | { op: "put"; key: string; value: Bytes }
  | { op: "get"; key: string }
  | { op: "delete"; key: string };

/** One result of a batch, in the order of the ops. */
export interface BatchResult {
  /** get 200/404; put 201 (created) or 204 (replaced); delete 204/404. */
  status: 200 | 201 | 204 | 404;
  /** A get's value. */
  value?: Uint8Array;
  /** ETag (without quotes) of a get's value or a put's new version. */
  etag?: string;
}

/** Options of the paged admin lists. */
export interface PageOptions extends CallOptions {
  /** Page size 1..1000. */
  limit?: number;
}

function envVar(name: string): string | undefined {
  const p = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  const v = p?.env?.[name];
  return v === undefined || v === "" ? undefined : v;
}

function badResponse(detail: string, meta: ResponseMeta): TenantKVError {
  return new TenantKVError({
    status: meta.status,
    code: "bad_response",
    detail,
    requestId: meta.requestId,
    rateLimit: meta.rateLimit,
    attempts: meta.attempts,
  });
}

async function json<T>(res: Response, meta: ResponseMeta): Promise<T> {
  const text = await res.text();
  try {
    return JSON.parse(text) as T;
  } catch {
    throw badResponse(`expected JSON, got: ${text.slice(0, 200)}`, meta);
  }
}

async function jsonWithMeta<T extends object>(res: Response, meta: ResponseMeta): Promise<WithMeta<T>> {
  return Object.assign(await json<T>(res, meta), { meta });
}

const JSON_HEADERS = { "content-type": "application/json" };

/**
 * A client of one tenantkv server with one token.
 *
 * ```ts
 * const kv = new TenantKV({ baseUrl: "http://127.0.0.1:8080", token: process.env.TENANTKV_TOKEN });
 * await kv.put("users/42", "hello");
 * const v = await kv.get("users/42");
 * ```
 */
export class TenantKV {
  private readonly t: Transport;
  /** The server URL used, without a trailing slash. */
  readonly baseUrl: string;

  constructor(options: ClientOptions = {}) {
    const base = options.baseUrl ?? envVar("TENANTKV_URL") ?? "http://127.0.0.1:8080";
    this.baseUrl = base.replace(/\/+$/, "");
    const f = options.fetch ?? globalThis.fetch;
    if (typeof f !== "function") {
      throw new TenantKVError({ status: 0, code: "invalid_argument", detail: "no fetch: pass options.fetch" });
    }
    this.t = new Transport({
      baseUrl: this.baseUrl,
      token: options.token ?? envVar("TENANTKV_TOKEN"),
      // Called unbound, as browsers require of window.fetch.
      fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
      dispatcher: options.dispatcher,
      timeoutMs: options.timeoutMs ?? 30000,
      retry: resolveRetry(options.retry),
      headers: { ...options.headers },
    });
  }

  // ---- Data routes -------------------------------------------------------

  /**
   * Reads a value. Resolves to null when the key is absent or expired.
   * With `ifNoneMatch`, resolves to {@link NotModified} when it matches.
   */
  get(key: Bytes, options?: CallOptions & { ifNoneMatch?: never }): Promise<Found | null>;
  get(key: Bytes, options: GetOptions): Promise<Found | NotModified | null>;
  async get(key: Bytes, options: GetOptions = {}): Promise<Found | NotModified | null> {
    const headers: Record<string, string> = {};
    if (options.ifNoneMatch !== undefined) {
      const tags = typeof options.ifNoneMatch === "string" ? [options.ifNoneMatch] : options.ifNoneMatch;
      headers["if-none-match"] = tags.map(quoteEtag).join(", ");
    }
    return this.t.send(
      { method: "GET", path: "/v1/kv/" + keySegment(key), headers, retry: "idempotent", accept: [404] },
      options,
      async (res, meta): Promise<Found | NotModified | null> => {
        if (meta.status === 404) {
          await res.body?.cancel();
          return null;
        }
        const etag = unquoteEtag(res.headers.get("etag"));
        if (meta.status === 304) return { notModified: true, etag, meta };
        const value = new Uint8Array(await res.arrayBuffer());
        return { notModified: false, value, etag, text: () => bytesToText(value), meta };
      },
    );
  }

  /** A key's ETag and value size without its value; null when absent. */
  async head(key: Bytes, options: CallOptions = {}): Promise<Head | null> {
    return this.t.send(
      { method: "HEAD", path: "/v1/kv/" + keySegment(key), retry: "idempotent", accept: [404] },
      options,
      async (res, meta) => {
        if (meta.status === 404) return null;
        const size = Number.parseInt(res.headers.get("content-length") ?? "", 10);
        return { etag: unquoteEtag(res.headers.get("etag")), size: Number.isFinite(size) ? size : 0, meta };
      },
    );
  }

  /** Stores a value (text is sent as UTF-8). */
  async put(key: Bytes, value: Bytes, options: PutOptions = {}): Promise<PutResult> {
    const headers: Record<string, string> = { "content-type": "application/octet-stream" };
    if (options.ifMatch !== undefined) headers["if-match"] = quoteEtag(options.ifMatch);
    if (options.ifNoneMatch !== undefined) headers["if-none-match"] = options.ifNoneMatch;
    if (options.ttlSeconds !== undefined) headers["ttl-seconds"] = String(options.ttlSeconds);
    return this.t.send(
      { method: "PUT", path: "/v1/kv/" + keySegment(key), headers, body: toBytes(value), retry: "idempotent" },
      options,
      async (res, meta) => {
        await res.body?.cancel();
        return { created: meta.status === 201, etag: unquoteEtag(res.headers.get("etag")), meta };
      },
    );
  }

  /** Deletes a key. Resolves with `deleted: false` when it was absent. */
  async delete(key: Bytes, options: DeleteOptions = {}): Promise<DeleteResult> {
    const headers: Record<string, string> = {};
    if (options.ifMatch !== undefined) headers["if-match"] = quoteEtag(options.ifMatch);
    return this.t.send(
      { method: "DELETE", path: "/v1/kv/" + keySegment(key), headers, retry: "idempotent", accept: [404] },
      options,
      async (res, meta) => {
        await res.body?.cancel();
        return { deleted: meta.status !== 404, meta };
      },
    );
  }

  /** One page of keys in byte order. */
  async listPage(options: ListOptions = {}): Promise<ListPage> {
    const q = query({
      prefix: options.prefix,
      start_after: options.startAfter,
      limit: options.limit,
      values: options.values === undefined ? undefined : options.values,
    });
    return this.t.send({ method: "GET", path: "/v1/kv" + q, retry: "idempotent" }, options, async (res, meta) => {
      const page = await json<Schemas["ListPage"]>(res, meta);
      if (!Array.isArray(page.items)) throw badResponse("a list page without items", meta);
      const items = page.items.map((i): ListItem => {
        const item: ListItem = {
          key: i.key,
          keyBytes: i.key_b64 !== undefined ? fromBase64(i.key_b64) : toBytes(i.key),
          size: i.size,
          etag: i.etag,
        };
        if (i.value_b64 !== undefined) item.value = fromBase64(i.value_b64);
        return item;
      });
      const next =
        page.next_b64 !== undefined ? fromBase64(page.next_b64) : page.next == null ? null : toBytes(page.next);
      return { items, next, meta };
    });
  }

  /**
   * Every key (matching `prefix`) in byte order, fetching pages as the loop
   * goes. Each page is one consistent view; the whole listing is not.
   *
   * ```ts
   * for await (const item of kv.list({ prefix: "users/" })) console.log(item.key);
   * ```
   */
  async *list(options: ListOptions = {}): AsyncGenerator<ListItem, void, undefined> {
    let startAfter = options.startAfter;
    for (;;) {
      const page = await this.listPage({ ...options, ...(startAfter === undefined ? {} : { startAfter }) });
      yield* page.items;
      if (page.next === null) return;
      startAfter = page.next;
    }
  }

  /**
   * Runs up to 1000 ops in order; its writes are atomic (all or none) and
   * each op sees the earlier ones. Batch puts take no conditions and no
   * TTL. Keys must be text (JSON strings). A refused batch (429, or a 503
   * the server documents as refused before running) is retried: it ran
   * nothing.
   */
  async batch(ops: readonly BatchOp[], options: CallOptions = {}): Promise<WithMeta<{ results: BatchResult[] }>> {
    const body: Schemas["BatchRequest"] = {
      ops: ops.map((o): Schemas["BatchOp"] =>
        o.op === "put" ? { op: "put", key: o.key, value_b64: toBase64(toBytes(o.value)) } : { op: o.op, key: o.key },
      ),
    };
    return this.t.send(
      { method: "POST", path: "/v1/batch", headers: JSON_HEADERS, body: JSON.stringify(body), retry: "unapplied" },
      options,
      async (res, meta) => {
        const out = await json<Schemas["BatchResults"]>(res, meta);
        const results = out.results.map((r): BatchResult => {
          const b: BatchResult = { status: r.status };
          if (r.value_b64 !== undefined) b.value = fromBase64(r.value_b64);
          if (r.etag !== undefined) b.etag = r.etag;
          return b;
        });
        return { results, meta };
      },
    );
  }

  /** The calling tenant's usage, quotas, what remains of them, and its storage burn rate. */
  async usage(options: CallOptions = {}): Promise<WithMeta<Usage>> {
    return this.t.send({ method: "GET", path: "/v1/usage", retry: "idempotent" }, options, jsonWithMeta<Usage>);
  }

  /**
   * The calling tenant's usage history: requests, bytes read and written,
   * stored bytes and refusals by reason, over the last hour (`"1h"`, the
   * default) or day (`"24h"`). Any role.
   */
  async usageHistory(window: UsageWindow = "1h", options: CallOptions = {}): Promise<WithMeta<UsageHistory>> {
    return this.t.send(
      { method: "GET", path: `/v1/usage/history?window=${encodeURIComponent(window)}`, retry: "idempotent" },
      options,
      jsonWithMeta<UsageHistory>,
    );
  }

  // ---- The tenant admin's own routes (an admin key of `tenant`, or the operator token)

  /**
   * Creates an API key of `tenant`, optionally named and expiring. Its
   * `token` is in this answer only. Never retried.
   */
  async createApiKey(tenant: string, role: Role, options: CreateApiKeyOptions = {}): Promise<WithMeta<NewApiKey>> {
    const { name, expiresAt, ...call } = options;
    const body: Record<string, unknown> = { role };
    if (name !== undefined) body.name = name;
    if (expiresAt !== undefined) body.expires_at = expiresAt instanceof Date ? expiresAt.toISOString().replace(/\.\d{3}Z$/, "Z") : expiresAt;
    return this.t.send(
      {
        method: "POST",
        path: `/admin/v1/tenants/${tenantSegment(tenant)}/apikeys`,
        headers: JSON_HEADERS,
        body: JSON.stringify(body),
        retry: "never",
      },
      call,
      jsonWithMeta<NewApiKey>,
    );
  }

  /** One page of `tenant`'s API keys (active and revoked, oldest first). */
  async listApiKeysPage(
    tenant: string,
    options: PageOptions & { startAfter?: string } = {},
  ): Promise<WithMeta<{ keys: ApiKey[]; next: string | null }>> {
    const q = query({ limit: options.limit, start_after: options.startAfter });
    return this.t.send(
      { method: "GET", path: `/admin/v1/tenants/${tenantSegment(tenant)}/apikeys${q}`, retry: "idempotent" },
      options,
      jsonWithMeta<{ keys: ApiKey[]; next: string | null }>,
    );
  }

  /** Every API key of `tenant`, following pages. */
  async *listApiKeys(tenant: string, options: PageOptions = {}): AsyncGenerator<ApiKey, void, undefined> {
    let startAfter: string | undefined;
    for (;;) {
      const page = await this.listApiKeysPage(tenant, { ...options, ...(startAfter === undefined ? {} : { startAfter }) });
      yield* page.keys;
      if (page.next === null) return;
      startAfter = page.next;
    }
  }

  /** Revokes an API key; its token fails from the next call on. Revoking twice is fine. */
  async revokeApiKey(tenant: string, keyId: string, options: CallOptions = {}): Promise<{ meta: ResponseMeta }> {
    return this.t.send(
      {
        method: "DELETE",
        path: `/admin/v1/tenants/${tenantSegment(tenant)}/apikeys/${keyIdSegment(keyId)}`,
        retry: "idempotent",
      },
      options,
      async (res, meta) => {
        await res.body?.cancel();
        return { meta };
      },
    );
  }

  /** `tenant`'s current quota manifest. */
  async getQuota(tenant: string, options: CallOptions = {}): Promise<WithMeta<QuotaManifest>> {
    return this.t.send(
      { method: "GET", path: `/admin/v1/tenants/${tenantSegment(tenant)}/quota`, retry: "idempotent" },
      options,
      jsonWithMeta<QuotaManifest>,
    );
  }

  /**
   * Sets some quota fields; the others keep their values. A tenant admin may
   * only choose values inside its plan's range (else `outside_plan_range`).
   * Resolves with the new manifest version and its `changes`.
   */
  async setQuota(tenant: string, patch: QuotaPatch, options: CallOptions = {}): Promise<WithMeta<QuotaManifest>> {
    return this.t.send(
      {
        method: "PUT",
        path: `/admin/v1/tenants/${tenantSegment(tenant)}/quota`,
        headers: JSON_HEADERS,
        body: JSON.stringify(patch),
        retry: "idempotent",
      },
      options,
      jsonWithMeta<QuotaManifest>,
    );
  }

  /** One page of `tenant`'s quota versions, oldest first, each with its `changes`. */
  async quotaHistoryPage(
    tenant: string,
    options: PageOptions & { startAfter?: number } = {},
  ): Promise<WithMeta<Schemas["QuotaHistory"]>> {
    const q = query({ limit: options.limit, start_after: options.startAfter });
    return this.t.send(
      { method: "GET", path: `/admin/v1/tenants/${tenantSegment(tenant)}/quota/history${q}`, retry: "idempotent" },
      options,
      jsonWithMeta<Schemas["QuotaHistory"]>,
    );
  }

  /** Every quota version of `tenant`, oldest first, following pages. */
  async *quotaHistory(tenant: string, options: PageOptions = {}): AsyncGenerator<QuotaManifest, void, undefined> {
    let startAfter: number | undefined;
    for (;;) {
      const page = await this.quotaHistoryPage(tenant, {
        ...options,
        ...(startAfter === undefined ? {} : { startAfter }),
      });
      yield* page.versions;
      if (page.next === null) return;
      startAfter = page.next;
    }
  }

  // ---- The tenant admin's read-only views (an admin key of `tenant`, or the operator token)

  /** `tenant`'s usage history (as {@link usageHistory}), for its admin key or the operator. */
  async tenantUsageHistory(
    tenant: string,
    window: UsageWindow = "1h",
    options: CallOptions = {},
  ): Promise<WithMeta<UsageHistory>> {
    return this.t.send(
      {
        method: "GET",
        path: `/admin/v1/tenants/${tenantSegment(tenant)}/usage/history?window=${encodeURIComponent(window)}`,
        retry: "idempotent",
      },
      options,
      jsonWithMeta<UsageHistory>,
    );
  }

  /** `tenant`'s data-key versions and re-encryption progress; never key material. */
  async dataKeys(tenant: string, options: CallOptions = {}): Promise<WithMeta<KeyStatus>> {
    return this.t.send(
      { method: "GET", path: `/admin/v1/tenants/${tenantSegment(tenant)}/keys`, retry: "idempotent" },
      options,
      jsonWithMeta<KeyStatus>,
    );
  }

  /**
   * One page of `tenant`'s audit entries, oldest first (`since`: the previous
   * page's `next`). A tenant admin key sees only its own tenant's.
   */
  async auditPage(
    tenant: string,
    options: PageOptions & { since?: number } = {},
  ): Promise<WithMeta<{ entries: AuditEntry[]; next: number | null }>> {
    const q = query({ tenant: tenantSegment(tenant), since: options.since, limit: options.limit });
    return this.t.send(
      { method: "GET", path: `/admin/v1/audit${q}`, retry: "idempotent" },
      options,
      jsonWithMeta<{ entries: AuditEntry[]; next: number | null }>,
    );
  }

  /** Every audit entry of `tenant`, oldest first, following pages. */
  async *auditEntries(tenant: string, options: PageOptions = {}): AsyncGenerator<AuditEntry, void, undefined> {
    let since: number | undefined;
    for (;;) {
      const page = await this.auditPage(tenant, { ...options, ...(since === undefined ? {} : { since }) });
      yield* page.entries;
      if (page.next === null) return;
      since = page.next;
    }
  }

  /** The plan `name` (a tenant admin may read its own tenant's plan: `usage().plan`). */
  async plan(name: string, options: CallOptions = {}): Promise<WithMeta<Plan>> {
    return this.t.send(
      { method: "GET", path: `/admin/v1/plans/${tenantSegment(name)}`, retry: "idempotent" },
      options,
      jsonWithMeta<Plan>,
    );
  }
}
