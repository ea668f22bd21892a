"""Sellers: who an invoice says sold — a shop's own details, else the default seller's,
else INVOICE_SELLER's name alone. Edited by admins (API and admin UI). Each seller numbers
its documents in its own series (its code in the numbers, fixed once set) and dates them in
its time zone; a document keeps the seller as it was when issued (kassa.domain.documents)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kassa.core.security import Principal
from kassa.db.base import utcnow
from kassa.db.models import Seller
from kassa.domain.documents import (
    DEFAULT_TIME_ZONE,
    SELLER_FIELDS,
    SERIES,
    is_time_zone,
    seller_of,
    series_for,
)
from kassa.domain.errors import InvalidState, ValidationFailed
from kassa.runtime import Runtime
from kassa.services.accounts import access

DEFAULT = ""  # the key of the seller for shops without their own
FIELDS = ("legal_name", "address", "tax_id", "tax_id_kind", "bank_details", "email", "phone")


def as_kept(seller: Seller) -> dict[str, Any]:
    """The seller as a document issued now keeps it."""
    return seller_of(seller.key, {name: getattr(seller, name) for name in SELLER_FIELDS})


async def kept_for_shop(session: AsyncSession, shop_id: str | None) -> tuple[str, dict[str, Any]]:
    """The seller of a payment in `shop_id` (its key, whose series numbers the document),
    as a document issued now keeps it; none set: the default's key, INVOICE_SELLER's name."""
    keys = [shop_id, DEFAULT] if shop_id else [DEFAULT]
    rows = {
        row.key: row
        for row in (await session.execute(select(Seller).where(Seller.key.in_(keys)))).scalars()
    }
    for key in keys:
        if key in rows:
            return key, as_kept(rows[key])
    return DEFAULT, seller_of(DEFAULT, None)


async def list_sellers(rt: Runtime, principal: Principal) -> list[Seller]:
    access.ensure_admin(principal)
    async with rt.db.reading() as session:
        return list((await session.execute(select(Seller).order_by(Seller.key))).scalars())


async def put(rt: Runtime, principal: Principal, key: str, fields: dict[str, Any]) -> Seller:
    """Create or replace the seller for `key` (a shop's id, or DEFAULT). `series` and
    `time_zone` left out keep what the seller has (a new one: a series made from its key,
    UTC)."""
    access.ensure_admin(principal)
    values = {name: fields.get(name) for name in FIELDS}
    series, time_zone = fields.get("series"), fields.get("time_zone")
    if series is not None and not SERIES.match(series):
        raise ValidationFailed("a series is 1 to 10 capital letters and digits, a letter first")
    if time_zone is not None and not is_time_zone(time_zone):
        raise ValidationFailed(f"{time_zone!r} is not a time zone (an IANA name: Asia/Tashkent)")
    try:
        async with rt.db.transaction() as session:
            if time_zone is not None:
                await _known_to_the_database(session, time_zone)
            seller = await session.get(Seller, key, with_for_update=True)
            if seller is None:
                seller = Seller(key=key, time_zone=DEFAULT_TIME_ZONE, **values)
                session.add(seller)
            else:
                for name, value in values.items():
                    setattr(seller, name, value)
            await _set_series(session, seller, series)
            if time_zone is not None:
                seller.time_zone = time_zone
            seller.updated_at = utcnow()
            await session.flush()
            return seller
    except IntegrityError as exc:  # another seller took the series meanwhile
        raise InvalidState("another seller took that series meanwhile: try again") from exc


async def _set_series(session: AsyncSession, seller: Seller, series: str | None) -> None:
    """A series is fixed once set: numbers already issued carry it, and no other seller
    may ever number with it. A shop's seller always has one; the default may have none."""
    if series is None:
        if seller.series is None and seller.key != DEFAULT:
            taken = {s for s in (await session.execute(select(Seller.series))).scalars() if s}
            seller.series = series_for(seller.key, taken)
        return
    if seller.series is not None and seller.series != series:
        raise InvalidState(f"the seller's series is {seller.series}: it does not change")
    owner = await session.scalar(select(Seller.key).where(Seller.series == series))
    if owner is not None and owner != seller.key:
        raise InvalidState(f"the series {series!r} is another seller's")
    seller.series = series


async def _known_to_the_database(session: AsyncSession, time_zone: str) -> None:
    """PostgreSQL dates a document's number itself (the year is taken in the statement that
    takes the number), so it must know the zone as well."""
    if session.get_bind().dialect.name != "postgresql":
        return
    known = await session.scalar(
        text("SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = :name)"),
        {"name": time_zone},
    )
    if not known:
        raise ValidationFailed(f"the database does not know the time zone {time_zone!r}")
