"""Provider customers: one per organisation (or per user with no organisation), kept here
so every payment and saved card of that payer lands on the same customer."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kassa.db.base import utcnow
from kassa.db.models import ProviderCustomer
from kassa.db.sql import insert_ignore
from kassa.providers.base import CustomerVault, provides
from kassa.runtime import Runtime


def owner_of(user_id: str, organization_id: str | None) -> str:
    return f"org:{organization_id}" if organization_id else f"user:{user_id}"


async def known(session: AsyncSession, owners: Iterable[str]) -> dict[tuple[str, str], str]:
    """The customers already made for these owners, by (provider, owner)."""
    rows = await session.execute(
        select(
            ProviderCustomer.provider, ProviderCustomer.owner, ProviderCustomer.customer_id
        ).where(ProviderCustomer.owner.in_(list(owners)))
    )
    return {(provider, owner): customer for provider, owner, customer in rows}


async def customer_for(rt: Runtime, provider_name: str, vault: object, owner: str) -> str | None:
    """The provider's customer id for the owner, created once (the provider call carries an
    idempotency key derived from the owner, and the unique row settles any race)."""
    if not provides(vault, CustomerVault):
        return None
    query = select(ProviderCustomer.customer_id).where(
        ProviderCustomer.provider == provider_name, ProviderCustomer.owner == owner
    )
    async with rt.db.transaction() as session:
        existing = await session.scalar(query)
    if existing:
        return existing
    customer_id = await vault.create_customer(owner)
    async with rt.db.transaction() as session:
        await insert_ignore(
            session,
            ProviderCustomer.__table__,  # type: ignore[arg-type]
            {
                "provider": provider_name,
                "owner": owner,
                "customer_id": customer_id,
                "created_at": utcnow(),
            },
        )
        return await session.scalar(query)
