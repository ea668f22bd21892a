"""Shop configurations (merchants): which provider account a shop pays through. Its
credentials are write-only: sealed at rest, masked on every read, never logged; every
change is an audit record (without the secrets). A shop's BIN and device token (the
Merchant API's `organization_bin` and `device_token`) are credentials like the others,
sealed with them; reads show the BIN whole and the token masked, as the API always has."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
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


# The credentials the Merchant API takes and shows as fields of their own: their rule, and
# what reads show of them (the BIN whole, as payments and audit records carry it; the device
# token masked, as every other credential).
OWN_FIELDS: dict[str, Callable[[str], str]] = {
    "organization_bin": check_bin,
    "device_token": check_device_token,
}
SHOWN_WHOLE = frozenset({"organization_bin"})


@dataclass(frozen=True, slots=True)
class Shop:
    """A shop's configuration as reads show it: its BIN whole, its device token and other
    credentials masked (`credential_prefixes`, by name), never a secret."""

    shop_id: str
    provider: str
    organization_bin: str | None
    device_token_prefix: str | None
    credential_prefixes: dict[str, str]
    is_active: bool
    description: str | None
    created_at: datetime
    updated_at: datetime


def opened(rt: Runtime, merchant: Merchant) -> dict[str, str]:
    """The shop's credentials, unsealed."""
    if not merchant.credentials:
        return {}
    found: dict[str, str] = json.loads(rt.box.open(merchant.credentials))
    return found


def shop_bin(merchant: Merchant) -> str | None:
    """The shop's BIN, as reads show it (no credential is unsealed)."""
    return (merchant.credential_prefixes or {}).get("organization_bin")


def shown(merchant: Merchant) -> Shop:
    """What reads show, from what the shop keeps for them: nothing is unsealed."""
    prefixes = merchant.credential_prefixes or {}
    return Shop(
        shop_id=merchant.shop_id,
        provider=merchant.provider,
        organization_bin=prefixes.get("organization_bin"),
        device_token_prefix=prefixes.get("device_token"),
        credential_prefixes={k: v for k, v in prefixes.items() if k not in OWN_FIELDS},
        is_active=merchant.is_active,
        description=merchant.description,
        created_at=merchant.created_at,
        updated_at=merchant.updated_at,
    )


def _credentials(
    rt: Runtime, merchant: Merchant, fields: MerchantFields, present: set[str]
) -> None:
    """The shop's credentials after the change, sealed again when any was given:
    `credentials` replaces the others, each own field (given, even as null) its own."""
    if not present & {"credentials", *OWN_FIELDS}:
        return
    values = opened(rt, merchant)
    if "credentials" in present:
        given = {k: v for k, v in (fields.credentials or {}).items() if v}
        values = {**{k: v for k, v in values.items() if k in OWN_FIELDS}, **given}
    for name, rule in OWN_FIELDS.items():
        if name in present:
            value = getattr(fields, name)
            values.pop(name, None)
            if value:
                values[name] = rule(value)
        elif name in values and "credentials" in present:
            values[name] = rule(values[name])  # given among the credentials: the same rule
    merchant.credentials = rt.box.seal(json.dumps(values)) if values else None
    merchant.credential_prefixes = {
        k: v if k in SHOWN_WHOLE else mask(v) or "" for k, v in values.items()
    }


def _apply(rt: Runtime, merchant: Merchant, fields: MerchantFields, present: set[str]) -> None:
    try:
        if "provider" in present and fields.provider is not None:
            merchant.provider = fields.provider
        _credentials(rt, merchant, fields, present)
        if "is_active" in present and fields.is_active is not None:
            merchant.is_active = fields.is_active
        if "description" in present:
            merchant.description = fields.description
    except InvalidMerchant as exc:
        raise ValidationFailed(str(exc)) from exc
    declared = plugins.plugin(merchant.provider)
    if declared is not None and declared.needs_organization_bin and not shop_bin(merchant):
        raise ValidationFailed(f"a {merchant.provider} shop needs its organization_bin")


def _record(
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
        organization_bin=shop_bin(merchant),
        provider=merchant.provider,
        status="active" if merchant.is_active else "inactive",
        details={"change": change, "fields": sorted(present)},
    )


async def create_merchant(
    rt: Runtime, principal: Principal, shop_id: str, fields: MerchantFields, present: set[str]
) -> Shop:
    merchant = Merchant(
        shop_id=shop_id, provider=fields.provider, is_active=True, credential_prefixes={}
    )
    _apply(rt, merchant, fields, present)
    async with rt.db.transaction() as session:
        if await session.get(Merchant, shop_id) is not None:
            raise ValidationFailed(f"shop {shop_id!r} already exists")
        session.add(merchant)
        await session.flush()
        _record(session, principal, merchant, "create", present)
    return shown(merchant)


async def update_merchant(
    rt: Runtime, principal: Principal, shop_id: str, fields: MerchantFields, present: set[str]
) -> Shop:
    async with rt.db.transaction() as session:
        merchant = await session.get(Merchant, shop_id, with_for_update=True)
        if merchant is None:
            raise NotFound("shop not found")
        _apply(rt, merchant, fields, present)
        merchant.updated_at = utcnow()
        await session.flush()
        _record(session, principal, merchant, "update", present)
        return shown(merchant)


async def delete_merchant(rt: Runtime, principal: Principal, shop_id: str) -> None:
    """A shop that payments refer to is deactivated, never erased."""
    async with rt.db.transaction() as session:
        merchant = await session.get(Merchant, shop_id, with_for_update=True)
        if merchant is None:
            raise NotFound("shop not found")
        used = await session.scalar(select(exists().where(Payment.shop_id == shop_id)))
        _record(session, principal, merchant, "deactivate" if used else "delete", set())
        if used:
            merchant.is_active = False
        else:
            await session.delete(merchant)


async def get_merchant(rt: Runtime, shop_id: str) -> Shop:
    async with rt.db.transaction() as session:
        merchant = await session.get(Merchant, shop_id)
    if merchant is None:
        raise NotFound("shop not found")
    return shown(merchant)


async def list_merchants(
    rt: Runtime, provider: str | None, page: PageParams
) -> tuple[list[Shop], int]:
    query = select(Merchant).order_by(Merchant.created_at.desc(), Merchant.shop_id)
    if provider:
        query = query.where(Merchant.provider == provider)
    async with rt.db.transaction() as session:
        rows, total = await paginate(session, query, page)
    return [shown(merchant) for merchant in rows], total


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
    return Credentials(values={**defaults.values, **opened(rt, merchant)}, shop_id=shop_id)


async def default_shop(rt: Runtime, provider: str) -> str | None:
    """DEFAULT_SHOP_ID, for payments of that shop's provider that name no shop."""
    shop_id = rt.settings.default_shop_id
    if not shop_id:
        return None
    async with rt.db.transaction() as session:
        merchant = await session.get(Merchant, shop_id)
    return shop_id if merchant is not None and merchant.provider == provider else None
