"""Business effects of a payment's move: subscription, wallet, invoice and credit note
(kassa.services.billing.documents).

Called only from `apply_update`, inside its transaction, after the payment row is locked,
so each effect happens exactly once per move.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from kassa.db.base import utcnow
from kassa.db.models import (
    Invoice,
    Payment,
    WalletEntry,
)
from kassa.domain.states import PaymentStatus
from kassa.fast.batch import batch_of
from kassa.providers.plugins import state_graph
from kassa.services.accounts.customers import owner_of
from kassa.services.billing import documents, promo_codes
from kassa.services.billing import lifecycle as billing
from kassa.services.ops import outbox


async def on_succeeded(
    session: AsyncSession, payment: Payment, paid_at: datetime, saved_method_id: str | None
) -> None:
    if payment.purpose == "tariff" and payment.tariff_id:
        await billing.on_tariff_paid(session, payment, saved_method_id)
    if payment.purpose == "wallet_topup" and payment.organization_id:
        await _wallet_entry(session, payment, payment.amount, "topup", reference="")
    await documents.issue_invoice(session, payment, paid_at)


async def on_unpaid(session: AsyncSession, payment: Payment, previous: PaymentStatus) -> None:
    """The payment failed or was cancelled (from `previous`). A renewal it was makes its
    subscription past due, once; a promo code it held is given back once it can no longer
    be paid: a failed payment its provider may still complete (Stripe's declined intent)
    keeps its code until it is cancelled, so a late success never holds a code given away."""
    graph = state_graph(payment.provider)
    if (
        payment.promo_code
        and graph.is_open(previous)
        and not graph.is_open(PaymentStatus(payment.status))
    ):
        payer = owner_of(payment.user_id, payment.organization_id)
        await promo_codes.release(session, payment.promo_code, payer)
    first = previous not in (PaymentStatus.FAILED, PaymentStatus.CANCELLED)
    if payment.billing_period is not None and first:
        await billing.on_renewal_failed(session, payment)


async def on_refunded(session: AsyncSession, payment: Payment, newly_refunded: int) -> None:
    """`newly_refunded` is this move's increase of the refunded total: one refund's amount
    (each refund is its own move, `kassa.services.payments.refund_records`)."""
    if payment.purpose == "wallet_topup" and payment.organization_id and newly_refunded > 0:
        await _wallet_entry(
            session, payment, -newly_refunded, "refund", reference=str(payment.refunded_amount)
        )
    full = payment.status == PaymentStatus.REFUNDED
    if newly_refunded > 0:
        await documents.issue_credit_note(session, payment, newly_refunded)
    if payment.purpose == "tariff" and payment.tariff_id:
        await billing.on_tariff_refunded(session, payment, newly_refunded)
    await session.execute(
        update(Invoice)
        .where(Invoice.payment_id == payment.id)
        .values(status="refunded" if full else "partially_refunded")
    )


async def _wallet_entry(
    session: AsyncSession, payment: Payment, amount: int, kind: str, *, reference: str
) -> None:
    """One ledger entry a move (a payment succeeds once, its refunded total grows once to
    each value), queued with the move's writes; the unique key (payment, kind, reference)
    would fail a second one, and with it the whole move."""
    assert payment.organization_id is not None
    batch_of(session).insert(
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
