"""The transactional outbox: downstream events written with the change that caused them."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kassa.db.models import OutboxEvent

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


def enqueue(session: AsyncSession, event_type: str, data: dict[str, Any]) -> OutboxEvent:
    assert event_type in EVENT_TYPES, event_type
    event = OutboxEvent(type=event_type, data=data)
    session.add(event)
    return event
