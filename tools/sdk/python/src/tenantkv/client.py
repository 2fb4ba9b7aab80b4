"""The tenantkv client: one :class:`Client` per base URL and token."""

from __future__ import annotations

import base64
import json
import os
import re
import time
from typing import Any, Iterator, Mapping, Optional, Sequence, Union
from urllib.parse import quote, urlencode

import requests

from . import errors
from .models import (
    ApiKey,
    AuditEntry,
    BatchOp,
    BatchOpResult,
    BatchResult,
    DeleteResult,
    GetResult,
    HeadResult,
    Key,
    KeyStatus,
    ListItem,
    ListPage,
    NewApiKey,
    Plan,
    PutResult,
    QuotaFields,
    QuotaManifest,
    QuotaUse,
    RateLimit,
    Role,
    Usage,
    UsageHistory,
    key_bytes,
)
from .retry import RetryPolicy

__all__ = ["Client", "DEFAULT_TIMEOUT"]

DEFAULT_TIMEOUT = (5.0, 30.0)
"""Seconds: (connect, read). The read timeout bounds each wait for bytes."""

# What the server echoes; any other X-Request-Id it replaces with its own.
_REQUEST_ID = re.compile(r"[A-Za-z0-9_.:-]{1,128}")
_IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE"})
_VERSION = "0.1.0"

Timeout = Union[float, tuple[float, float]]


def _quote_etag(etag: str) -> str:
    """An ETag header value: ``*`` as is, otherwise quoted once."""
    if etag == "*" or (len(etag) >= 2 and etag.startswith('"') and etag.endswith('"')):
        return etag
    return f'"{etag}"'


def _unquote_etag(value: Optional[str]) -> str:
    if not value:
        return ""
    v = value.strip()
    if v.startswith("W/"):
        v = v[2:]
    return v.strip('"')


# Keys sent as they are: unreserved characters and single inner slashes
# (the server reads the whole rest of the path as the key). No dots, so no
# dot segment for any client layer to resolve.
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_~-]+(?:/[A-Za-z0-9_~-]+)*")


def _key_path(key: Key) -> str:
    if isinstance(key, str) and len(key) <= 1024 and _PLAIN_KEY.fullmatch(key):
        return "/v1/kv/" + key  # the common case, cheaply
    # Every other byte escaped, '/' and '.' included.
    raw = key_bytes(key)
    if not 1 <= len(raw) <= 1024:
        raise ValueError("a key is 1 to 1024 bytes")
    return "/v1/kv/" + quote(raw, safe="").replace(".", "%2E")


