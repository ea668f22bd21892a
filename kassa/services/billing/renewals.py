"""The billing job: renewals charged, asked for, retried; subscriptions ended.

Each due subscription is claimed with FOR UPDATE SKIP LOCKED (SQLite: the write lock) and
pushed out of the due list for a lease, in the claim's transaction, which also writes its
renewal payment (what the batch's steps read is fetched once for the batch, and the
payments and their audit records leave together). The payment is
keyed by (subscription, period, attempt): the key is unique on the payments table, and the
provider's idempotency key is derived from it, so a worker killed in the middle of a
charge and a second worker taking over after the lease make one payment and charge once.
A new attempt (a dunning retry) is only made after the previous one failed, and a
previous attempt that its provider could still complete (Stripe's declined intents) is
cancelled there first. The charge itself goes through `payments.submit` and
`apply_update` like any payment: invoice, events, audit; `billing` moves the subscription.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from kassa.core.context import Actor
from kassa.core.logging import get_logger
from kassa.core.observability import RENEWALS
from kassa.db.base import new_row, utcnow
from kassa.db.models import Merchant, Payment, PaymentMethod, Subscription, Tariff, new_id
from kassa.db.session_info import billing_policy
from kassa.domain.billing import LIVE_STATUSES, BillingPolicy, SubscriptionStatus
from kassa.domain.errors import KassaError
from kassa.domain.fiscal import as_items, tariff_lines
from kassa.domain.states import PaymentStatus
from kassa.fast.batch import add_new
from kassa.providers.base import ProviderFailure
from kassa.providers.plugins import state_graph
from kassa.runtime import Runtime
from kassa.services.accounts import customers, merchants
from kassa.services.accounts.customers import owner_of
from kassa.services.billing import clock, promo_codes
from kassa.services.billing import lifecycle as billing
from kassa.services.ops import audit
from kassa.services.payments.pushed_updates import AsWritten
from kassa.services.payments.service import FIRST_CHECK, provider_for, request_for, submit
from kassa.services.payments.updates import apply_update

log = get_logger(__name__)
S = SubscriptionStatus
ACTOR = Actor.system("billing")
LEASE = timedelta(minutes=5)  # a claimed renewal's time to finish before another takes over
RECHECK = timedelta(hours=1)  # how often a renewal waiting for its payment is looked at
BATCH = 50
# charges in flight at once: each waits on its provider, not on the database; 8 keep the
# provider client's connection pool (whose every request polls each kept connection) small
PARALLEL = 8
OPEN = (PaymentStatus.PENDING.value, PaymentStatus.PROCESSING.value)


@dataclass(frozen=True, slots=True)
class Renewal:
    """A renewal payment, written in the claim's transaction, to charge outside it."""

    subscription_id: str
    key: str  # (subscription, period, attempt): the payment's unique idempotency key
    payment: Payment  # pending; a resumed one was written by an earlier claim
    resumed: bool  # the attempt's payment existed: a charge may have reached the provider
    method_id: str | None  # None: the customer is asked to pay (renewal_upcoming)
    previous_payment_id: str | None  # an earlier attempt, cancelled first where still open
    token: str | None = field(default=None, repr=False)  # the saved card's, opened
    customer_ref: str | None = None  # the payer's customer at the provider, where known
    # the subscription and tariff as the claim left them: the charge's answer is applied
    # on them and the payment without reading the three again
    written: AsWritten | None = field(default=None, repr=False)


@dataclass
class _Known:
    """What a batch's steps read, fetched once for the whole batch (a query per kind, not
    per subscription) under the claim's locks."""

    tariffs: dict[str, Tariff]
    made: dict[str, Payment]  # by idempotency key: attempts already written
    methods: dict[str, PaymentMethod]
    emails: dict[str, str | None]  # by payment id: where each last receipt went
    customers: dict[tuple[str, str], str]  # (provider, owner) → customer id
    shop_bins: dict[str, str | None]  # by shop id: the organisation each shop's sales are for


def renewal_key(sub: Subscription, period: int, attempt: int) -> str:
    return f"renewal:{sub.id}:{period}:{attempt}"


def provider_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:48]


async def bill_due(rt: Runtime) -> int:
    """One pass: every subscription whose time has come is advanced one step."""
    async with rt.db.transaction() as session:
        now = await clock.billing_now(session)
        due = (await session.execute(_DUE, {"live": _LIVE, "now": now})).scalars().all()
        renewals = await claim(rt, session, due, now, billing_policy(session))
    limit = asyncio.Semaphore(PARALLEL)

    async def carry_out(renewal: Renewal) -> None:
        async with limit:
            try:
                await _carry_out(rt, renewal)
            except (KassaError, ProviderFailure) as exc:
                # recorded on the payment; the lease brings the subscription back
                log.warning(
                    "renewal.not_made", subscription_id=renewal.subscription_id, error=str(exc)
                )

    # different subscriptions, each with its own key and transactions: side by side
    await asyncio.gather(*(carry_out(r) for r in renewals))
    return len(due)


