"""Issuing invoices and credit notes, inside `apply_update`'s transaction: each takes the
next number of its seller's gap-free series for the year (the seller's year, in its time
zone) and keeps the seller, buyer, lines and totals it is issued with, which is all its PDF
ever prints of them (kassa.domain.documents)."""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Integer, String, column, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnClause

from kassa.db.base import utcnow
from kassa.db.models import (
    CreditNote,
    CreditNoteCounter,
    Invoice,
    InvoiceCounter,
    Payment,
    Seller,
    new_id,
)
from kassa.db.sql import dialect_insert
from kassa.domain.documents import (
    CREDIT_NOTE,
    DEFAULT_TIME_ZONE,
    INVOICE,
    SELLER_FIELDS,
    buyer_of,
    credit_lines,
    local_year,
    number,
    snapshot,
)
from kassa.domain.fiscal import lines_of
from kassa.fast.batch import UNCHANGED, batch_of, queues_together
from kassa.services.accounts import sellers
from kassa.services.ops import outbox
from kassa.services.schemas import InvoiceOut


async def _take_number(session: AsyncSession, counter: Any, seller_key: str, year: int) -> int:
    """Gap-free per seller and year: one upsert takes the next number and locks the
    seller's counter row for the year until this transaction ends, so its numbers are
    issued in commit order without holes."""
    statement = (
        dialect_insert(session)(counter)
        .values(seller_key=seller_key, year=year, last_number=1)
        .on_conflict_do_update(
            index_elements=[counter.c.seller_key, counter.c.year],
            set_={"last_number": counter.c.last_number + 1},
        )
        .returning(counter.c.last_number)
    )
    return int((await session.execute(statement)).scalar_one())


def _kept_of_payment(payment: Payment) -> dict[str, Any]:
    """What an invoice keeps besides its seller: the buyer, the lines, their totals."""
    return snapshot(
        None,
        buyer_of(payment.user_id, payment.organization_id, payment.email, payment.phone),
        lines_of(payment.items, payment.amount, payment.description),
        {"id": payment.id, "provider": payment.provider, "promo_code": payment.promo_code},
    )


async def issue_credit_note(session: AsyncSession, payment: Payment, amount: int) -> None:
    """A refund's credit note, naming the invoice it corrects: the invoice's seller (as it
    is now) in its own credit note series, its buyer, the refund spread over its lines."""
    found = (
        await session.execute(
            select(Invoice.id, Invoice.seller_key, Invoice.snapshot, Seller)
            .outerjoin(Seller, Seller.key == Invoice.seller_key)
            .where(Invoice.payment_id == payment.id)
        )
    ).one_or_none()
    if found is None:
        return
    invoice_id, seller_key, invoice, seller_row = found
    seller = sellers.as_kept(seller_row) if seller_row else invoice["seller"]
    now = utcnow()
    year = local_year(now, seller["time_zone"])
    taken = await _take_number(session, CreditNoteCounter.__table__, seller_key, year)
    lines = credit_lines(lines_of(invoice["lines"], 0, None), amount)
    session.add(
        CreditNote(
            id=new_id("cn"),
            number=number(CREDIT_NOTE, seller["series"], year, taken),
            invoice_id=invoice_id,
            payment_id=payment.id,
            amount=amount,
            refunded_total=payment.refunded_amount,
            currency=payment.currency,
            issued_at=now,
            seller_key=seller_key,
            snapshot=snapshot(seller, invoice["buyer"], lines, invoice["payment"]),
        )
    )


# PostgreSQL: the counter, the invoice and its event as three parts of the transaction's
# batch (kassa.fast.batch), so they leave with the payment's move in one statement, which
# also finds the seller (the shop's, else the default) and the year in its time zone, and
# copies the seller into the invoice: no read before it. Every succeeded payment of a
# seller waits for that seller's counter row for the year, so the time between taking it
# and the end of COMMIT's flush to disk is the ceiling on a seller's paid payments a
# second: here one round trip and the flush, the flush alone in a compare-and-set, whose
# one statement commits by itself (docs/scaling.md, "The invoice series", measures it).
# There (kassa.fast.batch) the number is taken only with the guard's row; the invoice and its
# event are made from the number taken, so they follow it unchanged.
_SELLER = f"""SELECT key, time_zone FROM (
    SELECT key, time_zone, 0 AS rank FROM sellers WHERE key = CAST(:inv_shop_id AS VARCHAR)
    UNION ALL SELECT key, time_zone, 1 FROM sellers WHERE key = ''
    UNION ALL SELECT '', '{DEFAULT_TIME_ZONE}', 2
) AS candidates ORDER BY rank LIMIT 1"""  # noqa: S608 (constants only)
_TAKE_NUMBER = """INSERT INTO invoice_counters (seller_key, year, last_number)
SELECT seller.key,
       CAST(EXTRACT(YEAR FROM CAST(:inv_paid_at AS TIMESTAMPTZ) AT TIME ZONE seller.time_zone)
            AS INTEGER),
       1
FROM {source}
ON CONFLICT (seller_key, year) DO UPDATE SET last_number = invoice_counters.last_number + 1
RETURNING seller_key, year, last_number"""
_KEPT_SELLER = ", ".join(
    f"'{name}', coalesce(seller.time_zone, '{DEFAULT_TIME_ZONE}')"
    if name == "time_zone"
    else f"'{name}', seller.{name}"
    for name in SELLER_FIELDS
)


