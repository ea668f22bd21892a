"""Fixed-window rate limits, in Redis when REDIS_URL is set (shared by every process), in
memory otherwise. A Redis failure lets requests through rather than refusing everyone."""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from kassa.core.logging import get_logger

log = get_logger(__name__)
MAX_MEMORY_COUNTERS = 100_000


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    retry_after: int


@dataclass(slots=True)
class _Lease:
    """Hits of one window this process reserved in Redis and has not used yet."""

    slot: int
    left: int
    seen: int  # the window's count in Redis after this process's last reservation


MAX_LEASE = 32


def lease_size(limit: int, seen: int | None) -> int:
    """How many hits to reserve at once: one while the window's count is unknown or near the
    limit, more while it is far below it (a sixteenth of what is left, at most MAX_LEASE).
    What a process holds unused is what another may refuse early, so it shrinks towards
    nothing as the count nears the limit."""
    if seen is None:
        return 1
    return max(1, min(MAX_LEASE, (limit - seen) // 16))


class RateLimiter:
    """With Redis, each process reserves hits in blocks (INCRBY) and spends them locally: at a
    caller's full speed one Redis round trip serves up to MAX_LEASE requests instead of one.
    No window lets more than `limit` through across all processes (a block is granted only
    as far as the count in Redis allows); a caller spread over processes may be refused a few
    hits before the limit while another process still holds a part of its block."""

    def __init__(self, redis: Any | None = None) -> None:
        self.redis = redis
        self._memory: OrderedDict[str, tuple[int, int]] = OrderedDict()
        self._leases: OrderedDict[str, _Lease] = OrderedDict()

    async def hit(self, key: str, limit: int, window: int = 60) -> Verdict:
        """Count one request under `key`; refuse once `limit` is passed in this window."""
        now = int(time.time())
        slot = now // window
        retry_after = (slot + 1) * window - now
        name = f"kassa:rl:{key}:{slot}"
        redis = self.redis
        if redis is None:
            return Verdict(self._count_in_memory(name, window) <= limit, retry_after)
        lease = self._leases.get(key)
        seen = None
        if lease is not None and lease.slot == slot:
            if lease.left > 0:
                lease.left -= 1
                return Verdict(True, retry_after)
            if lease.seen >= limit:  # a window's count never falls: refused until it ends
                return Verdict(False, retry_after)
            seen = lease.seen
        wanted = lease_size(limit, seen)
        count = await _reserve(redis, name, window, wanted)
        if count is None:  # Redis is down: let the request through rather than refuse all
            return Verdict(True, retry_after)
        granted = max(0, min(wanted, limit - (count - wanted)))
        self._keep(key, slot, granted - 1 if granted else 0, count)
        return Verdict(granted > 0, retry_after)

    def _keep(self, key: str, slot: int, left: int, seen: int) -> None:
        """Adds what is left of a block to the lease (another request of this process may
        have reserved one meanwhile: both are kept)."""
        lease = self._leases.get(key)
        if lease is None or lease.slot != slot:
            self._leases[key] = _Lease(slot, left, seen)
        else:
            lease.left += left
            lease.seen = max(lease.seen, seen)
        self._leases.move_to_end(key)
        while len(self._leases) > MAX_MEMORY_COUNTERS:
            self._leases.popitem(last=False)

    def _count_in_memory(self, name: str, window: int) -> int:
        count, _ = self._memory.get(name, (0, 0))
        self._memory[name] = (count + 1, window)
        self._memory.move_to_end(name)
        while len(self._memory) > MAX_MEMORY_COUNTERS:
            # the least recently counted goes first: a flood of new names evicts idle
            # counters, never the busy ones it is trying to reset
            self._memory.popitem(last=False)
        return count + 1


async def _reserve(redis: Any, name: str, window: int, hits: int) -> int | None:
    """The window's count after adding `hits`; None when Redis does not answer."""
    try:
        count = int(await redis.incrby(name, hits))
        if count == hits:  # the window's first reservation sets its end
            await redis.expire(name, window + 1)
        return count
    except Exception as exc:
        log.warning("rate_limit.redis_unavailable", error=type(exc).__name__)
        return None
