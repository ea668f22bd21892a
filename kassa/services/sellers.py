"""Sellers: who an invoice says sold — a shop's own details, else the default seller's,
else INVOICE_SELLER's name alone. Edited by admins (API and admin UI)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kassa.core.runtime import Runtime
from kassa.core.security import Principal
from kassa.db.base import utcnow
from kassa.db.models import Seller
from kassa.services import access

DEFAULT = ""  # the key of the seller for shops without their own
FIELDS = ("legal_name", "address", "tax_id", "tax_id_kind", "bank_details", "email", "phone")


async def for_shop(session: AsyncSession, shop_id: str | None, fallback_name: str) -> Seller:
    keys = [shop_id, DEFAULT] if shop_id else [DEFAULT]
    rows = {
        row.key: row
        for row in (await session.execute(select(Seller).where(Seller.key.in_(keys)))).scalars()
    }
    for key in keys:
        if key in rows:
            return rows[key]
    return Seller(key=DEFAULT, legal_name=fallback_name)


async def list_sellers(rt: Runtime, principal: Principal) -> list[Seller]:
    access.ensure_admin(principal)
    async with rt.db.reading() as session:
        return list((await session.execute(select(Seller).order_by(Seller.key))).scalars())


async def put(rt: Runtime, principal: Principal, key: str, fields: dict[str, Any]) -> Seller:
    """Create or replace the seller for `key` (a shop's id, or DEFAULT)."""
    access.ensure_admin(principal)
    values = {name: fields.get(name) for name in FIELDS}
    async with rt.db.transaction() as session:
        seller = await session.get(Seller, key, with_for_update=True)
        if seller is None:
            seller = Seller(key=key, **values)
            session.add(seller)
        else:
            for name, value in values.items():
                setattr(seller, name, value)
        seller.updated_at = utcnow()
        await session.flush()
        return seller