class Client:
    """A client of one tenantkv server, with one token.

    Args:
        base_url: ``http://host:port`` or ``https://...``, optionally with a
            path prefix (a reverse proxy); default ``$TENANTKV_URL``.
        token: a tenant API key (``tkv_...``), or the operator token for
            the admin routes; default ``$TENANTKV_TOKEN``.
        tenant: the tenant id for the *self* admin routes. A tenant
            ``admin`` key may leave it out: it is then learnt once from
            ``GET /v1/usage``.
        timeout: seconds, one number for both, or ``(connect, read)``.
        retry: which refusals are retried and how long to wait
            (:class:`~tenantkv.retry.RetryPolicy`; ``NO_RETRY`` for none).
        verify: ``True`` (the system CA store), ``False``, or the path of a
            PEM CA bundle that issued the server's certificate.
        cert: a client certificate, as the path of a PEM holding both the
            certificate and its key, or ``(cert_path, key_path)``.
        session: a ``requests.Session`` to use; by default the client makes
            its own, which keeps connections alive between calls.

    The proxy variables (``HTTPS_PROXY``, ``NO_PROXY``...) and
    ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` (when ``verify`` is ``True``)
    are read once, when the client is made, not at each call as plain
    ``requests`` does; ``~/.netrc`` is not read (the token is the
    credential). A ``session`` passed in keeps its own settings.

    Calls that make one request take ``request_id=``: sent as
    ``X-Request-Id`` (1 to 128 of ``A-Z a-z 0-9 - _ . :``, else
    ``ValueError``), echoed by the server in its answer and its log lines,
    and so in the result's or the error's ``request_id``; every retry of
    the call sends the same id. Without it the server makes one.

    A client is meant for one thread at a time (``requests.Session`` is not
    documented as thread-safe): give each thread its own. Close it, or use
    it as a context manager, to close its connections.

    Raises:
        ConfigurationError: no base URL or no token.
    """

    def __init__(
        self,
        base_url: Optional[str] = None,
        token: Optional[str] = None,
        *,
        tenant: Optional[str] = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
        retry: Optional[RetryPolicy] = None,
        verify: Union[bool, str] = True,
        cert: Union[None, str, tuple[str, str]] = None,
        session: Optional[requests.Session] = None,
    ) -> None:
        url = base_url if base_url is not None else os.environ.get("TENANTKV_URL", "")
        tok = token if token is not None else os.environ.get("TENANTKV_TOKEN", "")
        if not url:
            raise errors.ConfigurationError("no base URL: pass base_url or set TENANTKV_URL")
        if not url.startswith(("http://", "https://")):
            raise errors.ConfigurationError("base_url must start with http:// or https://")
        if not tok.strip():
            raise errors.ConfigurationError("no token: pass token or set TENANTKV_TOKEN")
        self.base_url = url.rstrip("/")
        self.tenant = tenant
        self.timeout: tuple[float, float] = timeout if isinstance(timeout, tuple) else (timeout, timeout)
        self.retry = retry if retry is not None else RetryPolicy()
        self._token = tok.strip()
        if session is None:
            session = requests.Session()
            # requests reads the proxy variables (walking the whole
            # environment, twice) and ~/.netrc on every call; this client
            # has one base URL and its own Authorization, so it reads the
            # environment once, here, as requests would.
            session.trust_env = False
            session.proxies.update(requests.utils.get_environ_proxies(self.base_url))
            if verify is True:
                verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        self._session = session
        # Passed with each request: with a caller's session that trusts the
        # environment, its own verify would lose to $REQUESTS_CA_BUNDLE.
        self._verify = verify
        self._cert = cert
        self._session.headers.update(
            {"Authorization": f"Bearer {self._token}", "User-Agent": f"tenantkv-python/{_VERSION}"}
        )

    def __repr__(self) -> str:
        # Never the token.
        return f"Client({self.base_url!r}, tenant={self.tenant!r})"

    def close(self) -> None:
        """Close the pooled connections."""
        self._session.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- transport ----------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        query: Optional[Mapping[str, Union[str, bytes, int]]] = None,
        headers: Optional[Mapping[str, str]] = None,
        body: Optional[bytes] = None,
        json_body: Any = None,
        retryable: Optional[bool] = None,
        ok: Sequence[int] = (),
        request_id: Optional[str] = None,
    ) -> tuple[requests.Response, int]:
        """One call with its retries; returns the answer and the tries made.

        Answers below 300 and those in ``ok`` are returned; any other
        raises the matching :class:`~tenantkv.errors.ApiError`."""
        url = self.base_url + path
        if query:
            url += "?" + urlencode({k: v for k, v in query.items()})
        hdrs = dict(headers or {})
        if request_id is not None:
            if not _REQUEST_ID.fullmatch(request_id):
                raise ValueError("a request id is 1 to 128 characters from A-Z a-z 0-9 - _ . :")
            hdrs["X-Request-Id"] = request_id
        data = body
        if json_body is not None:
            data = json.dumps(json_body, separators=(",", ":")).encode("utf-8")
            hdrs["Content-Type"] = "application/json"
        elif body is not None:
            hdrs["Content-Type"] = "application/octet-stream"
        elif method in ("POST", "PUT"):
            data = b""
        can_retry = retryable if retryable is not None else method in _IDEMPOTENT
        policy = self.retry
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            try:
                resp = self._session.request(
                    method, url, headers=hdrs, data=data, timeout=self.timeout, verify=self._verify, cert=self._cert
                )
            except requests.Timeout as e:
                # A read timeout may come after the server ran the call: not retried.
                if isinstance(e, requests.ConnectTimeout) and can_retry and self._wait(policy, attempt, None, started):
                    continue
                raise errors.RequestTimeout(f"{method} {path}: {e}", attempts=attempt) from e
            except requests.exceptions.SSLError as e:
                # A certificate the client refuses stays refused.
                raise errors.TransportError(f"{method} {path}: {e}", attempts=attempt) from e
            except requests.ConnectionError as e:
                if can_retry and self._wait(policy, attempt, None, started):
                    continue
                raise errors.TransportError(f"{method} {path}: {e}", attempts=attempt) from e
            except requests.RequestException as e:
                raise errors.TransportError(f"{method} {path}: {e}", attempts=attempt) from e
            if resp.status_code < 300 or resp.status_code in ok:
                return resp, attempt
            err = self._error(resp, attempt)
            if can_retry and resp.status_code in policy.statuses and self._wait(
                policy, attempt, err.retry_after, started
            ):
                resp.close()
                continue
            raise err

    @staticmethod
    def _wait(policy: RetryPolicy, attempt: int, retry_after: Optional[float], started: float) -> bool:
        """Sleep before the next try; false when the policy says give up."""
        if attempt >= policy.max_attempts:
            return False
        delay = policy.delay(attempt, retry_after)
        if time.monotonic() + delay - started > policy.max_total:
            return False
        time.sleep(delay)
        return True

    @staticmethod
    def _error(resp: requests.Response, attempts: int) -> errors.ApiError:
        status = resp.status_code
        doc: dict[str, Any] = {}
        if resp.content:
            try:
                parsed = json.loads(resp.content)
                if isinstance(parsed, dict):
                    doc = parsed
            except ValueError:
                pass
        retry_after: Optional[float] = None
        ra = resp.headers.get("Retry-After")
        if ra is not None:
            try:
                retry_after = float(ra)
            except ValueError:
                retry_after = None
        cls = errors.error_class(status)
        return cls(
            status,
            str(doc.get("code") or f"http_{status}"),
            title=str(doc.get("title") or resp.reason or ""),
            detail=str(doc.get("detail") or ""),
            request_id=resp.headers.get("X-Request-Id"),
            retry_after=retry_after,
            rate_limit=RateLimit.from_headers(resp.headers),
            attempts=attempts,
            headers=dict(resp.headers),
        )

    @staticmethod
    def _info(resp: requests.Response, attempts: int) -> dict[str, Any]:
        return {
            "status": resp.status_code,
            "request_id": resp.headers.get("X-Request-Id"),
            "rate_limit": RateLimit.from_headers(resp.headers),
            "attempts": attempts,
        }

    # ---- data routes --------------------------------------------------

    def get(
        self, key: Key, *, if_none_match: Union[None, str, Sequence[str]] = None, request_id: Optional[str] = None
    ) -> GetResult:
        """``GET /v1/kv/{key}``: the value and its ETag.

        Args:
            if_none_match: an ETag, a list of ETags, or ``"*"``: when one
                matches, the result has ``not_modified=True`` and no value.

        Raises:
            NotFoundError: the key is absent or expired (``code`` ``not_found``).
        """
        headers = {}
        if if_none_match is not None:
            tags = [if_none_match] if isinstance(if_none_match, str) else list(if_none_match)
            headers["If-None-Match"] = ", ".join(_quote_etag(t) for t in tags)
        resp, n = self._call("GET", _key_path(key), headers=headers, ok=(304,), request_id=request_id)
        return GetResult(
            value=resp.content if resp.status_code != 304 else b"",
            etag=_unquote_etag(resp.headers.get("ETag")),
            not_modified=resp.status_code == 304,
            **self._info(resp, n),
        )

    def head(self, key: Key, *, request_id: Optional[str] = None) -> HeadResult:
        """``HEAD /v1/kv/{key}``: the ETag and size, no value.

        Raises:
            NotFoundError: the key is absent (``code`` is ``http_404``: a
                ``HEAD`` answer has no problem document).
        """
        resp, n = self._call("HEAD", _key_path(key), request_id=request_id)
        return HeadResult(
            etag=_unquote_etag(resp.headers.get("ETag")),
            size=int(resp.headers.get("Content-Length", "0")),
            **self._info(resp, n),
        )

    def put(
        self,
        key: Key,
        value: Union[bytes, str],
        *,
        if_match: Optional[str] = None,
        if_none_match: bool = False,
        ttl: Optional[int] = None,
        request_id: Optional[str] = None,
    ) -> PutResult:
        """``PUT /v1/kv/{key}``: store ``value`` (a ``str`` is sent as UTF-8).

        Args:
            if_match: write only if the key holds this ETag (``"*"``: only
                if it exists).
            if_none_match: write only if the key is absent.
            ttl: seconds until the value expires, 1..315360000; without it
                the value never expires.

        Raises:
            PreconditionFailedError: a condition did not hold (``412``).
            PayloadTooLargeError: ``value_too_large``.
            StorageQuotaError: the tenant's ``storage_bytes`` would be passed.
        """
        headers = {}
        if if_match is not None:
            headers["If-Match"] = _quote_etag(if_match)
        if if_none_match:
            headers["If-None-Match"] = "*"
        if ttl is not None:
            headers["Ttl-Seconds"] = str(int(ttl))
        data = value.encode("utf-8") if isinstance(value, str) else bytes(value)
        resp, n = self._call("PUT", _key_path(key), headers=headers, body=data, request_id=request_id)
        return PutResult(
            etag=_unquote_etag(resp.headers.get("ETag")),
            created=resp.status_code == 201,
            **self._info(resp, n),
        )

    def delete(
        self,
        key: Key,
        *,
        if_match: Optional[str] = None,
        missing_ok: bool = False,
        request_id: Optional[str] = None,
    ) -> DeleteResult:
        """``DELETE /v1/kv/{key}``.

        Args:
            if_match: delete only if the key holds this ETag (or ``"*"``).
            missing_ok: an absent key gives ``deleted=False`` instead of
                :class:`~tenantkv.errors.NotFoundError`.

        Raises:
            NotFoundError: the key is absent (unless ``missing_ok``).
            PreconditionFailedError: ``if_match`` did not hold.
        """
        headers = {"If-Match": _quote_etag(if_match)} if if_match is not None else {}
        resp, n = self._call(
            "DELETE", _key_path(key), headers=headers, ok=(404,) if missing_ok else (), request_id=request_id
        )
        if resp.status_code == 404:
            # Only with missing_ok, and only for an absent key: other 404s
            # (a wrong base path) are not a key's absence.
            err = self._error(resp, n)
            if err.code != "not_found":
                raise err
        return DeleteResult(deleted=resp.status_code != 404, **self._info(resp, n))

    def list_pages(
        self,
        prefix: Key = "",
        *,
        start_after: Optional[Key] = None,
        page_size: Optional[int] = None,
        values: bool = False,
    ) -> Iterator[ListPage]:
        """``GET /v1/kv`` page by page, following ``next`` until the end.

        Args:
            prefix: only keys starting with these bytes.
            start_after: only keys after this one.
            page_size: keys per page, 1..1000 (server default 100).
            values: include each value (``ListItem.value``).

        Each page is one consistent view; the pages together are not one
        snapshot. A page may be empty and still have a ``next``.
        """
        cursor = key_bytes(start_after) if start_after is not None else None
        while True:
            query: dict[str, Union[str, bytes, int]] = {}
            if prefix:
                query["prefix"] = key_bytes(prefix)
            if cursor is not None:
                query["start_after"] = cursor
            if page_size is not None:
                query["limit"] = page_size
            if values:
                query["values"] = "true"
            resp, n = self._call("GET", "/v1/kv", query=query)
            doc = resp.json()
            items = [self._item(i) for i in doc.get("items", [])]
            nxt: Optional[bytes] = None
            if doc.get("next") is not None:
                nb = doc.get("next_b64")
                nxt = base64.b64decode(nb) if nb is not None else str(doc["next"]).encode("utf-8")
            yield ListPage(items=items, next=nxt, **self._info(resp, n))
            if nxt is None:
                return
            cursor = nxt

    def list(
        self,
        prefix: Key = "",
        *,
        start_after: Optional[Key] = None,
        page_size: Optional[int] = None,
        values: bool = False,
    ) -> Iterator[ListItem]:
        """Every key (in byte order) with ``prefix``, fetching pages lazily
        as the iteration goes; the arguments are those of :meth:`list_pages`."""
        for page in self.list_pages(prefix, start_after=start_after, page_size=page_size, values=values):
            yield from page.items

    @staticmethod
    def _item(doc: Mapping[str, Any]) -> ListItem:
        key = str(doc["key"])
        kb = base64.b64decode(doc["key_b64"]) if "key_b64" in doc else key.encode("utf-8")
        value = base64.b64decode(doc["value_b64"]) if "value_b64" in doc else None
        return ListItem(key=key, key_bytes=kb, size=int(doc["size"]), etag=str(doc["etag"]), value=value)

    def batch(self, ops: Sequence[BatchOp], *, request_id: Optional[str] = None) -> BatchResult:
        """``POST /v1/batch``: up to 1000 ops, all writes applied atomically.

        A batch of ``get`` ops only is retried like a read; one that writes
        is never retried.

        Raises:
            BadRequestError: ``invalid_batch`` and the like; nothing ran.
            PayloadTooLargeError: ``batch_exceeds_burst``,
                ``response_too_large``, ``value_too_large``.
        """
        body = {"ops": [op.to_json() for op in ops]}
        read_only = all(op.op == "get" for op in ops)
        resp, n = self._call("POST", "/v1/batch", json_body=body, retryable=read_only, request_id=request_id)
        results = []
        for r in resp.json().get("results", []):
            value = base64.b64decode(r["value_b64"]) if "value_b64" in r else None
            results.append(BatchOpResult(status=int(r["status"]), etag=r.get("etag"), value=value))
        return BatchResult(results=results, **self._info(resp, n))

    def usage(self, *, request_id: Optional[str] = None) -> Usage:
        """``GET /v1/usage``: the calling tenant's usage and quotas."""
        resp, n = self._call("GET", "/v1/usage", request_id=request_id)
        doc = resp.json()
        quotas: dict[str, QuotaUse] = doc.get("quotas", {})
        return Usage(
            tenant=str(doc["tenant"]),
            plan=str(doc.get("plan", "")),
            usage=dict(doc.get("usage", {})),
            quotas=quotas,
            throttled={str(k): int(v) for k, v in doc.get("throttled", {}).items()},
            **self._info(resp, n),
        )

    def usage_history(
        self, window: str = "1h", *, tenant: Optional[str] = None, request_id: Optional[str] = None
    ) -> UsageHistory:
        """The tenant's usage over the last hour (``window="1h"``: 60
        one-minute points) or day (``"24h"``: 144 ten-minute points).

        Without ``tenant``: ``GET /v1/usage/history``, the token's own
        tenant (any role). With it: ``GET /admin/v1/tenants/{id}/usage/history``
        (the operator token, or an admin key of that tenant).

        Raises:
            BadRequestError: ``invalid_parameter`` (another window).
            PermissionDeniedError: ``forbidden`` (another tenant's).
        """
        path = "/v1/usage/history" if tenant is None else self._tenant_path(tenant, "/usage/history")
        resp, _ = self._call("GET", path + "?" + urlencode({"window": window}), request_id=request_id)
        out: UsageHistory = resp.json()
        return out

    def ready(self) -> bool:
        """``GET /readyz``: true while the server serves and is not draining."""
        try:
            self._call("GET", "/readyz", retryable=False)
        except errors.ServiceUnavailableError:
            return False
        return True

    def _follow(
        self,
        path: str,
        items: str,
        cursor_param: str,
        page_size: Optional[int],
        base_query: Optional[dict[str, Union[str, bytes, int]]] = None,
    ) -> Iterator[Any]:
        """The ``items`` of every page of ``GET path``, following ``next``
        (sent back as ``cursor_param``) until it is null."""
        cursor: Optional[Union[str, int]] = None
        while True:
            query: dict[str, Union[str, bytes, int]] = dict(base_query or {})
            if page_size is not None:
                query["limit"] = page_size
            if cursor is not None:
                query[cursor_param] = cursor
            resp, _ = self._call("GET", path, query=query)
            doc = resp.json()
            yield from doc.get(items, [])
            if doc.get("next") is None:
                return
            cursor = doc["next"]

    # ---- self admin routes (a tenant admin key, or the operator) -------

    def tenant_id(self) -> str:
        """The tenant of the *self* routes: the one given, else the token's
        own, learnt once from :meth:`usage` (needs a tenant key)."""
        if self.tenant is None:
            self.tenant = self.usage().tenant
        return self.tenant

    def _tenant_path(self, tenant: Optional[str], rest: str) -> str:
        tid = tenant if tenant is not None else self.tenant_id()
        return f"/admin/v1/tenants/{quote(tid, safe='')}{rest}"

    def create_api_key(
        self,
        role: Role,
        *,
        tenant: Optional[str] = None,
        name: Optional[str] = None,
        expires_at: Optional[str] = None,
        request_id: Optional[str] = None,
    ) -> NewApiKey:
        """``POST .../apikeys``: a new key; its ``token`` is shown only here.

        ``name`` labels it (shown in lists and the audit); ``expires_at``
        (RFC 3339, in the future) is when it stops working: after it, calls
        with it fail with ``AuthenticationError`` ``key_expired``.

        Raises:
            BadRequestError: ``invalid_name``, ``invalid_expires_at``.
            ConflictError: ``api_key_limit``.
            PermissionDeniedError: ``forbidden`` (not an admin key of it).
        """
        body: dict[str, Any] = {"role": role}
        if name is not None:
            body["name"] = name
        if expires_at is not None:
            body["expires_at"] = expires_at
        resp, _ = self._call("POST", self._tenant_path(tenant, "/apikeys"), json_body=body, request_id=request_id)
        out: NewApiKey = resp.json()
        return out

    def list_api_keys(self, *, tenant: Optional[str] = None, page_size: Optional[int] = None) -> Iterator[ApiKey]:
        """``GET .../apikeys``: every key, active and revoked, oldest first,
        following ``next`` across pages."""
        return self._follow(self._tenant_path(tenant, "/apikeys"), "keys", "start_after", page_size)

    def revoke_api_key(self, key_id: str, *, tenant: Optional[str] = None, request_id: Optional[str] = None) -> None:
        """``DELETE .../apikeys/{key_id}``; revoking a revoked key succeeds.

        Raises:
            NotFoundError: ``apikey_not_found``.
        """
        self._call("DELETE", self._tenant_path(tenant, f"/apikeys/{quote(key_id, safe='')}"), request_id=request_id)

    def get_quota(self, *, tenant: Optional[str] = None, request_id: Optional[str] = None) -> QuotaManifest:
        """``GET .../quota``: the current quota manifest."""
        resp, _ = self._call("GET", self._tenant_path(tenant, "/quota"), request_id=request_id)
        out: QuotaManifest = resp.json()
        return out

    def set_quota(
        self, fields: QuotaFields, *, tenant: Optional[str] = None, request_id: Optional[str] = None
    ) -> QuotaManifest:
        """``PUT .../quota``: a new manifest version; fields left out keep
        their values. A tenant admin may set each changed field only inside
        its plan's range.

        Raises:
            PermissionDeniedError: ``outside_plan_range`` (``detail`` names
                the field and the range).
            BadRequestError: ``invalid_quota``, ``unknown_field``.
        """
        resp, _ = self._call(
            "PUT", self._tenant_path(tenant, "/quota"), json_body=dict(fields), request_id=request_id
        )
        out: QuotaManifest = resp.json()
        return out

    def quota_history(self, *, tenant: Optional[str] = None, page_size: Optional[int] = None) -> Iterator[QuotaManifest]:
        """``GET .../quota/history``: every version, oldest first, each
        with ``changes``, following ``next`` across pages."""
        return self._follow(self._tenant_path(tenant, "/quota/history"), "versions", "start_after", page_size)

    # ---- read-only views (a tenant admin key of its own tenant, or the operator)

    def data_keys(self, *, tenant: Optional[str] = None, request_id: Optional[str] = None) -> KeyStatus:
        """``GET .../keys``: the data-key versions and re-encryption progress;
        never key material."""
        resp, _ = self._call("GET", self._tenant_path(tenant, "/keys"), request_id=request_id)
        out: KeyStatus = resp.json()
        return out

    def audit_entries(self, *, tenant: Optional[str] = None, page_size: Optional[int] = None) -> Iterator[AuditEntry]:
        """``GET /admin/v1/audit?tenant=``: the tenant's audit entries, oldest
        first, following ``next`` across pages. A tenant admin key sees only
        its own tenant's (another gets ``PermissionDeniedError``)."""
        tid = tenant if tenant is not None else self.tenant_id()
        return self._follow("/admin/v1/audit", "entries", "since", page_size, {"tenant": tid})

    def plan(self, name: Optional[str] = None, *, request_id: Optional[str] = None) -> Plan:
        """``GET /admin/v1/plans/{name}``: a plan (default: the token's own
        tenant's, which is the one a tenant admin may read)."""
        plan_name = name if name is not None else self.usage().plan
        resp, _ = self._call("GET", f"/admin/v1/plans/{quote(plan_name, safe='')}", request_id=request_id)
        out: Plan = resp.json()
        return out
