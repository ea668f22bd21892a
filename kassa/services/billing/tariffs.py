"""Tariffs: the plans users buy. A tariff that payments refer to is never erased."""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, select

from kassa.core.security import Principal
from kassa.db.base import utcnow
from kassa.db.models import Payment, Tariff
from kassa.db.pagination import paginate
from kassa.domain.errors import NotFound, ValidationFailed
from kassa.domain.money import MoneyError, normalise_currency
from kassa.domain.paging import PageParams
from kassa.runtime import Runtime
from kassa.services.accounts import access


def _visible(principal: Principal | None, tariff: Tariff | None) -> Tariff:
    if tariff is None or (not tariff.is_active and not (principal and principal.is_admin)):
        raise NotFound("tariff not found")
    return tariff


def _currency(code: str) -> str:
    try:
        return normalise_currency(code)
    except MoneyError as exc:
        raise ValidationFailed(str(exc)) from exc


async def list_tariffs(
    rt: Runtime, principal: Principal | None, page: PageParams
) -> tuple[list[Tariff], int]:
    query = select(Tariff).order_by(Tariff.created_at.desc(), Tariff.id.desc())
    if not (principal and principal.is_admin):
        query = query.where(Tariff.is_active.is_(True))
    async with rt.db.transaction() as session:
        return await paginate(session, query, page)


async def get_tariff(rt: Runtime, principal: Principal | None, tariff_id: str) -> Tariff:
    async with rt.db.transaction() as session:
        return _visible(principal, await session.get(Tariff, tariff_id))


async def create_tariff(rt: Runtime, principal: Principal, fields: dict[str, Any]) -> Tariff:
    access.ensure_admin(principal)
    tariff = Tariff(**{**fields, "currency": _currency(fields["currency"])})
    async with rt.db.transaction() as session:
        session.add(tariff)
    return tariff


async def update_tariff(
    rt: Runtime, principal: Principal, tariff_id: str, changes: dict[str, Any]
) -> Tariff:
    access.ensure_admin(principal)
    if "currency" in changes:
        changes["currency"] = _currency(changes["currency"])
    async with rt.db.transaction() as session:
        tariff = await session.get(Tariff, tariff_id, with_for_update=True)
        if tariff is None:
            raise NotFound("tariff not found")
        for name, value in changes.items():
            setattr(tariff, name, value)
        tariff.updated_at = utcnow()
        await session.flush()
        return tariff


async def delete_tariff(rt: Runtime, principal: Principal, tariff_id: str) -> None:
    access.ensure_admin(principal)
    async with rt.db.transaction() as session:
        tariff = await session.get(Tariff, tariff_id, with_for_update=True)
        if tariff is None:
            raise NotFound("tariff not found")
        referenced = await session.scalar(select(exists().where(Payment.tariff_id == tariff_id)))
        if referenced:
            tariff.is_active = False
            tariff.updated_at = utcnow()
        else:
            await session.delete(tariff)
