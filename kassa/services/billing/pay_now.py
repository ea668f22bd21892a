"""The portal's "Pay now": a customer pays their past-due renewal themselves, with the card
they choose among their own (or on the provider's page), outside the dunning schedule.

The payment renews the period owed (`billing_period`), so its success renews the
subscription as the billing job's charge would. It is marked `metadata.paid_from = "portal"`,
by which `billing.on_renewal_failed` knows a declined try here from the job's: it spends no
retry of the schedule and moves no next attempt. Each rendering of the portal's form carries
its own key, so a form sent twice makes one payment.
"""

from __future__ import annotations

import re
import secrets

from sqlalchemy import select

from kassa.core.logging import get_logger
from kassa.core.security import Principal
from kassa.db.models import Payment, PaymentMethod, Subscription, Tariff
from kassa.domain.billing import SubscriptionStatus
from kassa.domain.errors import InvalidState, KassaError, NotFound, ProviderError
from kassa.domain.states import PaymentStatus
from kassa.providers.base import ProviderFailure
from kassa.providers.plugins import state_graph
from kassa.runtime import Runtime
from kassa.services.billing import clock, promo_codes, renewals, subscriptions
from kassa.services.payments import service as payments
from kassa.services.payments.service import NewPayment

log = get_logger(__name__)
PAID_FROM_PORTAL = {"paid_from": "portal"}  # read by `billing.on_renewal_failed`
ATTEMPT = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def new_attempt() -> str:
    """A key for one rendering of the Pay now form."""
    return secrets.token_urlsafe(12)


async def pay_now(
    rt: Runtime,
    principal: Principal,
    subscription_id: str,
    method_id: str | None,
    *,
    attempt: str,
    keep_card: bool,
    return_url: str | None = None,
) -> Payment:
    """The past-due renewal paid with the holder's card `method_id` (another's: 404), or,
    without one, a payment to pay on the provider's page. On success the card becomes the
    one renewals use when `keep_card`, and the period's other payments still open at their
    provider are closed there, so the period is not paid twice."""
    key = attempt if ATTEMPT.match(attempt) else new_attempt()
    owed = await _owed(rt, principal, subscription_id, method_id, key, return_url)
    try:
        payment = await payments.create_payment(rt, principal, owed)
    except ProviderError:
        # a card the provider refused outright (Payme's Subscribe API answers with an
        # error): the payment is recorded as failed with the provider's code
        made = await _made(rt, principal, owed)
        if made is None:
            raise
        payment = made
    if payment.status == PaymentStatus.SUCCEEDED.value:
        if keep_card and method_id is not None:
            await subscriptions.change(rt, principal, subscription_id, payment_method_id=method_id)
        await _close_the_rest(rt, payment)
    return payment


async def _owed(
    rt: Runtime,
    principal: Principal,
    subscription_id: str,
    method_id: str | None,
    key: str,
    return_url: str | None,
) -> NewPayment:
    """The payment for the period owed, as `create_payment` takes it."""
    await subscriptions.get(rt, principal, subscription_id)  # theirs, or 404
    async with rt.db.transaction() as session:
        sub = await session.get(Subscription, subscription_id)
        assert sub is not None
        if sub.status != SubscriptionStatus.PAST_DUE.value:
            raise InvalidState("there is nothing to pay for this subscription now")
        method = None
        if method_id is not None:
            method = await session.get(PaymentMethod, method_id)
            if method is None or not subscriptions.holds(sub, method):
                raise NotFound("payment method not found")
        provider = method.provider if method is not None else sub.provider
        if provider is None:
            raise InvalidState("there is no card or provider to pay this subscription with")
        tariff = await session.get(Tariff, sub.tariff_id)
        assert tariff is not None
        discount = await promo_codes.discount_for_renewal(
            session, sub.promo_code, tariff, await clock.billing_now(session)
        )
        email = None
        if sub.last_payment_id:
            email = await session.scalar(
                select(Payment.email).where(Payment.id == sub.last_payment_id)
            )
        period = sub.period_number + 1
        return NewPayment(
            provider=provider,
            amount=tariff.amount - discount,
            currency=tariff.currency,
            purpose="tariff",
            tariff_id=tariff.id,
            organization_id=sub.organization_id,
            shop_id=sub.shop_id if method is None or method.provider == sub.provider else None,
            phone=sub.phone,
            description=f"{tariff.name}: renewal",
            return_url=return_url,
            metadata={"subscription_id": sub.id, "billing_period": period, **PAID_FROM_PORTAL},
            idempotency_key=f"pay-now:{sub.id}:{period}:{key}",
            payment_method_id=method.id if method is not None else None,
            discount_amount=discount,
            subscription_id=sub.id,
            billing_period=period,
            email=email,
        )


async def _made(rt: Runtime, principal: Principal, new: NewPayment) -> Payment | None:
    """The payment written under the request's key (as `create_payment` stores it)."""
    async with rt.db.transaction() as session:
        return await session.scalar(
            select(Payment).where(
                Payment.idempotency_key == f"{principal.key}:{new.idempotency_key}"
            )
        )


async def _close_the_rest(rt: Runtime, paid: Payment) -> None:
    """The period's other payments that their provider could still complete (the billing
    job's declined charge, a page left open) are cancelled there."""
    async with rt.db.transaction() as session:
        others = (
            await session.execute(
                select(Payment).where(
                    Payment.subscription_id == paid.subscription_id,
                    Payment.billing_period == paid.billing_period,
                    Payment.id != paid.id,
                )
            )
        ).scalars()
        still_open = [
            p.id for p in others if state_graph(p.provider).is_open(PaymentStatus(p.status))
        ]
    for payment_id in still_open:
        try:
            await renewals.close_attempt(rt, payment_id)
        except (KassaError, ProviderFailure) as exc:  # paid already; the rest is tidying
            log.warning("pay_now.not_closed", payment_id=payment_id, error=str(exc))
