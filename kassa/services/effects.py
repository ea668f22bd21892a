"""Business effects of a payment's move: subscription, wallet and invoice.

Called only from `apply_update`, inside its transaction, after the payment row is locked,
so each effect happens exactly once per move.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, String, column, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnClause

from kassa.db.base import utcnow
from kassa.db.batch import UNCHANGED, batch_of
from kassa.db.models import (
    CreditNote,
    CreditNoteCounter,
    Invoice,
    InvoiceCounter,
    Payment,
    Refund,
    WalletEntry,
    new_id,
)
from kassa.domain.states import PaymentStatus
from kassa.providers.plugins import state_graph
from kassa.services import billing, outbox, promo_codes
from kassa.services.customers import owner_of
from kassa.services.schemas import InvoiceOut
from kassa.services.sql import dialect_insert


async def on_succeeded(
    session: AsyncSession, payment: Payment, paid_at: datetime, saved_method_id: str | None
) -> None:
    if payment.purpose == "tariff" and payment.tariff_id:
        await billing.on_tariff_paid(session, payment, saved_method_id)
    if payment.purpose == "wallet_topup" and payment.organization_id:
        await _wallet_entry(session, payment, payment.amount, "topup", reference="")
    await _issue_invoice(session, payment, paid_at)


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
    """`newly_refunded` is this move's increase of the refunded total."""
    if payment.purpose == "wallet_topup" and payment.organization_id and newly_refunded > 0:
        await _wallet_entry(
            session, payment, -newly_refunded, "refund", reference=str(payment.refunded_amount)
        )
    full = payment.status == PaymentStatus.REFUNDED
    if newly_refunded > 0:
        await _credit_note(session, payment, newly_refunded)
    if payment.purpose == "tariff" and payment.tariff_id and full:
        await billing.on_tariff_refunded(session, payment)
    await session.execute(
        update(Invoice)
        .where(Invoice.payment_id == payment.id)
        .values(status="refunded" if full else "partially_refunded")
    )
    await _settle_pending_refunds(session, payment)


async def _settle_pending_refunds(session: AsyncSession, payment: Payment) -> None:
    """Refunds the provider accepted but had not finished (Payme's cancel queue, Stripe's
    pending refunds) are settled, oldest first, as far as its refunded total covers them."""
    rows = (
        (
            await session.execute(
                select(Refund)
                .where(Refund.payment_id == payment.id)
                .order_by(Refund.created_at, Refund.id)
            )
        )
        .scalars()
        .all()
    )
    covered = payment.refunded_amount - sum(r.amount for r in rows if r.status == "succeeded")
    for row in rows:
        if row.status == "pending" and row.provider_refund_id and row.amount <= covered:
            row.status = "succeeded"
            covered -= row.amount


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


async def _next_number(session: AsyncSession, counter: Any, prefix: str, year: int) -> str:
    """Gap-free per year: one upsert takes the next number and locks the year's counter row
    until this transaction ends, so numbers are issued in commit order without holes."""
    statement = (
        dialect_insert(session)(counter)
        .values(year=year, last_number=1)
        .on_conflict_do_update(
            index_elements=[counter.c.year], set_={"last_number": counter.c.last_number + 1}
        )
        .returning(counter.c.last_number)
    )
    number = (await session.execute(statement)).scalar_one()
    return f"{prefix}-{year}-{number:06d}"


async def _next_invoice_number(session: AsyncSession, year: int) -> str:
    return await _next_number(session, InvoiceCounter.__table__, "INV", year)


async def _credit_note(session: AsyncSession, payment: Payment, amount: int) -> None:
    """A refund's credit note, naming the invoice it corrects; numbered in its own series."""
    invoice_id = await session.scalar(select(Invoice.id).where(Invoice.payment_id == payment.id))
    if invoice_id is None:
        return
    now = utcnow()
    number = await _next_number(session, CreditNoteCounter.__table__, "CN", now.year)
    session.add(
        CreditNote(
            id=new_id("cn"),
            number=number,
            invoice_id=invoice_id,
            payment_id=payment.id,
            amount=amount,
            refunded_total=payment.refunded_amount,
            currency=payment.currency,
            issued_at=now,
        )
    )


# PostgreSQL: the counter, the invoice and its event as three parts of the transaction's
# batch (kassa.db.batch), so they leave with the payment's move in one statement. Every
# succeeded payment waits for the year's counter row, so the time between taking it and
# the end of COMMIT's flush to disk is the ceiling on paid payments a second: here one
# round trip and the flush, the flush alone in a compare-and-set, whose one statement
# commits by itself (docs/scaling.md, "The invoice series", measures it). There
# (kassa.db.batch) the number is taken only with the guard's row; the invoice and its event
# are made from the number taken, so they follow it unchanged.
_TAKE_NUMBER = """INSERT INTO invoice_counters (year, last_number) VALUES (:inv_year, 1)
ON CONFLICT (year) DO UPDATE SET last_number = invoice_counters.last_number + 1
RETURNING last_number"""
_TAKE_NUMBER_GUARDED = f"""INSERT INTO invoice_counters (year, last_number)
SELECT CAST(:inv_year AS INTEGER), 1 FROM {UNCHANGED}
ON CONFLICT (year) DO UPDATE SET last_number = invoice_counters.last_number + 1
RETURNING last_number"""  # noqa: S608 (the CTE's name is a constant)