_LIVE = [s.value for s in LIVE_STATUSES]
_DUE = (
    select(Subscription)
    .where(
        Subscription.status.in_(bindparam("live", expanding=True)),
        Subscription.next_attempt_at <= bindparam("now"),
    )
    .order_by(Subscription.next_attempt_at)
    .limit(BATCH)
    .with_for_update(skip_locked=True)
)


async def claim(
    rt: Runtime,
    session: AsyncSession,
    subs: Sequence[Subscription],
    now: datetime,
    policy: BillingPolicy,
) -> list[Renewal]:
    """Each locked subscription advanced one step; the renewal payments to charge, written
    here with their audit records (one statement for the batch on PostgreSQL)."""
    known = await _know(session, subs)
    renewals = []
    for sub in subs:
        renewal = await _step(rt, session, sub, now, policy, known)
        if renewal is not None:
            renewals.append(renewal)
    return renewals


async def _know(session: AsyncSession, subs: Sequence[Subscription]) -> _Known:
    keys = [renewal_key(s, s.period_number + 1, s.renewal_attempts + 1) for s in subs]
    tariff_ids = {s.tariff_id for s in subs}
    method_ids = {s.payment_method_id for s in subs if s.payment_method_id}
    last_ids = {s.last_payment_id for s in subs if s.last_payment_id}
    owners = {owner_of(s.user_id, s.organization_id) for s in subs}
    shop_ids = {s.shop_id for s in subs if s.shop_id}

    async def rows(query: Any) -> Sequence[Any]:
        return (await session.execute(query)).scalars().all()

    tariffs = await rows(select(Tariff).where(Tariff.id.in_(tariff_ids))) if subs else []
    made = await rows(select(Payment).where(Payment.idempotency_key.in_(keys))) if keys else []
    methods = (
        await rows(select(PaymentMethod).where(PaymentMethod.id.in_(method_ids)))
        if method_ids
        else []
    )
    shops = await rows(select(Merchant).where(Merchant.shop_id.in_(shop_ids))) if shop_ids else []
    emails: dict[str, str | None] = {}
    if last_ids:
        found = await session.execute(
            select(Payment.id, Payment.email).where(Payment.id.in_(last_ids))
        )
        emails = {payment_id: email for payment_id, email in found}
    return _Known(
        tariffs={t.id: t for t in tariffs},
        made={p.idempotency_key: p for p in made if p.idempotency_key},
        methods={m.id: m for m in methods},
        emails=emails,
        customers=await customers.known(session, owners) if method_ids else {},
        shop_bins={m.shop_id: merchants.shop_bin(m) for m in shops},
    )


async def _step(
    rt: Runtime,
    session: AsyncSession,
    sub: Subscription,
    now: datetime,
    policy: BillingPolicy,
    known: _Known,
) -> Renewal | None:
    tariff = known.tariffs[sub.tariff_id]
    if not (tariff.recurring and sub.auto_renew and not sub.cancel_at_period_end):
        if now >= sub.current_period_end:
            status = S.CANCELLED if sub.cancel_at_period_end else S.EXPIRED
            await billing.end(session, sub, status, now)
        else:
            billing.reschedule(sub, tariff, policy)
        return None
    period = sub.period_number + 1
    key = renewal_key(sub, period, sub.renewal_attempts + 1)
    made = known.made.get(key)
    if made is not None and made.status not in OPEN:
        # settled meanwhile (its effects moved the subscription); look again later
        sub.next_attempt_at = now + RECHECK
        return None
    if made is not None and (made.provider_payment_id or made.checkout_url):
        await _await_customer(session, sub, now, policy, made)
        return None
    method = known.methods.get(sub.payment_method_id or "")
    if method is not None and method.detached_at is not None:
        method = None
    provider = method.provider if method else (made.provider if made else sub.provider)
    if provider is None:
        # nothing to charge and no provider to ask through (a trial without a card)
        await _await_customer(session, sub, now, policy, None)
        return None
    sub.next_attempt_at = now + LEASE
    # given, not left to the column's on-update default: a batch's flush writes each row
    # its own default but leaves the objects one value, and the charge's answer is decided
    # on the subscription as written here (`AsWritten`)
    sub.updated_at = utcnow()
    previous = None
    if sub.renewal_attempts:
        previous = await session.scalar(
            select(Payment.id).where(
                Payment.idempotency_key == renewal_key(sub, period, sub.renewal_attempts)
            )
        )
    payment = made
    if payment is None:
        discount = await promo_codes.discount_for_renewal(session, sub.promo_code, tariff, now)
        # the shop's organisation, as `merchants.credentials_for` gives it; that the shop
        # can still be charged through is checked when the provider is asked
        organization_bin = known.shop_bins.get(sub.shop_id or "") or (
            rt.providers.default_credentials(provider).values.get("organization_bin")
        )
        payment = _renewal_payment(
            sub, tariff, key, period, provider, method, discount, organization_bin, known
        )
        add_new(session, payment)  # with its audit record, in the claim's one statement
        audit.record(session, actor=ACTOR, operation="create", payment=payment)
    RENEWALS.labels(provider, "attempted").inc()
    return Renewal(
        subscription_id=sub.id,
        key=key,
        payment=payment,
        resumed=made is not None,
        method_id=method.id if method else None,
        previous_payment_id=previous,
        token=rt.box.open(method.token) if method else None,
        customer_ref=known.customers.get((provider, owner_of(sub.user_id, sub.organization_id))),
        written=AsWritten(payment, sub, tariff),
    )


