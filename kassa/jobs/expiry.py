"""Expiring subscriptions whose period has ended, and idempotency keys past their TTL."""

from __future__ import annotations

from sqlalchemy import select

from kassa.core.runtime import Runtime
from kassa.db.base import utcnow
from kassa.db.models import Subscription
from kassa.services import outbox
from kassa.services.idempotency import purge_expired
from kassa.services.schemas import SubscriptionOut

BATCH = 200


async def expire_subscriptions(rt: Runtime) -> int:
    """Flip ended subscriptions to expired, each with its event; safe on several workers
    (SKIP LOCKED on PostgreSQL, the write lock on SQLite)."""
    async with rt.db.transaction() as session:
        rows = (
            (
                await session.execute(
                    select(Subscription)
                    .where(Subscription.status == "active", Subscription.expires_at <= utcnow())
                    .order_by(Subscription.expires_at)
                    .limit(BATCH)
                    .with_for_update(skip_locked=True)
                )
            )
            .scalars()
            .all()
        )
        for sub in rows:
            sub.status = "expired"
            sub.updated_at = utcnow()
            await session.flush()
            outbox.enqueue(
                session,
                "subscription.expired",
                SubscriptionOut.model_validate(sub).model_dump(mode="json"),
            )
    return len(rows)


async def purge_idempotency_keys(rt: Runtime) -> int:
    return await purge_expired(rt.db)
