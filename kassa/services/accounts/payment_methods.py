"""Saved payment methods: attached and detached through the provider, one default per owner.

The owner is the user, or the organisation when the card is saved for one (its members may
see and use it). Another owner's method does not exist for the caller.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import Select, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kassa.core.logging import get_logger
from kassa.core.security import Principal
from kassa.db.base import utcnow
from kassa.db.models import Payment, PaymentMethod, Subscription, new_id
from kassa.db.session_info import secret_box
from kassa.db.sql import insert_ignore
from kassa.domain.errors import NotFound, ProviderError, ValidationFailed
from kassa.domain.updates import SavedMethod
from kassa.providers.base import (
    MethodDetails,
    MethodVault,
    NotConfigured,
    ProviderFailure,
    provides,
)
from kassa.runtime import Runtime
from kassa.services.accounts import access, customers

log = get_logger(__name__)


def _vault(rt: Runtime, provider: str) -> MethodVault:
    if not rt.providers.has(provider):
        raise ValidationFailed(f"provider {provider!r} is not enabled on this kassa")
    try:
        vault = rt.providers.get(provider)
    except NotConfigured as exc:
        raise ValidationFailed(exc.message) from exc
    if not provides(vault, MethodVault):
        raise ValidationFailed(f"{provider} does not keep payment methods")
    return vault


def _owned_by(principal: Principal, method: PaymentMethod | None) -> PaymentMethod:
    if method is None or method.detached_at is not None:
        raise NotFound("payment method not found")
    if principal.is_privileged:
        return method
    if method.organization_id is not None:
        # an organisation's card belongs to its present members, not to whoever saved it
        if method.organization_id in principal.orgs:
            return method
    elif method.user_id == principal.subject:
        return method
    raise NotFound("payment method not found")


async def list_methods(
    rt: Runtime, principal: Principal, organization_id: str | None
) -> list[PaymentMethod]:
    query = (
        select(PaymentMethod)
        .where(PaymentMethod.detached_at.is_(None))
        .order_by(PaymentMethod.created_at.desc(), PaymentMethod.id)
    )
    if organization_id is not None:
        access.ensure_org_member(principal, organization_id)
        query = query.where(PaymentMethod.organization_id == organization_id)
    else:
        query = query.where(
            PaymentMethod.user_id == principal.subject, PaymentMethod.organization_id.is_(None)
        )
    async with rt.db.reading() as session:
        return list((await session.execute(query)).scalars())


async def attach(
    rt: Runtime, principal: Principal, provider: str, token: str, organization_id: str | None
) -> PaymentMethod:
    if organization_id is not None:
        access.ensure_org_member(principal, organization_id)
    vault = _vault(rt, provider)
    try:
        owner = customers.owner_of(principal.subject, organization_id)
        customer = await customers.customer_for(rt, provider, vault, owner)
        card = await vault.attach_method(token, customer)
    except ProviderFailure as exc:
        if exc.created_nothing and not exc.retryable:
            raise ValidationFailed(exc.message) from exc
        raise ProviderError(f"{provider}: {exc.message}") from exc
    method = PaymentMethod(
        user_id=principal.subject,
        organization_id=organization_id,
        provider=provider,
        token=rt.box.seal(card.token),
        token_digest=hashlib.sha256(card.token.encode()).hexdigest(),
        brand=card.brand,
        last4=card.last4,
        exp_month=card.exp_month,
        exp_year=card.exp_year,
        is_default=False,
    )
    try:
        async with rt.db.transaction() as session:
            has_default = await session.scalar(_owner_query(method).where(PaymentMethod.is_default))
            method.is_default = has_default is None
            session.add(method)
    except IntegrityError as exc:
        raise ValidationFailed("this payment method is already saved") from exc
    return method


def _owner_query(method: PaymentMethod) -> Select[str]:
    query = select(PaymentMethod.id).where(PaymentMethod.detached_at.is_(None))
    if method.organization_id is not None:
        return query.where(PaymentMethod.organization_id == method.organization_id)
    return query.where(
        PaymentMethod.user_id == method.user_id, PaymentMethod.organization_id.is_(None)
    )


async def set_default(rt: Runtime, principal: Principal, method_id: str) -> PaymentMethod:
    async with rt.db.transaction() as session:
        method = _owned_by(
            principal, await session.get(PaymentMethod, method_id, with_for_update=True)
        )
        owner = PaymentMethod.organization_id == method.organization_id
        if method.organization_id is None:
            owner = (PaymentMethod.user_id == method.user_id) & PaymentMethod.organization_id.is_(
                None
            )
        await session.execute(update(PaymentMethod).where(owner).values(is_default=False))
        method.is_default = True
        await session.flush()
        return method


async def detach(rt: Runtime, principal: Principal, method_id: str) -> None:
    """Removed at the provider where it has an API for that (Stripe, Payme); a method a
    provider saved during a payment with no such API (YooKassa) is simply never charged
    again. Subscriptions renewing with it fall back to asking the customer."""
    async with rt.db.transaction() as session:
        method = _owned_by(principal, await session.get(PaymentMethod, method_id))
    try:
        vault = rt.providers.get(method.provider) if rt.providers.has(method.provider) else None
        if provides(vault, MethodVault):
            await vault.detach_method(rt.box.open(method.token))
    except ProviderFailure as exc:
        raise ProviderError(f"{method.provider}: {exc.message}") from exc
    async with rt.db.transaction() as session:
        row = await session.get(PaymentMethod, method_id, with_for_update=True)
        if row is not None:
            row.detached_at = utcnow()
            row.is_default = False
            await session.execute(
                update(Subscription)
                .where(Subscription.payment_method_id == method_id)
                .values(payment_method_id=None)
            )


async def usable_method(
    rt: Runtime, principal: Principal, method_id: str, provider: str, user_id: str
) -> PaymentMethod:
    """A method the payer may charge: the payer's own, or their organisation's."""
    async with rt.db.transaction() as session:
        method = await session.get(PaymentMethod, method_id)
    if method is None or method.provider != provider or method.detached_at is not None:
        raise NotFound("payment method not found")
    mine = method.user_id == user_id and method.organization_id is None
    org = method.organization_id is not None and (
        principal.is_privileged or method.organization_id in principal.orgs
    )
    if not (mine or org):
        raise NotFound("payment method not found")
    return method


async def token_of(rt: Runtime, method_id: str | None) -> str | None:
    if method_id is None:
        return None
    async with rt.db.transaction() as session:
        method = await session.get(PaymentMethod, method_id)
    return rt.box.open(method.token) if method else None


async def keep_from_payment(
    session: AsyncSession, payment: Payment, saved: SavedMethod
) -> str | None:
    """The method a payment was made with and asked to keep (`save_payment_method`), saved
    for its payer once, whichever of the provider's signals says so first; its id. None
    when kassa keeps that method for another payer: a provider's method belongs to one
    customer, and a signal saying otherwise must not let this payer's renewals charge it."""
    digest = hashlib.sha256(saved.token.encode()).hexdigest()
    await insert_ignore(
        session,
        PaymentMethod.__table__,  # type: ignore[arg-type]
        {
            "id": new_id("pm"),
            "user_id": payment.user_id,
            "organization_id": payment.organization_id,
            "provider": payment.provider,
            "token": secret_box(session).seal(saved.token),
            "token_digest": digest,
            "brand": saved.brand,
            "last4": saved.last4,
            "exp_month": saved.exp_month,
            "exp_year": saved.exp_year,
            "is_default": False,
            "created_at": utcnow(),
        },
    )
    method = (
        await session.execute(
            select(PaymentMethod).where(
                PaymentMethod.provider == payment.provider, PaymentMethod.token_digest == digest
            )
        )
    ).scalar_one()
    owner = customers.owner_of(payment.user_id, payment.organization_id)
    if customers.owner_of(method.user_id, method.organization_id) != owner:
        log.warning("payment_method.of_another_payer", payment_id=payment.id, method_id=method.id)
        return None
    has_default = await session.scalar(_owner_query(method).where(PaymentMethod.is_default))
    if has_default is None and method.detached_at is None:
        method.is_default = True
    return method.id


