"""tenantkv: a Python client for the tenantkv HTTP API.

    from tenantkv import Client
    kv = Client()                     # $TENANTKV_URL and $TENANTKV_TOKEN
    put = kv.put("users/42", b"hello")
    got = kv.get("users/42")
    kv.put("users/42", b"again", if_match=got.etag)

:class:`Client` covers the data routes (values, lists, batches, usage) and
the tenant admin's *self* routes (API keys, quota). Errors are the typed
exceptions of :mod:`tenantkv.errors`; refusals of idempotent calls with
``429``/``503`` are retried as :class:`RetryPolicy` says.
"""

from .client import DEFAULT_TIMEOUT, Client
from .errors import (
    ApiError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    PreconditionFailedError,
    RateLimitedError,
    RequestTimeout,
    ServerError,
    ServiceUnavailableError,
    StorageQuotaError,
    TenantKVError,
    TransportError,
)
from .models import (
    QUOTA_FIELDS,
    ApiKey,
    AuditEntry,
    BatchOp,
    BatchOpResult,
    BatchResult,
    CallInfo,
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
    UsageSeries,
)
from .retry import NO_RETRY, RetryPolicy

__version__ = "0.1.0"

__all__ = [
    "Client",
    "DEFAULT_TIMEOUT",
    "RetryPolicy",
    "NO_RETRY",
    "TenantKVError",
    "ApiError",
    "BadRequestError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "ConflictError",
    "PreconditionFailedError",
    "PayloadTooLargeError",
    "RateLimitedError",
    "ServiceUnavailableError",
    "StorageQuotaError",
    "ServerError",
    "TransportError",
    "RequestTimeout",
    "ConfigurationError",
    "QUOTA_FIELDS",
    "ApiKey",
    "AuditEntry",
    "KeyStatus",
    "Plan",
    "BatchOp",
    "BatchOpResult",
    "BatchResult",
    "CallInfo",
    "DeleteResult",
    "GetResult",
    "HeadResult",
    "Key",
    "ListItem",
    "ListPage",
    "NewApiKey",
    "PutResult",
    "QuotaFields",
    "QuotaManifest",
    "QuotaUse",
    "RateLimit",
    "Role",
    "Usage",
    "UsageHistory",
    "UsageSeries",
]
