"""Exceptions raised by the tenantkv client.

Every error answer of the server is an RFC 9457 problem document whose
``code`` is stable: branch on :attr:`TenantKVError.code`, not on the text.
Each HTTP status family has its own subclass, and a few codes that callers
commonly handle have one more (:class:`PreconditionFailedError`,
:class:`NotFoundError`, :class:`RateLimitedError`...). Failures to reach the
server at all are :class:`TransportError`.
"""

from __future__ import annotations

from typing import Mapping, Optional

from .models import RateLimit

__all__ = [
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
]


class TenantKVError(Exception):
    """Base class of every error this package raises."""


class ConfigurationError(TenantKVError):
    """The client was built without a base URL or token, or with a bad one."""


class TransportError(TenantKVError):
    """The server could not be reached or the connection failed mid-call.

    ``attempts`` counts the tries made (retries included)."""

    def __init__(self, message: str, *, attempts: int = 1) -> None:
        super().__init__(message)
        self.attempts = attempts


class RequestTimeout(TransportError):
    """The connect or read timeout passed before the server answered."""


class ApiError(TenantKVError):
    """The server answered with an error status.

    Attributes:
        status: the HTTP status.
        code: the problem document's stable ``code`` (e.g. ``"not_found"``);
            for an answer without a body (``HEAD``) a code derived from the
            status (``"http_404"``).
        title, detail: the problem document's texts, for humans.
        request_id: the ``X-Request-Id`` of the answer, also in the server's log.
        retry_after: seconds from ``Retry-After``, when the answer had one.
        rate_limit: the ``RateLimit-*`` headers of the answer, when present.
        attempts: tries made, retries included.
        headers: all answer headers.
    """

    def __init__(
        self,
        status: int,
        code: str,
        *,
        title: str = "",
        detail: str = "",
        request_id: Optional[str] = None,
        retry_after: Optional[float] = None,
        rate_limit: Optional[RateLimit] = None,
        attempts: int = 1,
        headers: Optional[Mapping[str, str]] = None,
    ) -> None:
        super().__init__(f"{status} {code}: {detail or title}")
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.request_id = request_id
        self.retry_after = retry_after
        self.rate_limit = rate_limit
        self.attempts = attempts
        self.headers: Mapping[str, str] = dict(headers or {})


class BadRequestError(ApiError):
    """400: the request was malformed (``code`` says how)."""


class AuthenticationError(ApiError):
    """401: missing, malformed, unknown or revoked token."""


class PermissionDeniedError(ApiError):
    """403: authenticated but not allowed (``forbidden``, ``insufficient_role``,
    ``tenant_suspended``, ``outside_plan_range``, ...)."""


class NotFoundError(ApiError):
    """404: no such key, tenant, API key, plan or route."""


class ConflictError(ApiError):
    """409: the resource exists or a limit of existing ones is reached."""


class PreconditionFailedError(ApiError):
    """412: an ``If-Match`` or ``If-None-Match`` condition did not hold."""


class PayloadTooLargeError(ApiError):
    """413: value, body, batch or answer over a limit."""


class RateLimitedError(ApiError):
    """429: a quota refused the call (``rate_limited``, ``io_quota``,
    ``concurrency_limit``, ``auth_backoff``); see ``retry_after``."""


class ServiceUnavailableError(ApiError):
    """503: overloaded, queue deadline passed, draining, storage busy..."""


class StorageQuotaError(ApiError):
    """507: the write would take the tenant past its ``storage_bytes``."""


class ServerError(ApiError):
    """Any other 5xx answer."""


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    412: PreconditionFailedError,
    413: PayloadTooLargeError,
    429: RateLimitedError,
    503: ServiceUnavailableError,
    507: StorageQuotaError,
}


def error_class(status: int) -> type[ApiError]:
    """The exception class for an error status."""
    cls = _BY_STATUS.get(status)
    if cls is not None:
        return cls
    if 400 <= status < 500:
        return BadRequestError if status in (411, 414, 417, 431) else ApiError
    if status >= 500:
        return ServerError
    return ApiError
