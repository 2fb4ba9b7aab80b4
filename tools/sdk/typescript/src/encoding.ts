import { TenantKVError } from "./errors.js";

/** A key or value as the caller may give it: text (sent as UTF-8) or bytes. */
export type Bytes = string | Uint8Array | ArrayBuffer;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function toBytes(v: Bytes): Uint8Array {
  if (typeof v === "string") return encoder.encode(v);
  if (v instanceof Uint8Array) return v;
  return new Uint8Array(v);
}

export function bytesToText(b: Uint8Array): string {
  return decoder.decode(b);
}

function invalid(detail: string): TenantKVError {
  return new TenantKVError({ status: 0, code: "invalid_argument", detail });
}

const HEX = "0123456789ABCDEF";

function isUnreserved(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) ||
    c === 0x2d || c === 0x2e || c === 0x5f || c === 0x7e
  );
}

/** Percent-encodes every byte outside RFC 3986's unreserved set, '/' included. */
export function percentEncode(b: Uint8Array): string {
  let out = "";
  for (const c of b) {
    out += isUnreserved(c) ? String.fromCharCode(c) : "%" + HEX[c >> 4] + HEX[c & 15];
  }
  return out;
}

/**
 * The path segment of a key. Every '/' is encoded, so the key is one segment
 * and cannot climb out of /v1/kv/. The keys "." and ".." cannot be sent at
 * all: a WHATWG URL (what fetch uses) resolves them, encoded or not, so they
 * are refused here; use {@link TenantKV.batch} for them.
 */
export function keySegment(key: Bytes): string {
  const b = toBytes(key);
  if (b.length === 0) throw invalid("a key is 1..1024 bytes; this one is empty");
  const seg = percentEncode(b);
  if (seg === "." || seg === "..") {
    throw invalid(`the key "${seg}" cannot be sent in a URL (fetch resolves it as a dot segment); use batch()`);
  }
  return seg;
}

const ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
const KEY_ID = /^[0-9a-f]{16}$/;

/** A tenant id, checked before it goes into a path, so it can only name a tenant. */
export function tenantSegment(id: string): string {
  if (!ID.test(id)) throw invalid(`not a tenant id (^[a-z0-9][a-z0-9-]{0,62}$): ${JSON.stringify(id)}`);
  return id;
}

/** An API key id, checked the same way. */
export function keyIdSegment(id: string): string {
  if (!KEY_ID.test(id)) throw invalid(`not an API key id (16 lowercase hex digits): ${JSON.stringify(id)}`);
  return id;
}

/** Builds a query string; byte values are percent-encoded exactly, undefined ones left out. */
export function query(params: Record<string, Bytes | number | boolean | undefined>): string {
  let out = "";
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    const enc = typeof v === "number" || typeof v === "boolean" ? String(v) : percentEncode(toBytes(v));
    out += (out === "" ? "?" : "&") + k + "=" + enc;
  }
  return out;
}

export function toBase64(b: Uint8Array): string {
  let s = "";
  // Chunks keep String.fromCharCode's argument list short.
  for (let i = 0; i < b.length; i += 0x8000) {
    s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

export function fromBase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** An ETag as the server's headers want it: quoted (or `*`). Accepts it quoted or bare. */
export function quoteEtag(etag: string): string {
  if (etag === "*" || (etag.length >= 2 && etag.startsWith('"') && etag.endsWith('"'))) return etag;
  return `"${etag}"`;
}

/** An ETag as the SDK reports it: without quotes, as in JSON bodies. */
export function unquoteEtag(etag: string | null): string {
  if (etag === null) return "";
  return etag.length >= 2 && etag.startsWith('"') && etag.endsWith('"') ? etag.slice(1, -1) : etag;
}
