// The console's one way to call the server: same origin, the token from
// this tab's sessionStorage, problem+json turned into ApiError.
const TOKEN_KEY = "tenantkv.console.token";
const KIND_KEY = "tenantkv.console.kind";

export type Kind = "tenant" | "operator";

export function readToken(): { token: string; kind: Kind } {
  const kind = sessionStorage.getItem(KIND_KEY) === "operator" ? "operator" : "tenant";
  return { token: sessionStorage.getItem(TOKEN_KEY) ?? "", kind };
}
export function saveToken(token: string, kind: Kind): void {
  sessionStorage.setItem(TOKEN_KEY, token);
  sessionStorage.setItem(KIND_KEY, kind);
}
export function clearToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(KIND_KEY);
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
  ) {
    super(`${status} ${code}: ${detail}`);
  }
}

export async function api(method: string, path: string, body?: unknown): Promise<unknown> {
  const headers: Record<string, string> = { Authorization: `Bearer ${readToken().token}` };
  let payload: string | undefined;
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const res = await fetch(path, { method, headers, body: payload, credentials: "omit", cache: "no-store" });
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!res.ok) {
    const p = (parsed ?? {}) as { code?: unknown; detail?: unknown };
    throw new ApiError(res.status, String(p.code ?? "error"), String(p.detail ?? res.statusText));
  }
  return parsed;
}
