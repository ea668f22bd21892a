"""Business effects of a payment's move: subscription, wallet and invoice.

Called only from `apply_update`, inside its transaction, after the payment row is locked,
so each effect happens exactly once per move.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kassa.db.base import utcnow
from kassa.db.models import Invoice, InvoiceCounter, Payment, Subscription, Tariff, WalletEntry
from kassa.domain.states import PaymentStatus
from kassa.domain.subscriptions import next_period
from kassa.schemas import InvoiceOut, SubscriptionOut
from kassa.services import outbox
from kassa.services.sql import insert_ignore


async def on_succeeded(session: AsyncSession, payment: Payment, paid_at: datetime) -> None:
    if payment.purpose == "tariff" and payment.tariff_id:
        await _activate_subscription(session, payment, paid_at)
    if payment.purpose == "wallet_topup" and payment.organization_id:
        await _wallet_entry(session, payment, payment.amount, "topup", reference="")
    await _issue_invoice(session, payment, paid_at)


async def on_refunded(session: AsyncSession, payment: Payment, newly_refunded: int) -> None:
    """`newly_refunded` is this move's increase of the refunded total."""
    if payment.purpose == "wallet_topup" and payment.organization_id and newly_refunded > 0:
        await _wallet_entry(
            session, payment, -newly_refunded, "refund", reference=str(payment.refunded_amount)
        )
    full = payment.status == PaymentStatus.REFUNDED
    if payment.purpose == "tariff" and payment.tariff_id and full:
        await _cancel_subscription(session, payment)
    await session.execute(
        update(Invoice)
        .where(Invoice.payment_id == payment.id)
        .values(status="refunded" if full else "partially_refunded")
    )


async def _lock_subscription(session: AsyncSession, payment: Payment) -> Subscription:
    now = utcnow()
    assert payment.tariff_id is not None
    await insert_ignore(
        session,
        Subscription.__table__,  # type: ignore[arg-type]
        {
            "user_id": payment.user_id,
            "tariff_id": payment.tariff_id,
            "status": "none",
            "started_at": now,
            "expires_at": now,
            "updated_at": now,
        },
    )
    result = await session.execute(
        select(Subscription)
        .where(Subscription.user_id == payment.user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return result.scalar_one()


async def _activate_subscription(
    session: AsyncSession, payment: Payment, paid_at: datetime
) -> None:
    assert payment.tariff_id is not None
    tariff = await session.get(Tariff, payment.tariff_id)
    assert tariff is not None
    sub = await _lock_subscription(session, payment)
    period = next_period(
        paid_at=paid_at,
        duration_days=tariff.duration_days,
        tariff_id=tariff.id,
        current_tariff_id=sub.tariff_id,
        current_active=sub.status == "active",
        current_started_at=sub.started_at,
        current_expires_at=sub.expires_at,
    )
    sub.tariff_id = tariff.id
    sub.status = "active"
    sub.started_at = period.started_at
    sub.expires_at = period.expires_at
    sub.last_payment_id = payment.id
    sub.updated_at = utcnow()
    await session.flush()
    outbox.enqueue(
        session,
        "subscription.activated",
        {**SubscriptionOut.model_validate(sub).model_dump(mode="json"), "payment_id": payment.id},
    )


async def _cancel_subscription(session: AsyncSession, payment: Payment) -> None:
    sub = await _lock_subscription(session, payment)
    if sub.status != "active" or sub.tariff_id != payment.tariff_id:
        return
    sub.status = "cancelled"
    sub.updated_at = utcnow()
    await session.flush()
    outbox.enqueue(
        session,
        "subscription.cancelled",
        {**SubscriptionOut.model_validate(sub).model_dump(mode="json"), "payment_id": payment.id},
    )


async def _wallet_entry(
    session: AsyncSession, payment: Payment, amount: int, kind: str, *, reference: str
) -> None:
    assert payment.organization_id is not None
    created = await insert_ignore(
        session,
        WalletEntry.__table__,  # type: ignore[arg-type]
        {
            "organization_id": payment.organization_id,
            "currency": payment.currency,
            "amount": amount,
            "kind": kind,
            "payment_id": payment.id,
            "reference": reference,
            "created_at": utcnow(),
        },
    )
    if created:
        outbox.enqueue(
            session,
            "wallet.credited" if amount > 0 else "wallet.debited",
            {
                "organization_id": payment.organization_id,
                "payment_id": payment.id,
                "amount": amount,
                "currency": payment.currency,
                "kind": kind,
            },
        )


async def _next_invoice_number(session: AsyncSession, year: int) -> str:
    """Gap-free per year: the counter row is locked until this transaction ends."""
    await insert_ignore(
        session,
        InvoiceCounter.__table__,  # type: ignore[arg-type]
        {"year": year, "last_number": 0},
    )
    result = await session.execute(
        update(InvoiceCounter)
        .where(InvoiceCounter.year == year)
        .values(last_number=InvoiceCounter.last_number + 1)
        .returning(InvoiceCounter.last_number)
    )
    return f"INV-{year}-{result.scalar_one():06d}"


async def _issue_invoice(session: AsyncSession, payment: Payment, paid_at: datetime) -> None:
    existing = await session.scalar(select(Invoice.id).where(Invoice.payment_id == payment.id))
    if existing is not None:
        return
    invoice = Invoice(
        number=await _next_invoice_number(session, paid_at.year),
        payment_id=payment.id,
        user_id=payment.user_id,
        amount=payment.amount,
        currency=payment.currency,
        status="paid",
        description=payment.description,
        issued_at=paid_at,
        paid_at=paid_at,
    )
    session.add(invoice)
    await session.flush()
    outbox.enqueue(
        session, "invoice.paid", InvoiceOut.model_validate(invoice).model_dump(mode="json")
    )
