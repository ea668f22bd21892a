"""Retry timing for work owed to someone else (downstream deliveries, provider polls)."""

from __future__ import annotations

import random
from datetime import timedelta


def retry_delay(
    attempt: int,
    *,
    base: float = 10.0,
    cap: float = 6 * 3600.0,
    jitter: float = 0.2,
    rng: random.Random | None = None,
) -> timedelta:
    """Exponential backoff with jitter: attempt 1 waits about `base` seconds (10 s ± 20 %,
    so the first retry comes within 30 s), doubling up to `cap`."""
    exponent = max(attempt - 1, 0)
    raw = base * 2 ** min(exponent, 40)
    delay = min(raw, cap)
    spread = (rng or random).uniform(-jitter, jitter)
    return timedelta(seconds=max(delay * (1 + spread), 0.0))
