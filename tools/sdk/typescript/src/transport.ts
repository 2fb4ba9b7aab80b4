import {
  ConnectionError,
  TenantKVError,
  TimeoutError,
  errorForStatus,
} from "./errors.js";
import { readRateLimit, type ResponseMeta } from "./meta.js";

/** When and how often a refused call is tried again. */
export interface RetryOptions {
  /** Attempts in all, the first included (default 4; 1 = never retry). */
  maxAttempts?: number;
  /** First backoff step in ms when the answer has no `Retry-After` (default 100). */
  baseDelayMs?: number;
  /** Longest single wait in ms for the exponential backoff (default 5000). `Retry-After` may ask for more, up to `maxElapsedMs`. */
  maxDelayMs?: number;
  /** Give up once the next wait would end later than this many ms after the first attempt began (default 30000). */
  maxElapsedMs?: number;
}

export interface ResolvedRetry {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  maxElapsedMs: number;
}

export function resolveRetry(r: RetryOptions | false | undefined): ResolvedRetry {
  if (r === false) return { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0, maxElapsedMs: 0 };
  return {
    maxAttempts: Math.max(1, r?.maxAttempts ?? 4),
    baseDelayMs: Math.max(0, r?.baseDelayMs ?? 100),
    maxDelayMs: Math.max(0, r?.maxDelayMs ?? 5000),
    maxElapsedMs: Math.max(0, r?.maxElapsedMs ?? 30000),
  };
}

/** Per-call options every method accepts. */
export interface CallOptions {
  /** Aborts the call (and any wait between retries); the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** This call's time limit per attempt in ms, instead of the client's `timeoutMs`; 0 = none. */
  timeoutMs?: number;
  /** An `X-Request-Id` to send (1..128 of `A-Z a-z 0-9 - _ . :`); the server echoes it and logs it. */
  requestId?: string;
}

/**
 * Which answers may be tried again.
 * - `idempotent`: GET, HEAD, PUT, DELETE. Repeating them has the same
 *   effect, so a 429 or 503 answer, or a lost connection, is retried.
 * - `unapplied`: a POST that is retried only when the server says it ran
 *   nothing: any 429 but `auth_backoff` (admission refused it before it
 *   ran) and the 503s documented as refused before the handler
 *   (`queue_full`, `deadline`, `key_exhausted`, `too_many_connections`).
 *   Used for `POST /v1/batch`.
 * - `never`: other POSTs (an API key create would make a second key).
 */
export type RetryClass = "idempotent" | "unapplied" | "never";

const UNAPPLIED_503 = new Set(["queue_full", "deadline", "key_exhausted", "too_many_connections"]);

export interface Request {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
  retry: RetryClass;
  /** Statuses (besides 2xx) the caller handles itself, e.g. 404 for a get. */
  accept?: readonly number[];
}

export interface TransportOptions {
  baseUrl: string;
  token: string | undefined;
  fetch: typeof fetch;
  dispatcher: unknown;
  timeoutMs: number;
  retry: ResolvedRetry;
  headers: Record<string, string>;
}

interface Problem {
  code?: unknown;
  detail?: unknown;
  title?: unknown;
  type?: unknown;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function retryAfterSeconds(h: Headers): number | null {
  const v = h.get("retry-after");
  if (v === null) return null;
  if (/^\d+$/.test(v.trim())) return Number.parseInt(v, 10);
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

async function problemOf(res: Response, status: number, attempts: number): Promise<TenantKVError> {
  let p: Problem = {};
  const text = await res.text();
  if (text !== "") {
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed !== null && typeof parsed === "object") p = parsed as Problem;
    } catch {
      // Not a problem document (e.g. a proxy's page): the status still tells the class.
    }
  }
  return errorForStatus({
    status,
    code: typeof p.code === "string" ? p.code : `http_${status}`,
    detail: typeof p.detail === "string" ? p.detail : res.statusText,
    ...(typeof p.title === "string" ? { title: p.title } : {}),
    ...(typeof p.type === "string" ? { type: p.type } : {}),
    requestId: res.headers.get("x-request-id"),
    retryAfter: retryAfterSeconds(res.headers),
    rateLimit: readRateLimit(res.headers),
    attempts,
  });
}