def _invoice_parts(taken: str, issued: str) -> list[tuple[str, str | None, ColumnClause[Any]]]:
    """(SQL, its compare-and-set form when another, what it returns) of each part."""
    return [
        (_TAKE_NUMBER, _TAKE_NUMBER_GUARDED, column("last_number", BigInteger)),
        (
            # the only text put in is the CTEs' names, made here from an integer
            f"""INSERT INTO invoices (id, number, payment_id, user_id, amount, currency, status,
                      description, issued_at, paid_at)
SELECT CAST(:inv_id AS VARCHAR),
       'INV-' || CAST(:inv_year AS TEXT) || '-'
           || lpad(last_number::text, greatest(6, length(last_number::text)), '0'),
       CAST(:inv_payment_id AS VARCHAR), CAST(:inv_user_id AS VARCHAR),
       CAST(:inv_amount AS BIGINT), CAST(:inv_currency AS VARCHAR), 'paid',
       CAST(:inv_description AS TEXT), CAST(:inv_issued_at AS TIMESTAMPTZ),
       CAST(:inv_paid_at AS TIMESTAMPTZ)
FROM {taken}
RETURNING number""",  # noqa: S608
            None,  # it follows the number
            column("number", String),
        ),
        (
            f"""INSERT INTO outbox_events (id, type, data, created_at)
SELECT CAST(:inv_event_id AS VARCHAR), 'invoice.paid',
       CAST(CAST(:inv_data AS JSONB) || jsonb_build_object('number', number) AS JSON),
       CAST(:inv_created_at AS TIMESTAMPTZ)
FROM {issued}
RETURNING id""",  # noqa: S608
            None,
            column("id", String),
        ),
    ]


async def _issue_invoice(session: AsyncSession, payment: Payment, paid_at: datetime) -> None:
    # A payment succeeds once (no state leads back to pending or processing), so it gets one
    # invoice; the unique payment_id refuses a second should that ever change. The number is
    # taken last, keeping the counter's lock to the end of the transaction short.
    invoice = InvoiceOut(
        id=new_id("inv"),
        number="",
        payment_id=payment.id,
        user_id=payment.user_id,
        amount=payment.amount,
        currency=payment.currency,
        status="paid",
        description=payment.description,
        issued_at=paid_at,
        paid_at=paid_at,
    )
    event = {**invoice.model_dump(mode="json"), **_for_the_mailer(payment, invoice.id)}
    if session.get_bind().dialect.name == "postgresql":
        queue = batch_of(session)
        values = {
            "inv_id": invoice.id,
            "inv_payment_id": payment.id,
            "inv_user_id": payment.user_id,
            "inv_amount": payment.amount,
            "inv_currency": payment.currency,
            "inv_description": payment.description,
            "inv_issued_at": paid_at,
            "inv_paid_at": paid_at,
            "inv_year": paid_at.year,
            "inv_event_id": new_id("evt"),
            "inv_data": json.dumps(event),
            "inv_created_at": utcnow(),
        }
        for part in _invoice_statements(queue.named("invoice_number_")):
            binds = {part.names[name]: values[name] for name in part.names}
            queue.text(part.sql, binds, name=part.name, returned=(part.returned,),
                       guarded=part.guarded)  # fmt: skip
        return
    invoice.number = await _next_invoice_number(session, paid_at.year)
    session.add(Invoice(**invoice.model_dump()))
    outbox.enqueue(session, "invoice.paid", {**event, "number": invoice.number})


@dataclass(frozen=True, slots=True)
class _InvoicePart:
    """One part of an invoice's statements, as the n-th invoice of a batch sends it:
    `names` maps each value it takes (`inv_year`) to its parameter there (`inv0_year`)."""

    name: str
    sql: str
    guarded: str
    returned: ColumnClause[Any]
    names: dict[str, str]


@functools.cache
def _invoice_statements(n: int) -> tuple[_InvoicePart, ...]:
    """The n-th invoice's parts of a batch, made once for each n: the same text each time,
    which asyncpg keeps prepared."""
    names = (f"invoice_number_{n}", f"invoice_{n}", f"invoice_event_{n}")
    parts = []
    for name, (sql, guarded, returned) in zip(names, _invoice_parts(*names[:2]), strict=True):
        taken = sorted(set(re.findall(r"(?<!:):inv_(\w+)", sql)))
        parts.append(
            _InvoicePart(
                name=name,
                sql=sql.replace(":inv_", f":inv{n}_"),
                guarded=(guarded or sql).replace(":inv_", f":inv{n}_"),
                returned=returned,
                names={f"inv_{key}": f"inv{n}_{key}" for key in taken},
            )
        )
    return tuple(parts)


def _for_the_mailer(payment: Payment, invoice_id: str) -> dict[str, Any]:
    """What a mailer sending the invoice needs besides the invoice: where to send it, what
    was sold, the discount, and where the PDF is (kassa sends no e-mail itself)."""
    return {
        "email": payment.email,
        "phone": payment.phone,
        "organization_id": payment.organization_id,
        "items": payment.items,
        "discount_amount": payment.discount_amount,
        "promo_code": payment.promo_code,
        "pdf_path": f"/api/v1/invoices/{invoice_id}.pdf",
    }
