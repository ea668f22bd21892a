"""Promo codes: created by admins (kept in capitals), applied at purchase in any case.

A purchase reserves one redemption in a single conditional UPDATE (active, not expired,
below `max_redemptions`), so a limited code is never over-redeemed however many customers
race for it; a payment that fails or is cancelled gives its redemption back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kassa.core.runtime import Runtime
from kassa.core.security import Principal
from kassa.db.models import PromoCode, Tariff
from kassa.domain.billing import Discount
from kassa.domain.errors import ValidationFailed
from kassa.domain.money import MoneyError, normalise_currency
from kassa.services import access
from kassa.services.pagination import PageParams, paginate


@dataclass(frozen=True, slots=True)
class Applied:
    code: str
    discount: int  # minor units off the price


def discount_of(promo: PromoCode) -> Discount:
    return Discount(
        percent_off=promo.percent_off, amount_off=promo.amount_off, currency=promo.currency
    )


async def create(rt: Runtime, principal: Principal, fields: dict[str, Any]) -> PromoCode:
    access.ensure_admin(principal)
    if fields.get("currency"):
        try:
            fields["currency"] = normalise_currency(fields["currency"])
        except MoneyError as exc:
            raise ValidationFailed(str(exc)) from exc
    promo = PromoCode(**{**fields, "code": fields["code"].upper()}, redeemed=0)
    try:
        async with rt.db.transaction() as session:
            unknown = set(promo.tariff_ids) - set(
                (
                    await session.execute(select(Tariff.id).where(Tariff.id.in_(promo.tariff_ids)))
                ).scalars()
            )
            if unknown:
                raise ValidationFailed(f"tariff_ids: no tariff {sorted(unknown)[0]!r}")
            session.add(promo)
    except IntegrityError as exc:
        raise ValidationFailed(f"promo code {promo.code!r} exists already") from exc
    return promo


async def list_codes(
    rt: Runtime, principal: Principal, page: PageParams
) -> tuple[list[PromoCode], int]:
    access.ensure_admin(principal)
    query = select(PromoCode).order_by(PromoCode.created_at.desc(), PromoCode.code)
    async with rt.db.transaction() as session:
        return await paginate(session, query, page)


async def reserve(
    rt: Runtime, code: str, tariff: Tariff, amount: int, currency: str, now: datetime
) -> Applied:
    """One redemption of `code` for a purchase of `tariff`, taken now; 422 when the code is
    unknown, expired, used up, meant for other tariffs, or takes nothing off this price.
    Codes are matched whatever their case, as customers type them."""
    code = code.strip().upper()
    async with rt.db.transaction() as session:
        promo = await session.get(PromoCode, code)
        if promo is None or not promo.is_active:
            raise ValidationFailed("promo_code: no such promo code")
        if promo.tariff_ids and tariff.id not in promo.tariff_ids:
            raise ValidationFailed("promo_code: this code is not valid for this tariff")
        cut = discount_of(promo).off(amount, currency)
        if cut <= 0:
            raise ValidationFailed(f"promo_code: this code gives nothing off a {currency} price")
        taken = await session.execute(
            update(PromoCode)
            .where(
                PromoCode.code == code,
                PromoCode.is_active.is_(True),
                or_(PromoCode.expires_at.is_(None), PromoCode.expires_at > now),
                or_(
                    PromoCode.max_redemptions.is_(None),
                    PromoCode.redeemed < PromoCode.max_redemptions,
                ),
            )
            .values(redeemed=PromoCode.redeemed + 1)
        )
        if not getattr(taken, "rowcount", 0):
            raise ValidationFailed("promo_code: this code has expired or been used up")
    return Applied(code=code, discount=cut)


async def release(session: AsyncSession, code: str) -> None:
    """A reservation given back (its payment failed or was cancelled)."""
    await session.execute(
        update(PromoCode)
        .where(PromoCode.code == code, PromoCode.redeemed > 0)
        .values(redeemed=PromoCode.redeemed - 1)
    )


async def discount_for_renewal(
    session: AsyncSession, code: str | None, amount: int, currency: str
) -> int:
    """An every-period code keeps giving its discount at renewals while it stays active
    (its redemption was counted once, at the purchase)."""
    if not code:
        return 0
    promo = await session.get(PromoCode, code)
    if promo is None or not promo.is_active or promo.applies_to != "every_period":
        return 0
    return discount_of(promo).off(amount, currency)