function mayRetry(req: Request, err: TenantKVError): boolean {
  if (req.retry === "never") return false;
  if (err.status === 0) return err.code === "network_error" && req.retry === "idempotent";
  if (err.status === 429) return err.code !== "auth_backoff";
  if (err.status === 503) return req.retry === "idempotent" || UNAPPLIED_503.has(err.code);
  return false;
}

/** Sends requests: auth, timeouts, retries, problem+json to typed errors. */
export class Transport {
  constructor(private readonly o: TransportOptions) {}

  /**
   * Sends `req` and hands a successful (or accepted) answer to `read`, inside
   * the attempt's time limit, so a body that stalls times out too.
   */
  async send<T>(
    req: Request,
    call: CallOptions | undefined,
    read: (res: Response, meta: ResponseMeta) => Promise<T>,
  ): Promise<T> {
    const started = Date.now();
    const r = this.o.retry;
    const headers: Record<string, string> = { ...this.o.headers, ...req.headers };
    if (this.o.token !== undefined) headers["authorization"] = `Bearer ${this.o.token}`;
    if (call?.requestId !== undefined) headers["x-request-id"] = call.requestId;
    const url = this.o.baseUrl + req.path;
    const timeoutMs = call?.timeoutMs ?? this.o.timeoutMs;
    for (let attempt = 1; ; attempt++) {
      let err: TenantKVError;
      try {
        return await this.attempt(url, req, headers, timeoutMs, call?.signal, attempt, read);
      } catch (e) {
        if (!(e instanceof TenantKVError)) throw e;
        err = e;
      }
      if (attempt >= r.maxAttempts || !mayRetry(req, err)) throw err;
      const backoff = Math.random() * Math.min(r.maxDelayMs, r.baseDelayMs * 2 ** (attempt - 1));
      // Retry-After is the server's floor; the jitter on top spreads the clients it refused together.
      const wait = err.retryAfter !== null ? err.retryAfter * 1000 + backoff : backoff;
      if (Date.now() - started + wait > r.maxElapsedMs) throw err;
      await sleep(wait, call?.signal);
    }
  }

  private async attempt<T>(
    url: string,
    req: Request,
    headers: Record<string, string>,
    timeoutMs: number,
    signal: AbortSignal | undefined,
    attempt: number,
    read: (res: Response, meta: ResponseMeta) => Promise<T>,
  ): Promise<T> {
    if (signal?.aborted) throw signal.reason;
    // A controller only when there is a time limit: without one, the
    // caller's signal (if any) goes to fetch as it is.
    const limited = timeoutMs > 0 && Number.isFinite(timeoutMs);
    const ctl = limited ? new AbortController() : undefined;
    let timedOut = false;
    const timer = limited
      ? setTimeout(() => {
          timedOut = true;
          ctl?.abort();
        }, timeoutMs)
      : undefined;
    const onAbort = () => ctl?.abort(signal?.reason);
    if (ctl !== undefined) signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const init: RequestInit & { dispatcher?: unknown } = { method: req.method, headers };
      const s = ctl?.signal ?? signal;
      if (s !== undefined) init.signal = s;
      // Uint8Array<ArrayBufferLike> is a valid body; the DOM lib types only the ArrayBuffer-backed one.
      if (req.body !== undefined) init.body = req.body as BodyInit;
      if (this.o.dispatcher !== undefined) init.dispatcher = this.o.dispatcher;
      const res = await this.o.fetch(url, init);
      const status = res.status;
      if ((status >= 200 && status < 300) || status === 304 || req.accept?.includes(status)) {
        const meta: ResponseMeta = {
          status,
          requestId: res.headers.get("x-request-id"),
          rateLimit: readRateLimit(res.headers),
          attempts: attempt,
        };
        return await read(res, meta);
      }
      throw await problemOf(res, status, attempt);
    } catch (e) {
      if (e instanceof TenantKVError) throw e;
      if (signal?.aborted) throw signal.reason;
      if (timedOut) {
        throw new TimeoutError({
          status: 0,
          code: "timeout",
          detail: `no complete answer within ${timeoutMs} ms: ${req.method} ${req.path}`,
          attempts: attempt,
          cause: e,
        });
      }
      throw new ConnectionError({
        status: 0,
        code: "network_error",
        detail: `${req.method} ${req.path}: ${e instanceof Error ? e.message : String(e)}`,
        attempts: attempt,
        cause: e,
      });
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      if (ctl !== undefined) signal?.removeEventListener("abort", onAbort);
    }
  }
}
