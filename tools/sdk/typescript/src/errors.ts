import type { components } from "./openapi.js";
import type { RateLimit } from "./meta.js";

/** The stable error codes the server documents (docs/openapi.yaml, `Problem.code`). */
export type ProblemCode = components["schemas"]["Problem"]["code"];

/**
 * Codes the SDK itself uses for failures that never reached an answer:
 * `timeout` (the attempt's time ran out), `network_error` (no HTTP answer),
 * `invalid_argument` (refused before sending, e.g. a key that cannot be put
 * in a URL), `bad_response` (an answer the SDK could not read).
 */
export type ClientCode = "timeout" | "network_error" | "invalid_argument" | "bad_response";

/** What the constructor of {@link TenantKVError} takes. */
export interface ErrorInit {
  status: number;
  code: string;
  detail: string;
  title?: string;
  type?: string;
  requestId?: string | null;
  retryAfter?: number | null;
  rateLimit?: RateLimit | null;
  attempts?: number;
  cause?: unknown;
}

/**
 * Every failure of the SDK. For an answer of the server it carries the
 * problem+json members; branch on {@link TenantKVError.code}, never on the
 * message.
 */
export class TenantKVError extends Error {
  /** HTTP status, or 0 when no answer came (timeout, network error, refused locally). */
  readonly status: number;
  /** The problem's `code` (a {@link ProblemCode}), or a {@link ClientCode}. A newer server may send codes not listed. */
  readonly code: ProblemCode | ClientCode | (string & {});
  /** The problem's `detail`: for humans. */
  readonly detail: string;
  /** The problem's `title`, when the server sent one. */
  readonly title: string | undefined;
  /** The problem's `type` URI, when the server sent one. */
  readonly type: string | undefined;
  /** The answer's `X-Request-Id`: quote it when asking the operator about this call. */
  readonly requestId: string | null;
  /** Seconds from `Retry-After`, when the answer had one. */
  readonly retryAfter: number | null;
  /** The answer's `RateLimit-*` and `Quota-Warning` headers, when it had any. */
  readonly rateLimit: RateLimit | null;
  /** How many attempts were made (retries included). */
  readonly attempts: number;

  constructor(init: ErrorInit) {
    super(
      init.status > 0 ? `${init.status} ${init.code}: ${init.detail}` : `${init.code}: ${init.detail}`,
      init.cause === undefined ? undefined : { cause: init.cause },
    );
    this.name = new.target.name;
    this.status = init.status;
    this.code = init.code;
    this.detail = init.detail;
    this.title = init.title;
    this.type = init.type;
    this.requestId = init.requestId ?? null;
    this.retryAfter = init.retryAfter ?? null;
    this.rateLimit = init.rateLimit ?? null;
    this.attempts = init.attempts ?? 1;
  }
}

/** 400: the request was malformed (`invalid_key`, `invalid_ttl`, `bad_precondition`, `unknown_field`, ...). */
export class BadRequestError extends TenantKVError {}
/** 401: no token, or a token that is unknown, malformed, revoked or whose tenant is gone. */
export class AuthenticationError extends TenantKVError {}
/** 403: authenticated but not allowed (`insufficient_role`, `forbidden`, `tenant_suspended`, `outside_plan_range`, ...). */
export class PermissionDeniedError extends TenantKVError {}
/** 404 on a route that is not a plain "key absent" (e.g. `tenant_not_found`, `apikey_not_found`). */
export class NotFoundError extends TenantKVError {}
/** 409: `tenant_exists`, `api_key_limit`. */
export class ConflictError extends TenantKVError {}
/** 412 `precondition_failed`: an `ifMatch` / `ifNoneMatch` condition did not hold. */
export class PreconditionFailedError extends TenantKVError {}
/** 413: `value_too_large`, `payload_too_large`, `batch_exceeds_burst`, `response_too_large`. Retrying gives the same answer. */
export class PayloadTooLargeError extends TenantKVError {}
/** 429: a quota of the tenant refused the call (`rate_limited`, `io_quota`, `concurrency_limit`) or `auth_backoff`. Nothing ran. */
export class RateLimitedError extends TenantKVError {}
/** 507 `storage_quota`: the write would pass the tenant's `storage_bytes`. Nothing changed. */
export class InsufficientStorageError extends TenantKVError {}
/** 503: overloaded, queue deadline passed, draining, storage busy... */
export class ServiceUnavailableError extends TenantKVError {}
/** Any other 5xx. */
export class ServerError extends TenantKVError {}
/** The attempt took longer than the client's `timeoutMs` (status 0, code `timeout`). */
export class TimeoutError extends TenantKVError {}
/** No HTTP answer: connection refused or reset, DNS, TLS (status 0, code `network_error`). */
export class ConnectionError extends TenantKVError {}

/** Picks the error class for an HTTP status. */
export function errorForStatus(init: ErrorInit): TenantKVError {
  switch (init.status) {
    case 400:
      return new BadRequestError(init);
    case 401:
      return new AuthenticationError(init);
    case 403:
      return new PermissionDeniedError(init);
    case 404:
      return new NotFoundError(init);
    case 409:
      return new ConflictError(init);
    case 412:
      return new PreconditionFailedError(init);
    case 413:
      return new PayloadTooLargeError(init);
    case 429:
      return new RateLimitedError(init);
    case 503:
      return new ServiceUnavailableError(init);
    case 507:
      return new InsufficientStorageError(init);
    default:
      return init.status >= 500 ? new ServerError(init) : new TenantKVError(init);
  }
}
