"""Shop configurations (merchants): which provider account, BIN and device a shop pays
through. Device tokens and credentials are write-only: sealed at rest, masked on every
read, never logged; every change is an audit record (without the secrets)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, select

from kassa.core.context import Actor
from kassa.core.crypto import mask
from kassa.core.security import Principal
from kassa.db.base import utcnow
from kassa.db.models import Merchant, Payment
from kassa.db.pagination import paginate
from kassa.domain.errors import NotFound, ValidationFailed
from kassa.domain.merchants import InvalidMerchant, check_bin, check_device_token
from kassa.domain.paging import PageParams
from kassa.providers import plugins
from kassa.providers.base import Credentials
from kassa.runtime import Runtime
from kassa.services.ops import audit


@dataclass(frozen=True, slots=True)
class MerchantFields:
    provider: str | None = None
    organization_bin: str | None = None
    device_token: str | None = None
    credentials: dict[str, str] | None = None
    is_active: bool | None = None
    description: str | None = None


def _apply(rt: Runtime, merchant: Merchant, fields: MerchantFields, present: set[str]) -> None:
    try:
        if "provider" in present and fields.provider is not None:
            merchant.provider = fields.provider
        if "organization_bin" in present:
            merchant.organization_bin = (
                check_bin(fields.organization_bin) if fields.organization_bin else None
            )
        if "device_token" in present:
            token = check_device_token(fields.device_token) if fields.device_token else None
            merchant.device_token = rt.box.seal(token) if token else None
            merchant.device_token_prefix = mask(token)
        if "credentials" in present:
            creds = {k: v for k, v in (fields.credentials or {}).items() if v}
            merchant.credentials = rt.box.seal(json.dumps(creds)) if creds else None
            merchant.credential_prefixes = {k: mask(v) or "" for k, v in creds.items()}
        if "is_active" in present and fields.is_active is not None:
            merchant.is_active = fields.is_active
        if "description" in present:
            merchant.description = fields.description
    except InvalidMerchant as exc:
        raise ValidationFailed(str(exc)) from exc
    declared = plugins.plugin(merchant.provider)
    if declared is not None and declared.needs_organization_bin and not merchant.organization_bin:
        raise ValidationFailed(f"a {merchant.provider} shop needs its organization_bin")


def _record(
    rt: Runtime,
    session: Any,
    principal: Principal,
    merchant: Merchant,
    change: str,
    present: set[str],
) -> None:
    audit.record(
        session,
        actor=Actor(principal.key),
        operation="config",
        shop_id=merchant.shop_id,
        organization_bin=merchant.organization_bin,
        provider=merchant.provider,
        status="active" if merchant.is_active else "inactive",
        details={"change": change, "fields": sorted(present)},
    )


async def create_merchant(
    rt: Runtime, principal: Principal, shop_id: str, fields: MerchantFields, present: set[str]
) -> Merchant:
    merchant = Merchant(
        shop_id=shop_id, provider=fields.provider, is_active=True, credential_prefixes={}
    )
    _apply(rt, merchant, fields, present)
    async with rt.db.transaction() as session:
        if await session.get(Merchant, shop_id) is not None:
            raise ValidationFailed(f"shop {shop_id!r} already exists")
        session.add(merchant)
        await session.flush()
        _record(rt, session, principal, merchant, "create", present)
    return merchant


async def update_merchant(
    rt: Runtime, principal: Principal, shop_id: str, fields: MerchantFields, present: set[str]
) -> Merchant:
    async with rt.db.transaction() as session:
        merchant = await session.get(Merchant, shop_id, with_for_update=True)
        if merchant is None:
            raise NotFound("shop not found")
        _apply(rt, merchant, fields, present)
        merchant.updated_at = utcnow()
        await session.flush()
        _record(rt, session, principal, merchant, "update", present)
        return merchant


async def delete_merchant(rt: Runtime, principal: Principal, shop_id: str) -> None:
    """A shop that payments refer to is deactivated, never erased."""
    async with rt.db.transaction() as session:
        merchant = await session.get(Merchant, shop_id, with_for_update=True)
        if merchant is None:
            raise NotFound("shop not found")
        used = await session.scalar(select(exists().where(Payment.shop_id == shop_id)))
        _record(rt, session, principal, merchant, "deactivate" if used else "delete", set())
        if used:
            merchant.is_active = False
        else:
            await session.delete(merchant)


async def get_merchant(rt: Runtime, shop_id: str) -> Merchant:
    async with rt.db.transaction() as session:
        merchant = await session.get(Merchant, shop_id)
    if merchant is None:
        raise NotFound("shop not found")
    return merchant


async def list_merchants(
    rt: Runtime, provider: str | None, page: PageParams
) -> tuple[list[Merchant], int]:
    query = select(Merchant).order_by(Merchant.created_at.desc(), Merchant.shop_id)
    if provider:
        query = query.where(Merchant.provider == provider)
    async with rt.db.transaction() as session:
        return await paginate(session, query, page)


async def credentials_for(rt: Runtime, provider: str, shop_id: str | None) -> Credentials:
    """The shop's credentials over the provider's settings; an unknown, inactive or
    mismatched shop is refused before any provider is called."""
    defaults = rt.providers.default_credentials(provider)
    if shop_id is None:
        return defaults
    async with rt.db.transaction() as session:
        merchant = await session.get(Merchant, shop_id)
    if merchant is None:
        raise ValidationFailed(f"unknown shop {shop_id!r}")
    if not merchant.is_active:
        raise ValidationFailed(f"shop {shop_id!r} is inactive")
    if merchant.provider != provider:
        raise ValidationFailed(f"shop {shop_id!r} pays through {merchant.provider}, not {provider}")
    values = dict(defaults.values)
    if merchant.credentials:
        values.update(json.loads(rt.box.open(merchant.credentials)))
    return Credentials(
        values=values,
        shop_id=shop_id,
        organization_bin=merchant.organization_bin or defaults.organization_bin,
        device_token=rt.box.open(merchant.device_token)
        if merchant.device_token
        else defaults.device_token,
    )


async def default_shop(rt: Runtime, provider: str) -> str | None:
    """DEFAULT_SHOP_ID, for payments of that shop's provider that name no shop."""
    shop_id = rt.settings.default_shop_id
    if not shop_id:
        return None
    async with rt.db.transaction() as session:
        merchant = await session.get(Merchant, shop_id)
    return shop_id if merchant is not None and merchant.provider == provider else None
