"""Every refund a Refund: the one place Refund rows are written.

A refund kassa starts is reserved here (pending) before its provider is asked. Whatever a
provider then says of refunds — its answer to kassa's request, a webhook echoing it, a
refund an operator made in its cabinet or dashboard, a refunded total read back — reaches
`apply_update`, which asks `plan` what it means for the payment's refunds and, under the
payment's lock and in its transaction, writes each step with `record`: one move of the
payment for each refund whose money went back, so each has its own audit record, credit
note and effects. The provider's refund id, unique per provider, makes a refund seen twice
one Refund.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kassa.db.models import CreditNote, Payment, Refund, new_id
from kassa.domain.refunds import (
    KnownRefund,
    RefundPlan,
    RefundStep,
    choose_refund_amount,
    plan_refunds,
)
from kassa.domain.states import REFUNDED_STATUSES, PaymentStatus
from kassa.domain.updates import ProviderUpdate

KASSA, PROVIDER = "kassa", "provider"  # who started a refund


def speaks_of_refunds(update: ProviderUpdate) -> bool:
    return (
        update.status in REFUNDED_STATUSES or bool(update.refunded_amount) or bool(update.refunds)
    )


async def _of_payment(session: AsyncSession, payment_id: str) -> list[Refund]:
    rows = await session.execute(
        select(Refund)
        .where(Refund.payment_id == payment_id)
        .order_by(Refund.created_at, Refund.id)
        .execution_options(populate_existing=True)
    )
    return list(rows.scalars())


async def reserve(
    session: AsyncSession, payment: Payment, requested: int | None, reason: str | None
) -> Refund:
    """kassa's own refund, pending until its provider answers; what is left to refund
    counts the refunds still waiting. Raises RefundTooLarge. The payment is locked."""
    waiting = await session.scalar(
        select(func.coalesce(func.sum(Refund.amount), 0)).where(
            Refund.payment_id == payment.id, Refund.status == "pending"
        )
    )
    amount = choose_refund_amount(
        requested, payment.amount, payment.refunded_amount, int(waiting or 0)
    )
    refund = Refund(
        id=new_id("re"),
        payment_id=payment.id,
        provider=payment.provider,
        amount=amount,
        currency=payment.currency,
        status="pending",
        reason=reason,
        initiated_by=KASSA,
    )
    session.add(refund)
    await session.flush()
    return refund


async def give_up(session: AsyncSession, refund_id: str, message: str) -> Refund | None:
    """kassa's refund its provider refused: failed, unless the provider's report of it was
    recorded meanwhile (then it did happen). The payment is locked."""
    refund = await session.get(Refund, refund_id, populate_existing=True)
    if refund is not None and refund.status == "pending" and refund.provider_refund_id is None:
        refund.status = "failed"
        refund.failure_message = message[:500]
    return refund


def reported_total(payment: Payment, update: ProviderUpdate) -> int | None:
    """The cumulative refunded total the update reports; a full refund without one is the
    whole payment."""
    if update.refunded_amount is not None:
        return update.refunded_amount
    if update.status is PaymentStatus.REFUNDED and not update.refunds:
        return payment.amount
    return None


async def plan(session: AsyncSession, payment: Payment, update: ProviderUpdate) -> RefundPlan:
    """What the update does to the payment's refunds (the payment is locked)."""
    known = [
        KnownRefund(r.id, r.provider_refund_id, r.amount, r.status, r.initiated_by)
        for r in await _of_payment(session, payment.id)
    ]
    return plan_refunds(
        paid=payment.amount,
        refunded=payment.refunded_amount,
        known=known,
        seen=update.refunds,
        reported_total=reported_total(payment, update),
    )


async def record(session: AsyncSession, payment: Payment, step: RefundStep) -> Refund | None:
    """One step of a plan written: a refund the provider reported recorded, or one kassa
    holds brought up to date. Called by `apply_update` only, under the payment's lock;
    None for a reservation dropped because its refund is recorded under the provider's id."""
    if step.refund_id is None:
        refund = Refund(
            id=new_id("re"),
            payment_id=payment.id,
            provider=payment.provider,
            amount=step.amount,
            currency=payment.currency,
            status=step.status,
            provider_refund_id=step.provider_refund_id,
            initiated_by=PROVIDER,
        )
        session.add(refund)
        return refund
    found = await session.get(Refund, step.refund_id)
    assert found is not None and found.payment_id == payment.id
    if step.dropped:
        await session.delete(found)
        return None
    if step.status == "succeeded":
        found.failure_message = None  # given up on too soon: the provider did it
    found.status = step.status
    found.provider_refund_id = step.provider_refund_id
    return found


async def note_credit_note(session: AsyncSession, payment: Payment, refund: Refund) -> None:
    """The credit note the refund's move issued (one per move of the refunded total)."""
    refund.credit_note_id = await session.scalar(
        select(CreditNote.id).where(
            CreditNote.payment_id == payment.id,
            CreditNote.refunded_total == payment.refunded_amount,
        )
    )


async def by_provider_id(
    session: AsyncSession, provider: str, provider_refund_id: str
) -> Refund | None:
    return await session.scalar(
        select(Refund).where(
            Refund.provider == provider, Refund.provider_refund_id == provider_refund_id
        )
    )