def _renewal_payment(
    sub: Subscription,
    tariff: Tariff,
    key: str,
    period: int,
    provider: str,
    method: PaymentMethod | None,
    discount: int,
    organization_bin: str | None,
    known: _Known,
) -> Payment:
    now = utcnow()
    return new_row(
        Payment,
        id=new_id("pay"),
        user_id=sub.user_id,
        organization_id=sub.organization_id,
        provider=provider,
        status=PaymentStatus.PENDING.value,
        amount=tariff.amount - discount,
        currency=tariff.currency,
        refunded_amount=0,
        purpose="tariff",
        tariff_id=tariff.id,
        shop_id=sub.shop_id,
        organization_bin=organization_bin,
        description=f"{tariff.name}: renewal",
        metadata_={"subscription_id": sub.id, "billing_period": period},
        phone=sub.phone,
        # where the receipt goes, as before
        email=known.emails.get(sub.last_payment_id) if sub.last_payment_id else None,
        idempotency_key=key,
        payment_method_id=method.id if method else None,
        subscription_id=sub.id,
        billing_period=period,
        save_payment_method=False,
        promo_code=None,
        discount_amount=discount,
        items=as_items(tariff_lines(tariff.name, tariff.amount, discount, tariff.fiscal)),
        next_check_at=now + FIRST_CHECK,
        check_attempts=0,
        created_at=now,
        updated_at=now,
    )


async def _await_customer(
    session: AsyncSession,
    sub: Subscription,
    now: datetime,
    policy: BillingPolicy,
    payment: Payment | None,
) -> None:
    """The renewal waits for the customer (a payable payment, or none): past due once the
    period has ended, cancelled once the whole dunning schedule has passed unpaid."""
    end = sub.current_period_end
    deadline = end + (policy.retries[-1] if policy.retries else timedelta(0))
    if now >= deadline:
        await billing.end(session, sub, S.CANCELLED, now, reason="renewal_unpaid")
        return
    if payment is None and sub.status != S.PAST_DUE.value and now < end:
        billing.announce(session, "subscription.renewal_upcoming", sub, payment_id=None)
    if now >= end and sub.status != S.PAST_DUE.value:
        sub.status = S.PAST_DUE.value
        sub.updated_at = utcnow()
        await session.flush()
        billing.announce(
            session, "subscription.past_due", sub, payment_id=payment.id if payment else None
        )
    sub.next_attempt_at = end if now < end else min(now + RECHECK, deadline)


async def _carry_out(rt: Runtime, renewal: Renewal) -> None:
    if renewal.previous_payment_id is not None:
        await close_attempt(rt, renewal.previous_payment_id)
    payment = renewal.payment
    provider = await provider_for(rt, payment)
    made = await submit(
        rt,
        payment,
        provider,
        key=provider_key(renewal.key),
        method_token=renewal.token,
        customer_ref=renewal.customer_ref,
        actor=ACTOR,
        resumed=renewal.resumed,
        as_written=renewal.written,
    )
    if renewal.method_id is None:
        async with rt.db.transaction() as session:
            sub = await billing.lock(session, renewal.subscription_id)
            if sub is not None and billing.is_live(sub):
                now = await clock.billing_now(session)
                sub.next_attempt_at = min(sub.current_period_end, now + RECHECK)
                billing.announce(
                    session,
                    "subscription.renewal_upcoming",
                    sub,
                    payment_id=made.id,
                    checkout_url=made.checkout_url,
                    amount=made.amount,
                    currency=made.currency,
                )
    status = made.status
    if status == PaymentStatus.SUCCEEDED.value:
        RENEWALS.labels(made.provider, "succeeded").inc()
    elif status in (PaymentStatus.FAILED.value, PaymentStatus.CANCELLED.value):
        RENEWALS.labels(made.provider, "failed").inc()


async def close_attempt(rt: Runtime, payment_id: str) -> None:
    """A failed attempt its provider could still complete (a Stripe intent waits for another
    card) is cancelled there before the next attempt (or once the customer has paid the period
    in the portal), so a period is never paid twice."""
    async with rt.db.transaction() as session:
        payment = await session.get(Payment, payment_id)
    if payment is None or not payment.provider_payment_id:
        return
    if not state_graph(payment.provider).is_open(PaymentStatus(payment.status)):
        return
    provider = await provider_for(rt, payment)
    update = await provider.cancel(await request_for(rt, payment))
    async with rt.db.transaction() as session:
        await apply_update(session, update, actor=ACTOR, operation="cancel")
