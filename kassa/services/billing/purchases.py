"""Buying a tariff: the price after any promo code, then a tariff payment like any other."""

from __future__ import annotations

from dataclasses import dataclass

from kassa.core.security import Principal
from kassa.db.models import Payment
from kassa.domain.errors import Forbidden, NotFound, ValidationFailed
from kassa.runtime import Runtime
from kassa.services.accounts import access
from kassa.services.accounts.customers import owner_of
from kassa.services.billing import clock, promo_codes, tariffs
from kassa.services.billing import lifecycle as billing
from kassa.services.ops.idempotency import KeptAnswer
from kassa.services.payments.service import NewPayment, create_payment


@dataclass(frozen=True, slots=True)
class PurchaseRequest:
    provider: str
    user_id: str | None = None
    organization_id: str | None = None
    shop_id: str | None = None
    phone: str | None = None
    return_url: str | None = None
    payment_method_id: str | None = None
    save_payment_method: bool = False
    promo_code: str | None = None
    email: str | None = None
    idempotency_key: str | None = None


async def purchase(
    rt: Runtime,
    principal: Principal,
    tariff_id: str,
    request: PurchaseRequest,
    keeper: KeptAnswer | None = None,
) -> Payment:
    """A promo code's redemption is reserved first, for the payer (an organisation, else the
    user), and given back if the payment is never made (refused before it is recorded, or
    failed, cancelled or expired later: see `effects`).
    `keeper`: the request's Idempotency-Key (`create_payment`), claimed before a
    redemption is reserved: that is written before the payment."""
    tariff = await tariffs.get_tariff(rt, principal, tariff_id)
    holder = access.acting_for(principal, request.user_id, "a payment")
    async with rt.db.reading() as session:
        await billing.ensure_convertible(session, owner_of(holder, request.organization_id), tariff)
    applied = None
    payer = owner_of(holder, request.organization_id)
    if request.promo_code:
        if keeper is not None:
            await keeper.claim()
        async with rt.db.transaction() as session:
            now = await clock.billing_now(session)
        applied = await promo_codes.reserve(
            rt, request.promo_code, tariff, tariff.amount, tariff.currency, now, payer
        )
    discount = applied.discount if applied else 0
    try:
        return await create_payment(
            rt,
            principal,
            NewPayment(
                provider=request.provider,
                amount=tariff.amount - discount,
                currency=tariff.currency,
                purpose="tariff",
                tariff_id=tariff.id,
                organization_id=request.organization_id,
                user_id=request.user_id,
                shop_id=request.shop_id,
                phone=request.phone,
                description=tariff.name,
                return_url=request.return_url,
                idempotency_key=request.idempotency_key,
                payment_method_id=request.payment_method_id,
                save_payment_method=request.save_payment_method,
                promo_code=applied.code if applied else None,
                discount_amount=discount,
                email=request.email,
            ),
            keeper,
        )
    except (ValidationFailed, NotFound, Forbidden):
        # refused before any payment was written: the redemption was never used
        if applied is not None:
            async with rt.db.transaction() as session:
                await promo_codes.release(session, applied.code, payer)
        raise
