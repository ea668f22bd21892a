"""Keys a provider rotates itself (Payme's ChangePassword): the newest rotated key replaces
the configured one. Read at most once every few seconds a process, so a rotation reaches
every process within `CACHE_SECONDS`; sealed at rest like every secret."""

from __future__ import annotations

import time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kassa.db.models import ProviderKey
from kassa.runtime import Runtime

CACHE_SECONDS = 5.0
_cache: dict[tuple[int, str], tuple[float, str | None]] = {}


async def rotated_key(rt: Runtime, provider: str) -> str | None:
    """The provider's newest rotated key, or None while it has rotated none."""
    cached = _cache.get((id(rt), provider))
    if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    async with rt.db.reading() as session:  # one read: no BEGIN and COMMIT around it
        key = await _newest(rt, session, provider)
    _cache[(id(rt), provider)] = (time.monotonic(), key)
    return key


async def _newest(rt: Runtime, session: AsyncSession, provider: str) -> str | None:
    sealed = await session.scalar(
        select(ProviderKey.secret)
        .where(ProviderKey.provider == provider)
        .order_by(ProviderKey.id.desc())
        .limit(1)
    )
    return rt.box.open(sealed) if sealed else None


async def rotate(rt: Runtime, provider: str, account: str, key: str) -> None:
    async with rt.db.transaction() as session:
        session.add(ProviderKey(provider=provider, account=account, secret=rt.box.seal(key)))
    forget(rt)


def forget(rt: Runtime) -> None:
    for cached in [k for k in _cache if k[0] == id(rt)]:
        _cache.pop(cached, None)
