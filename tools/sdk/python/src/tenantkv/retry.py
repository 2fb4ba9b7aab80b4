"""When and how long the client waits before trying a call again."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable, Optional

__all__ = ["RetryPolicy", "NO_RETRY"]


@dataclass(frozen=True)
class RetryPolicy:
    """Retries of ``429`` and ``503`` answers and of failed connects.

    Only idempotent calls are retried: ``GET``, ``HEAD``, ``PUT`` and
    ``DELETE``, quota reads and sets (a set names absolute values), and
    batches of ``get`` ops only. Creating an API key or a batch that writes
    is never retried. A ``429``/``503`` refusal ran nothing on the server,
    so its retry is exact. A connection that failed after the request was
    sent may have run it: the retry of a conditional write can then answer
    ``412`` (or a delete ``404``) for a change that the first try made.

    The wait before try ``n`` (``n`` >= 2) is the larger of the answer's
    ``Retry-After`` and a "full jitter" backoff, a uniform draw from
    ``[0, min(max_delay, base_delay * 2**(n-2))]``. The call gives up,
    raising the last error, after ``max_attempts`` tries or when the next
    wait would end more than ``max_total`` seconds after the first try.

    Attributes:
        max_attempts: tries in all, at least 1 (1 = no retry).
        base_delay: seconds, the backoff's first bound.
        max_delay: seconds, the backoff's largest bound (``Retry-After``
            may ask for more; ``max_total`` still bounds it).
        max_total: seconds from the first try past which no wait may end.
        statuses: the answer statuses that are retried.
    """

    max_attempts: int = 4
    base_delay: float = 0.1
    max_delay: float = 5.0
    max_total: float = 30.0
    statuses: frozenset[int] = frozenset({429, 503})

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0 or self.max_total < 0:
            raise ValueError("delays must not be negative")

    def delay(
        self,
        attempt: int,
        retry_after: Optional[float],
        rand: Optional[Callable[[float, float], float]] = None,
    ) -> float:
        """Seconds to wait before try ``attempt + 1`` (``attempt`` >= 1);
        ``rand(low, high)`` draws the jitter (default ``random.uniform``)."""
        bound = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        backoff = (rand or random.uniform)(0.0, bound)
        return max(backoff, retry_after or 0.0)


NO_RETRY = RetryPolicy(max_attempts=1)
"""A policy that never retries."""
