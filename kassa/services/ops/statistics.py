"""Payment statistics, computed in SQL (aggregates over indexed columns, one pass each)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from kassa.db.base import utcnow
from kassa.db.models import (
    AuditRecord,
    OutboxEvent,
    Payment,
    Subscription,
    SubscriptionPeriod,
    Tariff,
    WebhookDelivery,
)
from kassa.domain.billing import LIVE_STATUSES
from kassa.domain.service_value import monthly_value
from kassa.domain.states import PAID_STATUSES, PaymentStatus
from kassa.services.billing import clock

FINISHED = [s.value for s in (*PAID_STATUSES, PaymentStatus.FAILED, PaymentStatus.CANCELLED)]
PAID = [s.value for s in PAID_STATUSES]
FAILED = [PaymentStatus.FAILED.value, PaymentStatus.CANCELLED.value]


@dataclass
class Statistics:
    counts_by_status: dict[str, int] = field(default_factory=dict)
    total: int = 0
    success_rate: float | None = None  # a ratio of counts, not money
    revenue: list[dict[str, Any]] = field(default_factory=list)
    by_provider: list[dict[str, Any]] = field(default_factory=list)
    failure_codes: list[dict[str, Any]] = field(default_factory=list)
    median_seconds_to_success: float | None = None
    webhooks: dict[str, int] = field(default_factory=dict)
    outbox: dict[str, int] = field(default_factory=dict)
    daily: list[dict[str, Any]] = field(default_factory=list)
    daily_revenue: list[dict[str, Any]] = field(default_factory=list)  # day, currency, amount
    discounts: list[dict[str, Any]] = field(default_factory=list)  # promo codes, paid payments
    # recurring billing: monthly recurring revenue of live subscriptions (a tariff's price
    # over 30 days of its period, in minor units), and subscriptions by status
    mrr: list[dict[str, Any]] = field(default_factory=list)
    subscriptions: dict[str, int] = field(default_factory=dict)
    # renewal charges per day: day, renewed (paid), failed (failed or cancelled attempts)
    daily_renewals: list[dict[str, Any]] = field(default_factory=list)


def _where(query: Any, provider: str | None, start: datetime | None, end: datetime | None) -> Any:
    if provider:
        query = query.where(Payment.provider == provider)
    if start:
        query = query.where(Payment.created_at >= start)
    if end:
        query = query.where(Payment.created_at < end)
    return query


def _seconds_to_success(dialect: str) -> Any:
    if dialect == "postgresql":
        return func.extract("epoch", Payment.paid_at - Payment.created_at)
    return (func.julianday(Payment.paid_at) - func.julianday(Payment.created_at)) * 86400.0


def _day(dialect: str) -> Any:
    if dialect == "postgresql":
        return func.to_char(func.date_trunc("day", Payment.created_at), "YYYY-MM-DD")
    return func.substr(Payment.created_at, 1, 10)


async def compute(
    session: AsyncSession,
    provider: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    days: int = 14,
) -> Statistics:
    dialect = session.get_bind().dialect.name
    stats = Statistics()
    rows = await session.execute(
        _where(select(Payment.status, func.count()).group_by(Payment.status), provider, start, end)
    )
    stats.counts_by_status = {status: int(n) for status, n in rows}
    stats.total = sum(stats.counts_by_status.values())
    finished = sum(n for s, n in stats.counts_by_status.items() if s in FINISHED)
    paid = sum(n for s, n in stats.counts_by_status.items() if s in PAID)
    stats.success_rate = round(paid / finished, 4) if finished else None

    net = func.sum(Payment.amount - Payment.refunded_amount)

    paid_flag = case((Payment.status.in_(PAID), 1), else_=0)
    rows = await session.execute(
        _where(
            select(Payment.provider, func.count(), func.sum(paid_flag))
            .group_by(Payment.provider)
            .order_by(Payment.provider),
            provider,
            start,
            end,
        )
    )
    provider_revenue: dict[str, list[dict[str, Any]]] = {}
    for prov, cur, amount in await session.execute(
        _where(
            select(Payment.provider, Payment.currency, net)
            .where(Payment.status.in_(PAID))
            .group_by(Payment.provider, Payment.currency),
            provider,
            start,
            end,
        )
    ):
        provider_revenue.setdefault(prov, []).append({"currency": cur, "amount": int(amount or 0)})
    totals: dict[str, int] = {}
    for entries in provider_revenue.values():
        for entry in entries:
            totals[entry["currency"]] = totals.get(entry["currency"], 0) + entry["amount"]
    stats.revenue = [{"currency": c, "amount": a} for c, a in sorted(totals.items())]
    stats.by_provider = [
        {
            "provider": p,
            "total": int(t),
            "succeeded": int(s or 0),
            "revenue": provider_revenue.get(p, []),
        }
        for p, t, s in rows
    ]

    rows = await session.execute(
        _where(
            select(Payment.failure_code, func.count().label("n"))
            .where(Payment.failure_code.is_not(None))
            .group_by(Payment.failure_code)
            .order_by(literal_column("n").desc())
            .limit(10),
            provider,
            start,
            end,
        )
    )
    stats.failure_codes = [{"code": c, "count": int(n)} for c, n in rows]

    seconds = _seconds_to_success(dialect)
    paid_filter = and_(Payment.paid_at.is_not(None), Payment.status.in_(PAID))
    if dialect == "postgresql":
        median_query = _where(
            select(func.percentile_cont(0.5).within_group(seconds)).where(paid_filter),
            provider,
            start,
            end,
        )
        median = await session.scalar(median_query)
    else:  # SQLite has no percentile: the middle row of the sorted durations
        succeeded = _where(select(seconds.label("s")).where(paid_filter), provider, start, end)
        count = await session.scalar(select(func.count()).select_from(succeeded.subquery()))
        median = None
        if count:
            median = await session.scalar(
                succeeded.order_by(literal_column("s")).offset(int(count) // 2).limit(1)
            )
    if median is not None:
        stats.median_seconds_to_success = round(float(median), 3)

    # a webhook not applied told kassa what the payment had already reached or passed
    # (audited "ignored: …"; a repeat of the same event is not even audited), or was
    # refused: it contradicted the payment ("rejected: …", an amount, a currency or a
    # provider not the payment's), or the provider could not be asked to confirm it
    outcome = case(
        (AuditRecord.error_message.is_(None), "applied"),
        (AuditRecord.error_message.like("ignored:%"), "ignored"),
        else_="rejected",
    )
    webhook_rows = await session.execute(
        select(outcome, func.count()).where(AuditRecord.operation == "webhook").group_by(outcome)
    )
    counts = {str(kind): int(n) for kind, n in webhook_rows}
    stats.webhooks = {
        "applied": counts.get("applied", 0),
        "not_applied": counts.get("ignored", 0) + counts.get("rejected", 0),
        "ignored": counts.get("ignored", 0),
        "rejected": counts.get("rejected", 0),
    }
    stats.outbox = {
        "unpublished": int(
            await session.scalar(
                select(func.count())
                .select_from(OutboxEvent)
                .where(OutboxEvent.published_at.is_(None))
            )
            or 0
        ),
        "pending_deliveries": int(
            await session.scalar(
                select(func.count())
                .select_from(WebhookDelivery)
                .where(WebhookDelivery.status == "pending")
            )
            or 0
        ),
        "dead_deliveries": int(
            await session.scalar(
                select(func.count())
                .select_from(WebhookDelivery)
                .where(WebhookDelivery.status == "dead")
            )
            or 0
        ),
    }
    day = _day(dialect)
    since = (end or utcnow()) - timedelta(days=days)
    rows = await session.execute(
        _where(
            select(day.label("day"), func.count(), func.sum(paid_flag))
            .where(
                Payment.created_at >= max(since, start) if start else Payment.created_at >= since
            )
            .group_by(literal_column("day"))
            .order_by(literal_column("day").desc())
            .limit(days),
            provider,
            start,
            end,
        )
    )
    stats.daily = [
        {"day": d, "payments": int(n), "succeeded": int(s or 0)} for d, n, s in reversed(list(rows))
    ]
    window = Payment.created_at >= (max(since, start) if start else since)
    rows = await session.execute(
        _where(
            select(day.label("day"), Payment.currency, net)
            .where(window, Payment.status.in_(PAID))
            .group_by(literal_column("day"), Payment.currency)
            .order_by(literal_column("day")),
            provider,
            start,
            end,
        )
    )
    stats.daily_revenue = [{"day": d, "currency": c, "amount": int(a or 0)} for d, c, a in rows]
    failed_flag = case((Payment.status.in_(FAILED), 1), else_=0)
    rows = await session.execute(
        _where(
            select(day.label("day"), func.sum(paid_flag), func.sum(failed_flag))
            .where(window, Payment.billing_period.is_not(None))  # a renewal's charge
            .group_by(literal_column("day"))
            .order_by(literal_column("day")),
            provider,
            start,
            end,
        )
    )
    stats.daily_renewals = [
        {"day": d, "renewed": int(r or 0), "failed": int(f or 0)} for d, r, f in rows
    ]
    await _billing(session, stats, provider, start, end)
    return stats


async def _billing(
    session: AsyncSession,
    stats: Statistics,
    provider: str | None,
    start: datetime | None,
    end: datetime | None,
) -> None:
    rows = await session.execute(
        _where(
            select(Payment.currency, func.sum(Payment.discount_amount))
            .where(Payment.status.in_(PAID), Payment.discount_amount > 0)
            .group_by(Payment.currency)
            .order_by(Payment.currency),
            provider,
            start,
            end,
        )
    )
    stats.discounts = [{"currency": c, "amount": int(a or 0)} for c, a in rows]
    stats.mrr = await _mrr(session)
    rows = await session.execute(
        select(Subscription.status, func.count()).group_by(Subscription.status)
    )
    stats.subscriptions = {status: int(n) for status, n in rows}


async def _mrr(session: AsyncSession) -> list[dict[str, Any]]:
    """Per currency, what the live recurring subscriptions' running stretches are worth a
    month: each stretch's value over 30 days of its length (the value ledger, so a trial or
    a discount counts as what was paid, not as list price)."""
    now = await clock.billing_now(session)
    live = [s.value for s in LIVE_STATUSES]
    rows = await session.execute(
        select(
            SubscriptionPeriod.currency,
            SubscriptionPeriod.value,
            SubscriptionPeriod.starts_at,
            SubscriptionPeriod.ends_at,
        )
        .join(Subscription, Subscription.id == SubscriptionPeriod.subscription_id)
        .join(Tariff, Tariff.id == Subscription.tariff_id)
        .where(
            Subscription.status.in_(live),
            Tariff.recurring.is_(True),
            SubscriptionPeriod.taken_back_at.is_(None),
            SubscriptionPeriod.starts_at <= now,
            SubscriptionPeriod.ends_at > now,
        )
    )
    totals: dict[str, int] = {}
    for currency, value, starts_at, ends_at in rows:
        totals[currency] = totals.get(currency, 0) + monthly_value(value, ends_at - starts_at)
    return [{"currency": c, "amount": totals[c]} for c in sorted(totals)]
