"""What the operators' screens read: payments searched, one payment with its trail and
refunds, the statistics. Operators are admins; the admin UI checks that before calling."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select

from kassa.core.runtime import Runtime
from kassa.db.models import AuditRecord, Payment, Refund
from kassa.services import statistics


@dataclass(frozen=True, slots=True)
class PaymentTrail:
    payment: Payment
    events: list[AuditRecord]
    refunds: list[Refund]


async def search_payments(
    rt: Runtime, text: str | None, status: str | None, provider: str | None, limit: int = 100
) -> list[Payment]:
    """Newest first; `text` matches kassa's id, the provider's id or the user exactly."""
    query = select(Payment).order_by(Payment.created_at.desc()).limit(limit)
    if text:
        query = query.where(
            or_(Payment.id == text, Payment.provider_payment_id == text, Payment.user_id == text)
        )
    if status:
        query = query.where(Payment.status == status)
    if provider:
        query = query.where(Payment.provider == provider)
    async with rt.db.transaction() as session:
        return list((await session.execute(query)).scalars())


async def payment(rt: Runtime, payment_id: str) -> Payment | None:
    async with rt.db.transaction() as session:
        return await session.get(Payment, payment_id)


async def payment_trail(rt: Runtime, payment_id: str) -> PaymentTrail | None:
    async with rt.db.transaction() as session:
        found = await session.get(Payment, payment_id)
        if found is None:
            return None
        events = await session.execute(
            select(AuditRecord).where(AuditRecord.payment_id == found.id).order_by(AuditRecord.id)
        )
        refunds = await session.execute(
            select(Refund).where(Refund.payment_id == found.id).order_by(Refund.created_at)
        )
        return PaymentTrail(found, list(events.scalars()), list(refunds.scalars()))


async def statistics_for(
    rt: Runtime,
    provider: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> statistics.Statistics:
    async with rt.db.transaction() as session:
        return await statistics.compute(session, provider, start, end)