def _invoice_parts(taken: str, issued: str) -> list[tuple[str, str | None, tuple[Any, ...]]]:
    """(SQL, its compare-and-set form when another, what it returns) of each part."""
    return [
        (
            _TAKE_NUMBER.format(source=f"({_SELLER}) AS seller"),
            _TAKE_NUMBER.format(source=f"{UNCHANGED}, ({_SELLER}) AS seller"),
            (
                column("seller_key", String),
                column("year", Integer),
                column("last_number", BigInteger),
            ),
        ),
        (
            # the only text put in is the CTEs' names, made here from an integer, and
            # the seller's column names
            f"""INSERT INTO invoices (id, number, payment_id, user_id, amount, currency, status,
                      description, issued_at, paid_at, seller_key, snapshot)
SELECT CAST(:inv_id AS VARCHAR),
       '{INVOICE}-' || coalesce(seller.series || '-', '') || CAST(taken.year AS TEXT) || '-'
           || lpad(taken.last_number::text, greatest(6, length(taken.last_number::text)), '0'),
       CAST(:inv_payment_id AS VARCHAR), CAST(:inv_user_id AS VARCHAR),
       CAST(:inv_amount AS BIGINT), CAST(:inv_currency AS VARCHAR), 'paid',
       CAST(:inv_description AS TEXT), CAST(:inv_issued_at AS TIMESTAMPTZ),
       CAST(:inv_paid_at AS TIMESTAMPTZ), taken.seller_key,
       CAST(CAST(:inv_snapshot AS JSONB) || jsonb_build_object('seller',
            jsonb_build_object('key', taken.seller_key, {_KEPT_SELLER})) AS JSON)
FROM {taken} AS taken LEFT JOIN sellers AS seller ON seller.key = taken.seller_key
RETURNING number""",  # noqa: S608
            None,  # it follows the number
            (column("number", String),),
        ),
        (
            f"""INSERT INTO outbox_events (id, type, data, created_at)
SELECT CAST(:inv_event_id AS VARCHAR), 'invoice.paid',
       CAST(CAST(:inv_data AS JSONB) || jsonb_build_object('number', number) AS JSON),
       CAST(:inv_created_at AS TIMESTAMPTZ)
FROM {issued}
RETURNING id""",  # noqa: S608
            None,
            (column("id", String),),
        ),
    ]


async def issue_invoice(session: AsyncSession, payment: Payment, paid_at: datetime) -> None:
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
    kept = _kept_of_payment(payment)
    if queues_together(session):
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
            "inv_shop_id": payment.shop_id,
            "inv_snapshot": json.dumps(kept),
            "inv_event_id": new_id("evt"),
            "inv_data": json.dumps(event),
            "inv_created_at": utcnow(),
        }
        for part in _invoice_statements(queue.named("invoice_number_")):
            binds = {part.names[name]: values[name] for name in part.names}
            queue.text(part.sql, binds, name=part.name, returned=part.returned,
                       guarded=part.guarded)  # fmt: skip
        return
    seller_key, seller = await sellers.kept_for_shop(session, payment.shop_id)
    year = local_year(paid_at, seller["time_zone"])
    taken = await _take_number(session, InvoiceCounter.__table__, seller_key, year)
    invoice.number = number(INVOICE, seller["series"], year, taken)
    session.add(
        Invoice(**invoice.model_dump(), seller_key=seller_key, snapshot={**kept, "seller": seller})
    )
    outbox.enqueue(session, "invoice.paid", {**event, "number": invoice.number})


@dataclass(frozen=True, slots=True)
class _InvoicePart:
    """One part of an invoice's statements, as the n-th invoice of a batch sends it:
    `names` maps each value it takes (`inv_paid_at`) to its parameter there
    (`inv0_paid_at`)."""

    name: str
    sql: str
    guarded: str
    returned: tuple[ColumnClause[Any], ...]
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
