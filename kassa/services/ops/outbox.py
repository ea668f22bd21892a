"""The transactional outbox: downstream events written with the change that caused them."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kassa.db.models import OutboxEvent
from kassa.fast.batch import batch_of

EVENT_TYPES = frozenset(
    {
        "payment.succeeded",
        "payment.failed",
        "payment.cancelled",
        "payment.refunded",
        "subscription.activated",
        "subscription.renewed",
        "subscription.past_due",
        "subscription.renewal_upcoming",
        "subscription.cancelled",
        "subscription.expired",
        "wallet.credited",
        "wallet.debited",
        "invoice.paid",
    }
)


def enqueue(session: AsyncSession, event_type: str, data: dict[str, Any]) -> None:
    """Queued with the transaction's other writes (`kassa.fast.batch`); the relay reads
    events only once they are committed."""
    assert event_type in EVENT_TYPES, event_type
    batch_of(session).insert(OutboxEvent.__table__, {"type": event_type, "data": data})  # type: ignore[arg-type]
