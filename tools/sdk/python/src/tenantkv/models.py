"""Result types of the tenantkv client.

Data calls return frozen dataclasses carrying the answer's request id,
``RateLimit-*`` headers and the number of tries made. Admin routes return
their JSON documents as the ``TypedDict`` shapes below (see docs/api.md).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Literal, Mapping, Optional, TypedDict, Union

__all__ = [
    "Key",
    "RateLimit",
    "CallInfo",
    "GetResult",
    "HeadResult",
    "PutResult",
    "DeleteResult",
    "ListItem",
    "ListPage",
    "BatchOp",
    "BatchOpResult",
    "BatchResult",
    "Usage",
    "QuotaUse",
    "ApiKey",
    "NewApiKey",
    "QuotaFields",
    "QuotaManifest",
    "Role",
    "QUOTA_FIELDS",
]

Key = Union[str, bytes]
"""A key: a ``str`` (sent as UTF-8) or any ``bytes``, 1..1024 bytes long."""

Role = Literal["read", "write", "admin"]

QUOTA_FIELDS = (
    "requests_per_sec",
    "burst_requests",
    "read_bytes_per_sec",
    "write_bytes_per_sec",
    "burst_read_bytes",
    "burst_write_bytes",
    "max_concurrent",
    "storage_bytes",
    "storage_soft_pct",
    "storage_grace_pct",
    "storage_grace_seconds",
    "max_value_bytes",
    "weight",
    "reserved_ops_per_sec",
    "max_queue_ms",
)
"""The fifteen quota fields, in the order docs/api.md lists them."""


def key_bytes(key: Key) -> bytes:
    return key.encode("utf-8") if isinstance(key, str) else bytes(key)


@dataclass(frozen=True)
class RateLimit:
    """The ``RateLimit-*`` and ``Quota-Warning`` headers of a data answer.

    ``limit`` is the request bucket's capacity (``burst_requests``),
    ``remaining`` the whole tokens left after the call, ``reset`` the
    seconds until it is full again, ``policy`` the raw ``RateLimit-Policy``
    (e.g. ``"1000;w=2"``) and ``quota_warning`` the ``Quota-Warning`` value
    (``"storage_bytes <used>/<limit>"``) once the soft limit is crossed.
    """

    limit: Optional[int] = None
    remaining: Optional[int] = None
    reset: Optional[int] = None
    policy: Optional[str] = None
    quota_warning: Optional[str] = None

    @staticmethod
    def from_headers(headers: Mapping[str, str]) -> Optional["RateLimit"]:
        """Parse the headers; ``None`` when the answer carried none of them."""
        get = headers.get
        limit, remaining, reset = get("RateLimit-Limit"), get("RateLimit-Remaining"), get("RateLimit-Reset")
        policy, warning = get("RateLimit-Policy"), get("Quota-Warning")
        if limit is None and remaining is None and reset is None and policy is None and warning is None:
            return None
        return RateLimit(_number(limit), _number(remaining), _number(reset), policy, warning)


def _number(value: Optional[str]) -> Optional[int]:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


@dataclass(frozen=True, kw_only=True)
class CallInfo:
    """What every data result carries about its call."""

    status: int
    request_id: Optional[str] = None
    rate_limit: Optional[RateLimit] = None
    attempts: int = 1


@dataclass(frozen=True, kw_only=True)
class GetResult(CallInfo):
    """A value read by :meth:`Client.get`.

    ``not_modified`` is true for a ``304`` (an ``if_none_match`` ETag
    matched); ``value`` is then empty."""

    value: bytes
    etag: str
    not_modified: bool = False

    @property
    def text(self) -> str:
        """The value decoded as UTF-8."""
        return self.value.decode("utf-8")


@dataclass(frozen=True, kw_only=True)
class HeadResult(CallInfo):
    """A value's metadata from :meth:`Client.head`."""

    etag: str
    size: int


@dataclass(frozen=True, kw_only=True)
class PutResult(CallInfo):
    """A write: ``created`` is true for ``201`` (the key was absent)."""

    etag: str
    created: bool


@dataclass(frozen=True, kw_only=True)
class DeleteResult(CallInfo):
    """A delete: ``deleted`` is false only with ``missing_ok`` and a ``404``."""

    deleted: bool


@dataclass(frozen=True)
class ListItem:
    """One key of a list page. ``key`` may be a lossy rendering when the
    key is not UTF-8; ``key_bytes`` always holds the exact bytes. ``value``
    is set only when listing with ``values=True``."""

    key: str
    key_bytes: bytes
    size: int
    etag: str
    value: Optional[bytes] = None


@dataclass(frozen=True, kw_only=True)
class ListPage(CallInfo):
    """One page of :meth:`Client.list_pages`; ``next`` (exact bytes) is
    ``None`` when the listing is complete."""

    items: list[ListItem]
    next: Optional[bytes]


