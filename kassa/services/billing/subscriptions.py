"""Subscriptions as their holders and operators see and change them.

Payments move subscriptions through `billing` (inside `apply_update`); here are the reads,
the holder's own changes (renewal on or off, the card, cancel now or at the period's end)
and trials, which start without a payment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Select, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from kassa.core.security import Principal
from kassa.db.base import utcnow
from kassa.db.models import PaymentMethod, Subscription, SubscriptionPeriod, Tariff
from kassa.db.pagination import paginate
from kassa.db.session_info import billing_policy
from kassa.domain.billing import LIVE_STATUSES, SubscriptionStatus
from kassa.domain.errors import InvalidState, NotFound, ValidationFailed
from kassa.domain.paging import PageParams
from kassa.runtime import Runtime
from kassa.services.accounts import access
from kassa.services.accounts.customers import owner_of
from kassa.services.billing import clock
from kassa.services.billing import lifecycle as billing
from kassa.services.schemas import SubscriptionOut

S = SubscriptionStatus
NONE = "none"


def view(sub: Subscription, tariff: Tariff | None) -> SubscriptionOut:
    return billing.subscription_object(sub, tariff)


async def _shown(session: AsyncSession, sub: Subscription) -> SubscriptionOut:
    """The subscription with its tariff (from the session's own rows when it holds it)."""
    return view(sub, await session.get(Tariff, sub.tariff_id))


def _visible(principal: Principal, sub: Subscription | None) -> Subscription:
    """The holder (or a member of the organisation holding it), admins and services."""
    if sub is None:
        raise NotFound("subscription not found")
    if principal.is_privileged:
        return sub
    if sub.organization_id is not None and sub.organization_id in principal.orgs:
        return sub
    if sub.organization_id is None and sub.user_id == principal.subject:
        return sub
    raise NotFound("subscription not found")


async def current(rt: Runtime, user_id: str) -> SubscriptionOut:
    """The one ending last among those not ended; else the latest; else `status: none`."""
    query = select(Subscription).where(
        Subscription.user_id == user_id, Subscription.organization_id.is_(None)
    )
    async with rt.db.transaction() as session:
        live = await session.scalar(
            query.where(Subscription.status.in_([s.value for s in LIVE_STATUSES]))
            .order_by(Subscription.current_period_end.desc(), Subscription.id)
            .limit(1)
        )
        sub = live or await session.scalar(
            query.order_by(Subscription.updated_at.desc(), Subscription.id).limit(1)
        )
        shown = await _shown(session, sub) if sub is not None else None
    return shown or SubscriptionOut(id=None, user_id=user_id, tariff_id=None, status=NONE)


@dataclass(frozen=True, slots=True)
class SubscriptionFilters:
    user_id: str | None = None
    status: str | None = None
    tariff_id: str | None = None


def _listed(principal: Principal, filters: SubscriptionFilters) -> Select[Subscription, Tariff]:
    query = (
        select(Subscription, Tariff)
        .join(Tariff, Tariff.id == Subscription.tariff_id)
        .order_by(Subscription.created_at.desc(), Subscription.id.desc())
    )
    if principal.is_privileged:
        if filters.user_id:
            query = query.where(Subscription.user_id == filters.user_id)
    else:
        mine = (Subscription.user_id == principal.subject) & Subscription.organization_id.is_(None)
        query = query.where(mine | Subscription.organization_id.in_(list(principal.orgs)))
    if filters.status:
        query = query.where(Subscription.status == filters.status)
    if filters.tariff_id:
        query = query.where(Subscription.tariff_id == filters.tariff_id)
    return query


async def list_subscriptions(
    rt: Runtime, principal: Principal, filters: SubscriptionFilters, page: PageParams
) -> tuple[list[SubscriptionOut], int]:
    async with rt.db.reading() as session:
        rows, total = await paginate(session, _listed(principal, filters), page, rows=True)
    return [view(sub, tariff) for sub, tariff in rows], total


async def get(rt: Runtime, principal: Principal, subscription_id: str) -> SubscriptionOut:
    async with rt.db.reading() as session:
        sub = _visible(principal, await session.get(Subscription, subscription_id))
        return await _shown(session, sub)


async def periods(
    rt: Runtime, principal: Principal, subscription_id: str
) -> list[SubscriptionPeriod]:
    async with rt.db.transaction() as session:
        _visible(principal, await session.get(Subscription, subscription_id))
        query = (
            select(SubscriptionPeriod)
            .where(SubscriptionPeriod.subscription_id == subscription_id)
            .order_by(SubscriptionPeriod.number.desc())
        )
        return list((await session.execute(query)).scalars())


async def change(
    rt: Runtime,
    principal: Principal,
    subscription_id: str,
    *,
    auto_renew: bool | None = None,
    payment_method_id: str | None = None,
) -> SubscriptionOut:
    """Renewal on or off; the card renewals charge (the holder's own, of a provider that
    charges saved cards)."""
    async with rt.db.transaction() as session:
        sub = _visible(principal, await billing.lock(session, subscription_id))
        if not billing.is_live(sub):
            raise InvalidState(f"a {sub.status} subscription cannot be changed")
        if payment_method_id is not None:
            method = await session.get(PaymentMethod, payment_method_id)
            if method is None or not holds(sub, method):
                raise NotFound("payment method not found")
            sub.payment_method_id = method.id
        tariff = await session.get(Tariff, sub.tariff_id)
        assert tariff is not None
        if auto_renew and not tariff.recurring:
            raise InvalidState("the tariff is one-off: the subscription does not renew")
        if auto_renew is not None:
            sub.auto_renew = auto_renew
        if sub.status != S.PAST_DUE.value or sub.renewal_attempts == 0:
            billing.reschedule(sub, tariff, billing_policy(session))
        if sub.status == S.PAST_DUE.value and payment_method_id is not None:
            sub.next_attempt_at = await clock.billing_now(session)  # try the new card now
        sub.updated_at = utcnow()
        await session.flush()
        return view(sub, tariff)


def holds(sub: Subscription, method: PaymentMethod) -> bool:
    """A card of the subscription's holder, still attached: the organisation's for its
    subscription, else the customer's own."""
    if method.detached_at is not None:
        return False
    if sub.organization_id is not None:
        return method.organization_id == sub.organization_id
    return method.user_id == sub.user_id and method.organization_id is None


async def cancel(
    rt: Runtime, principal: Principal, subscription_id: str, *, at_period_end: bool
) -> SubscriptionOut:
    """At the period's end: kept until then, never renewed; now: ended at once (the time
    left is not refunded here: an operator refunds the payment, which takes it back)."""
    async with rt.db.transaction() as session:
        sub = _visible(principal, await billing.lock(session, subscription_id))
        if not billing.is_live(sub):
            raise InvalidState(f"the subscription is {sub.status} already")
        now = await clock.billing_now(session)
        if at_period_end and sub.status != S.PAST_DUE.value:
            sub.cancel_at_period_end = True
            tariff = await session.get(Tariff, sub.tariff_id)
            assert tariff is not None
            billing.reschedule(sub, tariff, billing_policy(session))
            sub.updated_at = utcnow()
            await session.flush()
        else:
            # a past-due subscription has no paid time left to keep
            await billing.end(session, sub, S.CANCELLED, now)
        return await _shown(session, sub)


async def start_trial(
    rt: Runtime,
    principal: Principal,
    tariff_id: str,
    *,
    user_id: str | None,
    organization_id: str | None,
    payment_method_id: str | None,
) -> SubscriptionOut:
    """A trial of a tariff with `trial_days`: the subscription is `trialing` at once, with
    no payment; at its end the first period is charged (or asked for) like a renewal. Once
    per customer and tariff group."""
    holder = access.acting_for(principal, user_id, "a subscription")
    if organization_id is not None:
        access.ensure_org_member(principal, organization_id)
    owner = owner_of(holder, organization_id)
    async with rt.db.transaction() as session:
        tariff = await session.get(Tariff, tariff_id)
        if tariff is None or not tariff.is_active:
            raise NotFound("tariff not found")
        if tariff.trial_days <= 0:
            raise ValidationFailed("this tariff has no trial")
        tried = await session.scalar(
            select(
                exists().where(
                    Subscription.owner == owner,
                    Subscription.group_key == billing.group_key(tariff),
                )
            )
        )
        if tried:
            raise InvalidState("a trial is for customers who never subscribed in this group")
        method = None
        if payment_method_id is not None:
            method = await session.get(PaymentMethod, payment_method_id)
            if method is None or method.detached_at is not None:
                raise NotFound("payment method not found")
        now = await clock.billing_now(session)
        sub = await billing.open_subscription(
            session,
            user_id=holder,
            organization_id=organization_id,
            tariff=tariff,
            status=S.TRIALING,
            now=now,
            ends=now + timedelta(days=tariff.trial_days),
        )
        if sub is None:
            raise InvalidState("the customer holds a subscription in this group already")
        if method is not None:
            if not holds(sub, method):
                raise NotFound("payment method not found")
            sub.payment_method_id = method.id
            sub.provider = method.provider
        sub.period_number = 1
        session.add(
            SubscriptionPeriod(
                subscription_id=sub.id,
                number=1,
                kind="trial",
                tariff_id=tariff.id,
                payment_id=None,
                starts_at=sub.current_period_start,
                ends_at=sub.current_period_end,
                value=0,  # a trial is bought with nothing and carries nothing
                currency=tariff.currency,
            )
        )
        billing.reschedule(sub, tariff, billing_policy(session))
        await session.flush()
        billing.announce(session, "subscription.activated", sub, trial=True)
        return view(sub, tariff)
