"""The customer portal's reads and actions, for the customer a portal link names.

Every action is the customer's own through the same services the API uses, with the
customer as the principal: the portal can do nothing the customer could not do by API.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select

from kassa.core.security import PortalGrant, Principal, Role, mint_portal_token
from kassa.db.models import Invoice, Payment, PaymentMethod, Subscription, Tariff
from kassa.db.session_info import billing_policy
from kassa.domain.billing import BillingPolicy
from kassa.runtime import Runtime
from kassa.services.accounts import access
from kassa.services.billing import lifecycle as billing
from kassa.services.billing import pay_now as paying
from kassa.services.billing import promo_codes
from kassa.services.billing.subscriptions import holds
from kassa.services.payments import fiscal_receipts

LINK_LIFETIME = timedelta(hours=1)


def principal_of(grant: PortalGrant) -> Principal:
    return Principal(subject=grant.subject, role=Role.USER, orgs=grant.orgs)


@dataclass(frozen=True, slots=True)
class HeldSubscription:
    subscription: Subscription
    tariff: Tariff
    renews: bool
    next_charge_at: datetime | None  # when the next renewal is charged (or asked for)
    next_amount: int | None
    action_needed: bool  # past due: the customer can pay now
    cards: list[PaymentMethod]  # the holder's cards to pay with, the default first
    renewal_card: PaymentMethod | None  # the card renewals charge
    payable_on_page: bool  # without a card too: on its provider's page


@dataclass(frozen=True, slots=True)
class Overview:
    subscriptions: list[HeldSubscription]
    invoices: list[Invoice]
    methods: list[PaymentMethod]
    receipts: dict[str, str]  # an invoice's payment → its fiscal receipt's check link
    renews_with: dict[str, list[str]]  # a card → the tariffs whose renewals charge it


def link(
    rt: Runtime,
    principal: Principal,
    user_id: str | None,
    return_url: str | None,
    language: str | None = None,
) -> tuple[str, datetime]:
    """A signed, expiring link to the portal for the caller (a service names the user), in
    `language` when the caller knows the customer's."""
    subject = access.acting_for(principal, user_id, "a portal session")
    orgs = [] if principal.is_privileged else sorted(principal.orgs)
    token, expires = mint_portal_token(
        rt.settings.signing_key, subject, orgs=orgs, return_url=return_url, expires_in=LINK_LIFETIME
    )
    url = f"{rt.settings.public_url.rstrip('/')}/portal/enter?token={token}"
    return url + (f"&lang={language}" if language else ""), expires


async def overview(rt: Runtime, grant: PortalGrant) -> Overview:
    mine = (Subscription.user_id == grant.subject) & Subscription.organization_id.is_(None)
    theirs = or_(mine, Subscription.organization_id.in_(list(grant.orgs)))
    cards = (PaymentMethod.user_id == grant.subject) & PaymentMethod.organization_id.is_(None)
    async with rt.db.transaction() as session:
        policy = billing_policy(session)
        every_card = (
            await session.execute(
                select(PaymentMethod)
                .where(
                    or_(cards, PaymentMethod.organization_id.in_(list(grant.orgs))),
                    PaymentMethod.detached_at.is_(None),
                )
                .order_by(PaymentMethod.is_default.desc(), PaymentMethod.created_at.desc())
            )
        ).scalars()
        usable = list(every_card)
        renews_with: dict[str, list[str]] = {}
        rows = await session.execute(
            select(Subscription, Tariff)
            .join(Tariff, Tariff.id == Subscription.tariff_id)
            .where(theirs)
            .order_by(Subscription.created_at.desc())
        )
        held = []
        for sub, tariff in rows:
            renews = billing.renews(sub, tariff)
            # the price the next renewal will charge, at the time it will be charged
            charged_at = _next_charge(sub, policy) or sub.current_period_end
            discount = await promo_codes.discount_for_renewal(
                session, sub.promo_code, tariff, charged_at
            )
            held_cards = [m for m in usable if holds(sub, m)]
            renewal_card = next((m for m in held_cards if m.id == sub.payment_method_id), None)
            if renewal_card is not None and renews:
                renews_with.setdefault(renewal_card.id, []).append(tariff.name)
            held.append(
                HeldSubscription(
                    subscription=sub,
                    tariff=tariff,
                    renews=renews,
                    next_charge_at=_next_charge(sub, policy) if renews else None,
                    next_amount=tariff.amount - discount if renews else None,
                    action_needed=sub.status == "past_due",
                    cards=held_cards,
                    renewal_card=renewal_card,
                    payable_on_page=sub.provider is not None,
                )
            )
        invoices = await session.execute(
            select(Invoice)
            .where(Invoice.user_id == grant.subject)
            .order_by(Invoice.issued_at.desc())
            .limit(50)
        )
        methods = await session.execute(
            select(PaymentMethod)
            .where(cards, PaymentMethod.detached_at.is_(None))
            .order_by(PaymentMethod.created_at.desc())
        )
        listed = list(invoices.scalars())
        receipts = {}
        for invoice in listed:
            for receipt in await fiscal_receipts.of_payment(session, invoice.payment_id):
                if receipt["kind"] == "sale" and receipt["qr_code_url"]:
                    receipts[invoice.payment_id] = str(receipt["qr_code_url"])
        return Overview(held, listed, list(methods.scalars()), receipts, renews_with)


def _next_charge(sub: Subscription, policy: BillingPolicy) -> datetime | None:
    """A past-due renewal is tried again on the dunning schedule; else the lead time
    before the period ends."""
    if sub.status == "past_due":
        return sub.next_attempt_at
    return sub.current_period_end - policy.lead


async def pay_now(
    rt: Runtime,
    grant: PortalGrant,
    subscription_id: str,
    method_id: str | None,
    *,
    attempt: str,
    keep_card: bool,
) -> Payment:
    """A past-due renewal paid now with the card the customer chose (charged at once), or
    without one, the payment to pay on its provider's page (`kassa.services.billing.pay_now`)."""
    return await paying.pay_now(
        rt,
        principal_of(grant),
        subscription_id,
        method_id,
        attempt=attempt,
        keep_card=keep_card,
        return_url=grant.return_url,
    )
