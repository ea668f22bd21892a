"""Idempotency keys past their TTL are purged (subscriptions end through the billing job:
`kassa.services.renewals`)."""

from __future__ import annotations

from kassa.core.runtime import Runtime
from kassa.services.idempotency import purge_expired


async def purge_idempotency_keys(rt: Runtime) -> int:
    return await purge_expired(rt.db)
