"""What the operators' screens read: payments searched, one payment with its trail and
refunds, subscriptions, a customer's whole account, the statistics. Operators are admins;
the admin UI checks that before calling."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select

from kassa.db.models import (
    AuditRecord,
    CreditNote,
    Invoice,
    Payment,
    PaymentMethod,
    Refund,
    Subscription,
    Tariff,
    WalletEntry,
)
from kassa.db.pagination import paginate
from kassa.domain.paging import PageParams
from kassa.runtime import Runtime
from kassa.services.ops import statistics
from kassa.services.payments import fiscal_receipts


@dataclass(frozen=True, slots=True)
class PaymentTrail:
    payment: Payment
    events: list[AuditRecord]
    refunds: list[Refund]
    fiscal: list[dict[str, Any]] = field(default_factory=list)  # the provider's receipts
    invoice: Invoice | None = None
    tariff: Tariff | None = None
    credit_notes: dict[str, str] = field(default_factory=dict)  # id → number


@dataclass(frozen=True, slots=True)
class PaymentSearch:
    """The payments page's filters: `text` is kassa's id, the provider's id or the user,
    exactly; `start`/`end` bound the creation time."""

    text: str | None = None
    status: str | None = None
    provider: str | None = None
    shop_id: str | None = None
    start: datetime | None = None
    end: datetime | None = None


def _searched(search: PaymentSearch) -> Any:
    query = select(Payment)
    if search.text:
        query = query.where(
            or_(
                Payment.id == search.text,
                Payment.provider_payment_id == search.text,
                Payment.user_id == search.text,
            )
        )
    for column, value in (
        (Payment.status, search.status),
        (Payment.provider, search.provider),
        (Payment.shop_id, search.shop_id),
    ):
        if value:
            query = query.where(column == value)
    if search.start:
        query = query.where(Payment.created_at >= search.start)
    if search.end:
        query = query.where(Payment.created_at < search.end)
    return query.order_by(Payment.created_at.desc(), Payment.id.desc())


async def search_payments(
    rt: Runtime, search: PaymentSearch, page: PageParams
) -> tuple[list[Payment], int]:
    """Newest first, a page at a time."""
    async with rt.db.transaction() as session:
        return await paginate(session, _searched(search), page)


async def export_payments(rt: Runtime, search: PaymentSearch, limit: int = 10_000) -> list[Payment]:
    """Every payment the filters find, newest first, up to `limit` (the CSV export)."""
    async with rt.db.transaction() as session:
        return list((await session.execute(_searched(search).limit(limit))).scalars())


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
        receipts = await fiscal_receipts.of_payment(session, found.id)
        invoice = await session.scalar(select(Invoice).where(Invoice.payment_id == found.id))
        tariff = await session.get(Tariff, found.tariff_id) if found.tariff_id else None
        notes = await session.execute(
            select(CreditNote.id, CreditNote.number).where(CreditNote.payment_id == found.id)
        )
        return PaymentTrail(
            found,
            list(events.scalars()),
            list(refunds.scalars()),
            receipts,
            invoice,
            tariff,
            credit_notes={note_id: number for note_id, number in notes},
        )


async def statistics_for(
    rt: Runtime,
    provider: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    days: int = 14,
) -> statistics.Statistics:
    async with rt.db.transaction() as session:
        return await statistics.compute(session, provider, start, end, days)


@dataclass(frozen=True, slots=True)
class CustomerOverview:
    """Everything kassa holds of one customer (a user id or an organisation id)."""

    customer: str
    payments: list[Payment]
    subscriptions: list[Subscription]
    tariffs: dict[str, Tariff]  # each subscription's tariff, by id
    methods: list[PaymentMethod]
    wallet: list[tuple[str, int]]  # (currency, balance) of an organisation


async def customer(rt: Runtime, who: str, limit: int = 100) -> CustomerOverview:
    mine = or_(Payment.user_id == who, Payment.organization_id == who)
    subs = or_(Subscription.user_id == who, Subscription.organization_id == who)
    cards = or_(PaymentMethod.user_id == who, PaymentMethod.organization_id == who)
    async with rt.db.transaction() as session:
        paid = await session.execute(
            select(Payment).where(mine).order_by(Payment.created_at.desc()).limit(limit)
        )
        held = list(
            await session.execute(
                select(Subscription, Tariff)
                .join(Tariff, Tariff.id == Subscription.tariff_id)
                .where(subs)
                .order_by(Subscription.created_at.desc())
            )
        )
        saved = await session.execute(
            select(PaymentMethod)
            .where(cards, PaymentMethod.detached_at.is_(None))
            .order_by(PaymentMethod.created_at.desc())
        )
        balances = await session.execute(
            select(WalletEntry.currency, func.sum(WalletEntry.amount))
            .where(WalletEntry.organization_id == who)
            .group_by(WalletEntry.currency)
            .order_by(WalletEntry.currency)
        )
        return CustomerOverview(
            who,
            list(paid.scalars()),
            [sub for sub, _ in held],
            {tariff.id: tariff for _, tariff in held},
            list(saved.scalars()),
            [(c, int(a or 0)) for c, a in balances],
        )


async def subscriptions_page(
    rt: Runtime, status: str | None, tariff_id: str | None, limit: int = 200
) -> tuple[list[tuple[Subscription, Tariff]], list[Tariff]]:
    """Newest first, each with its tariff; and every tariff, for the filter."""
    query = (
        select(Subscription, Tariff)
        .join(Tariff, Tariff.id == Subscription.tariff_id)
        .order_by(Subscription.created_at.desc())
        .limit(limit)
    )
    if status:
        query = query.where(Subscription.status == status)
    if tariff_id:
        query = query.where(Subscription.tariff_id == tariff_id)
    async with rt.db.transaction() as session:
        rows = [(sub, tariff) for sub, tariff in await session.execute(query)]
        every = list((await session.execute(select(Tariff).order_by(Tariff.name))).scalars())
    return rows, every