async def describe_saved(rt: Runtime, batch: int = 20) -> int:
    """Saved methods whose card kassa has not seen yet (a Stripe event names only the
    PaymentMethod, and describing it at once failed): their brand, last digits and expiry,
    asked of the provider outside any transaction. A provider that cannot answer is asked
    again later."""
    async with rt.db.transaction() as session:
        rows = list(
            (
                await session.execute(
                    select(PaymentMethod)
                    .where(PaymentMethod.last4.is_(None), PaymentMethod.detached_at.is_(None))
                    .order_by(PaymentMethod.created_at)
                    .limit(batch)
                )
            ).scalars()
        )
    described = 0
    for method in rows:
        if await _describe(rt, method.id, method.provider, rt.box.open(method.token)):
            described += 1
    return described


async def describe_now(rt: Runtime, provider: str, token: str) -> None:
    """The card of a method a payment has just saved, when the provider's signal named only
    the method: asked of the provider at once (outside the payment's transaction), so the
    customer's saved card shows its brand and last digits right after paying. A provider
    that cannot answer now is asked again by `describe_saved`."""
    digest = hashlib.sha256(token.encode()).hexdigest()
    async with rt.db.transaction() as session:
        method_id = await session.scalar(
            select(PaymentMethod.id).where(
                PaymentMethod.provider == provider,
                PaymentMethod.token_digest == digest,
                PaymentMethod.last4.is_(None),
            )
        )
    if method_id is not None:
        await _describe(rt, method_id, provider, token)


async def _describe(rt: Runtime, method_id: str, provider_name: str, token: str) -> bool:
    """The card behind a saved method, asked of its provider and kept; False when the
    provider could not answer (nothing kept: asked again later)."""
    card = SavedMethod(token="", last4="")  # nothing to show, and nothing more to ask
    try:
        known = rt.providers.has(provider_name)
        provider = rt.providers.get(provider_name) if known else None
        if provides(provider, MethodDetails):
            card = await provider.describe_method(token)
    except ProviderFailure as exc:
        log.info("payment_method.not_described", method_id=method_id, reason=exc.message)
        return False
    async with rt.db.transaction() as session:
        await session.execute(
            update(PaymentMethod)
            .where(PaymentMethod.id == method_id, PaymentMethod.last4.is_(None))
            .values(
                brand=card.brand,
                last4=card.last4 or "",
                exp_month=card.exp_month,
                exp_year=card.exp_year,
            )
        )
    return True
