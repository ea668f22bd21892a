"""What payments do to subscriptions: start, extend, change tariff, take back, fall behind.

Called from `effects`, inside `apply_update`'s transaction with the payment row locked; the
subscription row is locked here too, so each payment moves its subscription once. Times
are billing time (`clock`): the sandbox clock moves them, nothing else does.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.util import identity_key

from kassa.db.base import utcnow
from kassa.db.models import (
    Payment,
    PromoCode,
    Subscription,
    SubscriptionPeriod,
    Tariff,
    new_id,
)
from kassa.db.session_info import billing_policy
from kassa.db.sql import insert_ignore
from kassa.domain.billing import (
    LIVE_STATUSES,
    BillingPolicy,
    SubscriptionStatus,
    paid_period,
    retry_at,
)
from kassa.domain.errors import InvalidState
from kassa.domain.service_value import Stretch, convert, take_back
from kassa.fast.batch import add_new, queue_changes
from kassa.services.accounts.customers import owner_of
from kassa.services.billing import clock
from kassa.services.ops import outbox
from kassa.services.schemas import SubscriptionOut

S = SubscriptionStatus


def group_key(tariff: Tariff) -> str:
    return tariff.group or ""


def subscription_object(sub: Subscription, tariff: Tariff | None) -> SubscriptionOut:
    """The Subscription as the API and events show it: `auto_renew` is whether it renews
    by itself, never on a one-off tariff (the holder's wish is kept for a recurring one)."""
    shown = SubscriptionOut.model_validate(sub)
    if tariff is not None and not tariff.recurring and shown.auto_renew:
        shown = shown.model_copy(update={"auto_renew": False})
    return shown


def announce(session: AsyncSession, event_type: str, sub: Subscription, **extra: object) -> None:
    # the tariff is in the session already wherever a subscription's event is announced
    tariff = session.identity_map.get(identity_key(Tariff, sub.tariff_id))
    data = subscription_object(sub, tariff).model_dump(mode="json")
    outbox.enqueue(session, event_type, {**data, **extra})


def is_live(sub: Subscription) -> bool:
    return S(sub.status) in LIVE_STATUSES


def renews(sub: Subscription, tariff: Tariff) -> bool:
    """Whether it renews by itself at its period's end: live, on a recurring tariff, with
    renewal on and no cancellation asked for."""
    return is_live(sub) and tariff.recurring and sub.auto_renew and not sub.cancel_at_period_end


def reschedule(sub: Subscription, tariff: Tariff, policy: BillingPolicy) -> None:
    """When the billing job looks next: the renewal's lead time before the period ends, or
    the end itself when the subscription will not renew (it ends then)."""
    if not is_live(sub):
        sub.next_attempt_at = None
    elif tariff.recurring and sub.auto_renew and not sub.cancel_at_period_end:
        sub.next_attempt_at = sub.current_period_end - policy.lead
    else:
        sub.next_attempt_at = sub.current_period_end


async def lock(session: AsyncSession, subscription_id: str) -> Subscription | None:
    return (
        await session.execute(
            select(Subscription)
            .where(Subscription.id == subscription_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()


# a tariff payment's subscription locked, with the tariff the payment bought (which may be
# another than the subscription's: a change of tariff), in one round trip
_SUBSCRIPTION_AND_TARIFF = (
    select(Subscription, Tariff)
    .join(Tariff, Tariff.id == bindparam("tariff_id"))  # not the subscription's own tariff
    .where(Subscription.id == bindparam("subscription_id"))
    .with_for_update(of=Subscription)
    .execution_options(populate_existing=True)
)


_READ_AHEAD = "kassa.billing.read_ahead"


def read_ahead(
    session: AsyncSession, payment: Payment, tariff: Tariff | None, sub: Subscription | None
) -> None:
    """The tariff and subscription a payment names, read by the caller with the payment and
    held as the payment is (locked with it, or expected unchanged by a compare-and-set):
    its success's effects then need no statement of their own to read them."""
    session.info.setdefault(_READ_AHEAD, {})[payment.id] = (tariff, sub)


async def _tariff_and_subscription(
    session: AsyncSession, payment: Payment
) -> tuple[Tariff, Subscription | None]:
    """The tariff a payment bought, and the subscription it names, locked."""
    assert payment.tariff_id is not None
    ahead_tariff, ahead_sub = session.info.get(_READ_AHEAD, {}).get(payment.id, (None, None))
    if (
        ahead_tariff is not None
        and ahead_sub is not None
        and (ahead_tariff.id, ahead_sub.id) == (payment.tariff_id, payment.subscription_id)
    ):
        return ahead_tariff, ahead_sub
    if payment.subscription_id:
        params = {"subscription_id": payment.subscription_id, "tariff_id": payment.tariff_id}
        found = (await session.execute(_SUBSCRIPTION_AND_TARIFF, params)).one_or_none()
        if found is not None:
            return found[1], found[0]
    tariff = await session.get(Tariff, payment.tariff_id)
    assert tariff is not None
    sub = await lock(session, payment.subscription_id) if payment.subscription_id else None
    return tariff, sub


async def live_in_group(session: AsyncSession, owner: str, group: str) -> Subscription | None:
    return (
        await session.execute(
            select(Subscription)
            .where(
                Subscription.owner == owner,
                Subscription.group_key == group,
                Subscription.status.in_([s.value for s in LIVE_STATUSES]),
            )
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()


async def open_subscription(
    session: AsyncSession,
    *,
    user_id: str,
    organization_id: str | None,
    tariff: Tariff,
    status: SubscriptionStatus,
    now: datetime,
    ends: datetime,
) -> Subscription | None:
    """A new live subscription in the tariff's group, or None when the customer holds one
    there already (the partial unique index decides, whatever runs at once)."""
    owner = owner_of(user_id, organization_id)
    sub_id = new_id("sub")
    created = await insert_ignore(
        session,
        Subscription.__table__,  # type: ignore[arg-type]
        {
            "id": sub_id,
            "user_id": user_id,
            "organization_id": organization_id,
            "owner": owner,
            "group_key": group_key(tariff),
            "tariff_id": tariff.id,
            "status": status.value,
            "started_at": now,
            "current_period_start": now,
            "current_period_end": ends,
            "period_number": 0,
            "auto_renew": True,
            "cancel_at_period_end": False,
            "renewal_attempts": 0,
            "created_at": utcnow(),
            "updated_at": utcnow(),
        },
    )
    return await lock(session, sub_id) if created else None


async def on_tariff_paid(
    session: AsyncSession, payment: Payment, saved_method_id: str | None
) -> None:
    """A tariff payment succeeded: its subscription starts, extends (a renewal, or the same
    tariff bought again) or changes tariff within the group, and the period it bought is
    recorded against the payment."""
    tariff, sub = await _tariff_and_subscription(session, payment)
    read_at: datetime | None = None

    async def now() -> datetime:
        """Billing time, read only by the branches that use it: in sandbox mode it is a
        read of the clock's offset, and a renewal of the same tariff needs none."""
        nonlocal read_at
        if read_at is None:
            read_at = await clock.billing_now(session)
        return read_at

    policy = billing_policy(session)
    if sub is not None and not is_live(sub):
        sub = None  # paid after it ended (a late renewal): the customer starts afresh
    owner = owner_of(payment.user_id, payment.organization_id)
    if sub is None:
        sub = await live_in_group(session, owner, group_key(tariff))
    kind = "renewal" if payment.billing_period is not None else "purchase"
    opened = False
    if sub is None:
        sub = await open_subscription(
            session,
            user_id=payment.user_id,
            organization_id=payment.organization_id,
            tariff=tariff,
            status=S.ACTIVE,
            now=await now(),
            ends=await now(),
        )
        opened = sub is not None
        if sub is None:  # another payment opened it a moment ago: this one extends it
            sub = await live_in_group(session, owner, group_key(tariff))
        assert sub is not None
    if opened:
        start = await now()
        end = start + timedelta(days=tariff.duration_days)
    elif sub.tariff_id == tariff.id:
        # a renewal continues from the period's end even when paid late (the customer kept
        # the service while it was past due); a purchase never starts in the past
        if kind == "renewal":
            start = sub.current_period_end
            end = start + timedelta(days=tariff.duration_days)
        else:
            bought = paid_period(
                now=await now(),
                duration_days=tariff.duration_days,
                current_end=sub.current_period_end,
                renewing=True,
            )
            start, end = bought.start, bought.end
    else:
        previous = await session.get(Tariff, sub.tariff_id)
        assert previous is not None
        if previous.currency != tariff.currency:
            # refused at purchase while paid time is left (`ensure_convertible`); paid in a
            # race, the time already held stays as it is and the new period follows it
            start = max(await now(), sub.current_period_end)
        else:
            start = await _convert(session, sub, tariff, await now())
        end = start + timedelta(days=tariff.duration_days)
        kind = "change"
        sub.tariff_id = tariff.id
        if not (payment.promo_code and await _applies_every_period(session, payment.promo_code)):
            sub.promo_code = None  # a code of the old tariff does not follow the change

    first = sub.period_number == 0
    sub.period_number += 1
    sub.status = S.ACTIVE.value
    # the current period is the one the latest payment bought; another purchase of the same
    # tariff while it runs only lengthens it
    if kind == "change":
        sub.current_period_start = await now()  # carried time runs first, then the new period
    elif first or kind != "purchase" or start <= await now():
        sub.current_period_start = start
    sub.current_period_end = end
    sub.renewal_attempts = 0
    sub.last_payment_id = payment.id
    sub.provider = payment.provider
    sub.shop_id = payment.shop_id
    sub.phone = payment.phone or sub.phone
    method_id = saved_method_id or payment.payment_method_id
    if method_id and (saved_method_id or sub.payment_method_id is None):
        sub.payment_method_id = method_id
    if payment.promo_code and await _applies_every_period(session, payment.promo_code):
        sub.promo_code = payment.promo_code
    sub.updated_at = utcnow()
    reschedule(sub, tariff, policy)
    payment.subscription_id = sub.id
    # the subscription's and the payment's changes and the period leave with the move's
    # other writes (kassa.fast.batch): nothing here reads them back
    queue_changes(session, sub)
    queue_changes(session, payment)
    add_new(
        session,
        SubscriptionPeriod(
            subscription_id=sub.id,
            number=sub.period_number,
            kind=kind,
            tariff_id=tariff.id,
            payment_id=payment.id,
            starts_at=start,
            ends_at=end,
            value=payment.amount,
            currency=payment.currency,
            funded_by=payment.id,
        ),
    )
    event = "subscription.renewed" if kind == "renewal" else "subscription.activated"
    announce(session, event, sub, payment_id=payment.id)


async def _live_stretches(
    session: AsyncSession, subscription_id: str, now: datetime
) -> list[SubscriptionPeriod]:
    """The subscription's stretches with time left at `now`; the caller holds the
    subscription's row lock, which every writer of its stretches takes first."""
    return list(
        (
            await session.execute(
                select(SubscriptionPeriod)
                .where(
                    SubscriptionPeriod.subscription_id == subscription_id,
                    SubscriptionPeriod.ends_at > now,
                    SubscriptionPeriod.taken_back_at.is_(None),
                )
                .order_by(SubscriptionPeriod.starts_at, SubscriptionPeriod.number)
            )
        ).scalars()
    )


def _as_stretch(row: SubscriptionPeriod) -> Stretch:
    return Stretch(row.number, row.starts_at, row.ends_at, row.value, row.funded_by)


async def _convert(
    session: AsyncSession, sub: Subscription, tariff: Tariff, now: datetime
) -> datetime:
    """A change of tariff at `now`: the time left is cut there and its unused value buys
    time on `tariff` at its list price, a stretch per funding payment
    (`kassa.domain.service_value.convert`); returns where the new payment's period begins."""
    rows = await _live_stretches(session, sub.id, now)
    conversion = convert([_as_stretch(r) for r in rows], now, tariff.amount, tariff.duration_days)
    by_number = {r.number: r for r in rows}
    for cut in conversion.cuts:
        row = by_number[cut.key]
        row.starts_at, row.ends_at, row.value = cut.starts_at, cut.ends_at, cut.kept_value
    cursor = now
    for carried in conversion.carried:
        sub.period_number += 1
        session.add(
            SubscriptionPeriod(
                subscription_id=sub.id,
                number=sub.period_number,
                kind="carried",
                tariff_id=tariff.id,
                payment_id=None,
                starts_at=cursor,
                ends_at=cursor + timedelta(seconds=carried.seconds),
                value=carried.value,
                currency=tariff.currency,
                funded_by=carried.funded_by,
            )
        )
        cursor += timedelta(seconds=carried.seconds)
    return cursor


async def ensure_convertible(session: AsyncSession, owner: str, tariff: Tariff) -> None:
    """A change of tariff across currencies has no exchange rate to carry value by: refused
    while the customer holds paid time not yet used in another currency of the group (a
    trial, or no time left, converts nothing and is no loss)."""
    sub = (
        await session.execute(
            select(Subscription).where(
                Subscription.owner == owner,
                Subscription.group_key == group_key(tariff),
                Subscription.status.in_([s.value for s in LIVE_STATUSES]),
            )
        )
    ).scalar_one_or_none()
    if sub is None or sub.tariff_id == tariff.id:
        return
    now = await clock.billing_now(session)
    rows = (
        await session.execute(
            select(SubscriptionPeriod).where(
                SubscriptionPeriod.subscription_id == sub.id,
                SubscriptionPeriod.ends_at > now,
                SubscriptionPeriod.taken_back_at.is_(None),
                SubscriptionPeriod.currency != tariff.currency,
            )
        )
    ).scalars()
    if any(_as_stretch(row).unused_value(now) > 0 for row in rows):
        raise InvalidState(
            "the customer holds paid time in another currency in this tariff group;"
            " a change would lose it (let it run out, or refund it first)"
        )


async def _applies_every_period(session: AsyncSession, code: str) -> bool:
    applies = await session.scalar(select(PromoCode.applies_to).where(PromoCode.code == code))
    return applies == "every_period"


async def keep_method(session: AsyncSession, payment: Payment, method_id: str) -> None:
    """A saved method learnt after the payment had already moved (a later signal of the
    provider said which card it was): the subscription it paid for renews with it."""
    if payment.subscription_id is None:
        return
    sub = await lock(session, payment.subscription_id)
    if sub is not None and is_live(sub):
        sub.payment_method_id = method_id
        sub.updated_at = utcnow()


async def on_tariff_refunded(session: AsyncSession, payment: Payment, refunded: int) -> None:
    """A refund of `refunded` takes back exactly that much value from the time the payment
    funded, wherever it went, latest first and only from time not yet used
    (`kassa.domain.service_value.take_back`); later stretches move up by the seconds taken,
    and a subscription left with no time is cancelled."""
    subscription_id = payment.subscription_id or await session.scalar(
        select(SubscriptionPeriod.subscription_id)
        .where(SubscriptionPeriod.funded_by == payment.id)
        .limit(1)
    )
    if subscription_id is None or refunded <= 0:
        return
    sub = await lock(session, subscription_id)
    if sub is None or not is_live(sub):
        return
    now = await clock.billing_now(session)
    rows = await _live_stretches(session, sub.id, now)
    plan = take_back([_as_stretch(r) for r in rows], payment.id, refunded, now)
    if not plan:
        return
    for step in plan:  # latest first: each moves up the stretches after it
        row = next(r for r in rows if r.number == step.key)
        old_end = row.ends_at
        row.ends_at -= step.removed
        row.value -= step.value
        if row.value <= 0 or row.ends_at <= row.starts_at:
            row.taken_back_at = now
        for later in rows:
            if later is not row and later.starts_at >= old_end:
                later.starts_at -= step.removed
                later.ends_at -= step.removed
    sub.current_period_end -= sum((step.removed for step in plan), timedelta(0))
    sub.updated_at = utcnow()
    if sub.current_period_end <= now:
        sub.current_period_end = max(sub.current_period_end, sub.current_period_start)
        await end(session, sub, S.CANCELLED, now, payment_id=payment.id)
        return
    if sub.current_period_start >= sub.current_period_end:
        sub.current_period_start = min(
            (r.starts_at for r in rows if r.ends_at > r.starts_at), default=sub.started_at
        )
    tariff = await session.get(Tariff, sub.tariff_id)
    assert tariff is not None
    reschedule(sub, tariff, billing_policy(session))


async def on_renewal_failed(session: AsyncSession, payment: Payment) -> None:
    """A renewal payment failed or was cancelled: the subscription is past due and retried
    on the dunning schedule, or, past its last step, cancelled. A try the customer made with
    the portal's Pay now (`metadata.paid_from`, `kassa.services.billing.pay_now`) leaves all that
    as it was: it spends no retry and moves no next attempt."""
    if payment.subscription_id is None or payment.billing_period is None:
        return
    if (payment.metadata_ or {}).get("paid_from") == "portal":
        return
    sub = await lock(session, payment.subscription_id)
    if sub is None or not is_live(sub) or payment.billing_period != sub.period_number + 1:
        return  # the period was paid meanwhile, or the subscription ended: nothing owed
    now = await clock.billing_now(session)
    sub.renewal_attempts += 1
    sub.updated_at = utcnow()
    retry = retry_at(sub.current_period_end, billing_policy(session).retries, sub.renewal_attempts)
    if retry is None:
        await end(session, sub, S.CANCELLED, now, payment_id=payment.id)
        return
    sub.next_attempt_at = max(retry, now)
    if sub.status != S.PAST_DUE.value:
        sub.status = S.PAST_DUE.value
        await session.flush()
        announce(
            session,
            "subscription.past_due",
            sub,
            payment_id=payment.id,
            failure_code=payment.failure_code,
            next_attempt_at=sub.next_attempt_at.isoformat(),
        )


async def end(
    session: AsyncSession,
    sub: Subscription,
    status: SubscriptionStatus,
    now: datetime,
    **extra: object,
) -> None:
    """Cancelled (by the customer, a refund or dunning) or expired (it ran out)."""
    sub.status = status.value
    sub.next_attempt_at = None
    sub.cancelled_at = now if status is S.CANCELLED else sub.cancelled_at
    sub.updated_at = utcnow()
    await session.flush()
    event = "subscription.cancelled" if status is S.CANCELLED else "subscription.expired"
    announce(session, event, sub, **extra)
