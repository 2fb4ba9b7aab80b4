/**
 * The tenant's request budget as an answer reported it (the IETF RateLimit
 * header draft, plus tenantkv's `Quota-Warning`). Data routes always send
 * it once the token was accepted; other routes may not.
 */
export interface RateLimit {
  /** `RateLimit-Limit`: the request bucket's capacity (the tenant's `burst_requests`). */
  limit: number | null;
  /** `RateLimit-Remaining`: whole request tokens left after this call. */
  remaining: number | null;
  /** `RateLimit-Reset`: seconds until the bucket is full again. */
  reset: number | null;
  /** `RateLimit-Policy`, e.g. `1000;w=2`. */
  policy: string | null;
  /** `Quota-Warning`, e.g. `storage_bytes 2702/3000`, once past the soft storage limit. */
  quotaWarning: string | null;
}

/** What every result carries about the answer it came from. */
export interface ResponseMeta {
  /** The HTTP status of the final answer. */
  status: number;
  /** `X-Request-Id` of the final answer. */
  requestId: string | null;
  /** `RateLimit-*` headers of the final answer, or null when it had none. */
  rateLimit: RateLimit | null;
  /** Attempts made, 1 when no retry was needed. */
  attempts: number;
}

/** A result object with the {@link ResponseMeta} of its answer. */
export type WithMeta<T> = T & { readonly meta: ResponseMeta };

function intHeader(h: Headers, name: string): number | null {
  const v = h.get(name);
  if (v === null) return null;
  const n = Number.parseInt(v, 10);
  return Number.isFinite(n) ? n : null;
}

/** Reads the RateLimit headers of an answer; null when it has none. */
export function readRateLimit(h: Headers): RateLimit | null {
  const limit = intHeader(h, "ratelimit-limit");
  const quotaWarning = h.get("quota-warning");
  if (limit === null && quotaWarning === null) return null;
  return {
    limit,
    remaining: intHeader(h, "ratelimit-remaining"),
    reset: intHeader(h, "ratelimit-reset"),
    policy: h.get("ratelimit-policy"),
    quotaWarning,
  };
}
