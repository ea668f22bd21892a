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


class RateLimiter:
    def __init__(self, redis: Any | None = None) -> None:
        self.redis = redis
        self._memory: OrderedDict[str, tuple[int, int]] = OrderedDict()

    async def hit(self, key: str, limit: int, window: int = 60) -> Verdict:
        """Count one request under `key`; refuse once `limit` is passed in this window."""
        now = int(time.time())
        slot = now // window
        retry_after = (slot + 1) * window - now
        name = f"kassa:rl:{key}:{slot}"
        count = await self._incr(name, window)
        return Verdict(count <= limit, retry_after)

    async def count(self, key: str, window: int = 60) -> int:
        slot = int(time.time()) // window
        name = f"kassa:rl:{key}:{slot}"
        if self.redis is not None:
            try:
                return int(await self.redis.get(name) or 0)
            except Exception as exc:
                log.warning("rate_limit.redis_unavailable", error=type(exc).__name__)
                return 0
        return self._memory.get(name, (0, 0))[0]

    async def _incr(self, name: str, window: int) -> int:
        if self.redis is not None:
            try:
                count = int(await self.redis.incr(name))
                if count == 1:  # the window's first hit sets its end; later ones need one command
                    await self.redis.expire(name, window + 1)
                return count
            except Exception as exc:
                log.warning("rate_limit.redis_unavailable", error=type(exc).__name__)
                return 0
        count, _ = self._memory.get(name, (0, 0))
        self._memory[name] = (count + 1, window)
        self._memory.move_to_end(name)
        while len(self._memory) > MAX_MEMORY_COUNTERS:
            # the least recently counted goes first: a flood of new names evicts idle
            # counters, never the busy ones it is trying to reset
            self._memory.popitem(last=False)
        return count + 1
