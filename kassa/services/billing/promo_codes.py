"""Promo codes: created by admins (kept in capitals), applied at purchase in any case.

A purchase reserves one redemption in a single conditional UPDATE (active, not expired,
below `max_redemptions`), which holds the code's row until the purchase's transaction ends:
every reservation and release of one code take turns on that row, so the customer's live
redemptions counted after it are exact, and neither `max_redemptions` nor
`max_per_customer` is exceeded however many requests race. A payment gives its redemption
back once it can no longer be paid: failed for good, cancelled, or left unpaid past
PROMO_RESERVATION_MINUTES (the reconciler expires it). An every-period code discounts a
renewal only while it is active, unexpired and meant for the tariff renewed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kassa.core.security import Principal
from kassa.db.base import utcnow
from kassa.db.models import PromoCode, PromoRedemption, Tariff
from kassa.db.pagination import paginate
from kassa.domain.billing import Discount
from kassa.domain.errors import ValidationFailed
from kassa.domain.money import MoneyError, normalise_currency
from kassa.domain.paging import PageParams
from kassa.runtime import Runtime
from kassa.services.accounts import access


@dataclass(frozen=True, slots=True)
class Applied:
    code: str
    discount: int  # minor units off the price


def discount_of(promo: PromoCode) -> Discount:
    return Discount(
        percent_off=promo.percent_off, amount_off=promo.amount_off, currency=promo.currency
    )


async def create(rt: Runtime, principal: Principal, fields: dict[str, Any]) -> PromoCode:
    """`max_per_customer` left out: one purchase each with a first-period code, no limit
    with an every-period one (a given None is no limit for either)."""
    access.ensure_admin(principal)
    if "max_per_customer" not in fields:
        first = fields.get("applies_to", "first_period") == "first_period"
        fields = {**fields, "max_per_customer": 1 if first else None}
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
    rt: Runtime,
    code: str,
    tariff: Tariff,
    amount: int,
    currency: str,
    now: datetime,
    owner: str,
) -> Applied:
    """One redemption of `code` for `owner`'s purchase of `tariff`, taken now; 422 when the
    code is unknown, expired, used up, meant for other tariffs, takes nothing off this
    price, or `owner` (`customers.owner_of`) holds as many as it allows a customer.
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
        # the row is held now: a racing purchase of the same customer waits here, and then
        # counts this one's redemption (each statement reads what is committed)
        limit = promo.max_per_customer
        if limit is not None and await _held_by(session, code, owner) >= limit:
            raise ValidationFailed("promo_code: this code has been used by this customer")
        session.add(PromoRedemption(code=code, owner=owner, created_at=utcnow()))
    return Applied(code=code, discount=cut)


async def _held_by(session: AsyncSession, code: str, owner: str) -> int:
    live = await session.scalar(
        select(func.count())
        .select_from(PromoRedemption)
        .where(
            PromoRedemption.code == code,
            PromoRedemption.owner == owner,
            PromoRedemption.released_at.is_(None),
        )
    )
    return int(live or 0)


async def release(session: AsyncSession, code: str, owner: str) -> None:
    """A reservation given back: its payment can no longer be paid. The code's row is taken
    first, as `reserve` takes it, so releases of one customer's redemptions never pick the
    same one."""
    await session.execute(
        update(PromoCode)
        .where(PromoCode.code == code)
        .values(redeemed=case((PromoCode.redeemed > 0, PromoCode.redeemed - 1), else_=0))
        .execution_options(synchronize_session=False)
    )
    newest = (
        select(PromoRedemption.id)
        .where(
            PromoRedemption.code == code,
            PromoRedemption.owner == owner,
            PromoRedemption.released_at.is_(None),
        )
        .order_by(PromoRedemption.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    await session.execute(
        update(PromoRedemption)
        .where(PromoRedemption.id == newest)
        .values(released_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def renews_with(promo: PromoCode, tariff: Tariff, now: datetime) -> bool:
    """Whether an every-period code still discounts a renewal of `tariff` at `now`: active,
    unexpired and meant for that tariff (a subscription may have changed tariff since)."""
    return (
        promo.is_active
        and promo.applies_to == "every_period"
        and (not promo.tariff_ids or tariff.id in promo.tariff_ids)
        and (promo.expires_at is None or now < promo.expires_at)
    )


async def discount_for_renewal(
    session: AsyncSession, code: str | None, tariff: Tariff, now: datetime
) -> int:
    """What an every-period code takes off a renewal of `tariff` charged at billing time
    `now` (its redemption was counted once, at the purchase); 0 once it no longer applies."""
    if not code:
        return 0
    promo = await session.get(PromoCode, code)
    if promo is None or not renews_with(promo, tariff, now):
        return 0
    return discount_of(promo).off(tariff.amount, tariff.currency)