@dataclass(frozen=True)
class BatchOp:
    """One operation of a batch; build them with :meth:`put`, :meth:`get`
    and :meth:`delete`. Batch keys must be valid UTF-8."""

    op: Literal["put", "get", "delete"]
    key: str
    value: Optional[bytes] = None

    @staticmethod
    def put(key: Key, value: Union[bytes, str]) -> "BatchOp":
        v = value.encode("utf-8") if isinstance(value, str) else bytes(value)
        return BatchOp("put", _utf8_key(key), v)

    @staticmethod
    def get(key: Key) -> "BatchOp":
        return BatchOp("get", _utf8_key(key))

    @staticmethod
    def delete(key: Key) -> "BatchOp":
        return BatchOp("delete", _utf8_key(key))

    def to_json(self) -> dict[str, str]:
        out = {"op": self.op, "key": self.key}
        if self.op == "put":
            out["value_b64"] = base64.b64encode(self.value or b"").decode("ascii")
        return out


def _utf8_key(key: Key) -> str:
    if isinstance(key, str):
        return key
    try:
        return bytes(key).decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError("a batch key must be valid UTF-8; use the single-key calls") from e


@dataclass(frozen=True)
class BatchOpResult:
    """The result of one batch op: ``status`` 200/404 for a get (``value``
    and ``etag`` set on 200), 201/204 for a put (``etag`` set), 204/404 for a
    delete."""

    status: int
    etag: Optional[str] = None
    value: Optional[bytes] = None


@dataclass(frozen=True, kw_only=True)
class BatchResult(CallInfo):
    """The results of :meth:`Client.batch`, one per op, in order."""

    results: list[BatchOpResult] = field(default_factory=list)


class QuotaUse(TypedDict, total=False):
    """One quota of :class:`Usage`: ``limit`` always; the rest by field."""

    limit: int
    used: int
    remaining: int
    rate: int
    soft_limit: int
    burn_rate_per_hour: float
    projected_exhaustion: Optional[str]


@dataclass(frozen=True, kw_only=True)
class Usage(CallInfo):
    """``GET /v1/usage``: the tenant's id and plan, its
    ``keys``/``logical_bytes`` (``usage``) and its quotas with their use
    (``quotas``)."""

    tenant: str
    usage: dict[str, int]
    quotas: dict[str, QuotaUse]
    plan: str = ""
    #: requests refused since the server started, by reason (problem code)
    throttled: dict[str, int] = field(default_factory=dict)


class ApiKey(TypedDict, total=False):
    """An API key as the admin routes show it (never the secret)."""

    key_id: str
    tenant: str
    role: str
    #: the name given at create, or None
    name: Optional[str]
    created_at: str
    #: when the key stops working (RFC 3339), or None: it never expires
    expires_at: Optional[str]
    state: str
    revoked_at: str


class NewApiKey(ApiKey, total=False):
    """A new API key: the only time ``token`` is shown."""

    token: str


class QuotaFields(TypedDict, total=False):
    """Quota fields; every value an integer (see docs/api.md, Plans)."""

    requests_per_sec: int
    burst_requests: int
    read_bytes_per_sec: int
    write_bytes_per_sec: int
    burst_read_bytes: int
    burst_write_bytes: int
    max_concurrent: int
    storage_bytes: int
    storage_soft_pct: int
    max_value_bytes: int
    weight: int
    reserved_ops_per_sec: int
    max_queue_ms: int


class KeyVersion(TypedDict, total=False):
    """One data-key version of a tenant (never key material)."""

    version: int
    state: str
    created_at: str
    seals: int
    values: int
    master_version: int


class KeyStatus(TypedDict, total=False):
    """``GET .../keys``: the tenant's data-key versions and whether
    re-encryption runs."""

    tenant: str
    versions: list[KeyVersion]
    #: a background re-encryption pass is pending or running
    reencrypting: bool


class UsageSeries(TypedDict):
    """The points of a usage history, oldest first, one per step."""

    requests: list[int]
    read_bytes: list[int]
    write_bytes: list[int]
    #: the tenant's stored bytes at the end of each step
    storage_bytes: list[int]
    #: refusals by reason (the problem code): only reasons met in the window
    throttled: dict[str, list[int]]


class UsageHistory(TypedDict):
    """``GET /v1/usage/history``: 60 one-minute points (``1h``) or 144
    ten-minute points (``24h``); the last is the current, partial step."""

    window: str
    step_seconds: int
    start: str
    end: str
    series: UsageSeries


class AuditEntry(TypedDict, total=False):
    """One entry of the hash-chained audit log."""

    seq: int
    time: str
    time_ms: int
    actor: str
    action: str
    tenant: str
    details: dict[str, object]
    hash: str
    prev_hash: str


class Plan(TypedDict, total=False):
    """A plan: the quota defaults of its tenants and the range
    (``min``/``max``) a tenant admin may choose in."""

    name: str
    defaults: QuotaFields
    min: QuotaFields
    max: QuotaFields


class QuotaManifest(TypedDict, total=False):
    """A quota manifest version; ``changes`` (field -> [old, new]) is in
    the answers of :meth:`Client.set_quota` and the history."""

    version: int
    quota: QuotaFields
    updated_by: str
    updated_at: str
    changes: dict[str, list[int]]
