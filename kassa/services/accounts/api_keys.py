"""Service API keys: created once, shown once, looked up by digest.

A lookup is remembered for a few seconds per process (bounded, oldest forgotten first): the
rate limiter and the endpoint both need the key on every request of a busy backend, and a
revoked key stops working within `LOOKUP_TTL_SECONDS`.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy import select

from kassa.core.security import Principal, Role, hash_api_key, new_api_key
from kassa.db.models import ApiKey
from kassa.db.session import Database

LOOKUP_TTL_SECONDS = 5.0
_MAX_REMEMBERED = 10_000


@dataclass(frozen=True, slots=True)
class ServiceKey:
    principal: Principal
    digest: str
    rate_limit_per_minute: int | None  # None: the setting for service keys


_remembered: OrderedDict[str, tuple[float, ServiceKey | None]] = OrderedDict()


async def create_api_key(
    db: Database, name: str, *, rate_limit_per_minute: int | None = None
) -> tuple[ApiKey, str]:
    key = new_api_key()
    row = ApiKey(
        name=name,
        prefix=key[:12],
        key_hash=hash_api_key(key),
        rate_limit_per_minute=rate_limit_per_minute,
    )
    async with db.transaction() as session:
        session.add(row)
    return row, key


async def service_key(db: Database, key: str) -> ServiceKey | None:
    """The digest lookup is an index probe on a unique column; the stored value is never
    compared in Python, so there is nothing to time."""
    digest = hash_api_key(key)
    now = time.monotonic()
    seen = _remembered.get(digest)
    if seen is not None and seen[0] > now:
        return seen[1]
    async with db.transaction() as session:
        row = await session.scalar(
            select(ApiKey).where(ApiKey.key_hash == digest, ApiKey.revoked_at.is_(None))
        )
    found = None
    if row is not None:
        found = ServiceKey(
            Principal(subject=row.name, role=Role.SERVICE), digest, row.rate_limit_per_minute
        )
    _remembered[digest] = (now + LOOKUP_TTL_SECONDS, found)
    _remembered.move_to_end(digest)
    while len(_remembered) > _MAX_REMEMBERED:
        _remembered.popitem(last=False)
    return found


async def principal_for_key(db: Database, key: str) -> Principal | None:
    found = await service_key(db, key)
    return found.principal if found else None
