"""Organisation wallets: balances derived from the ledger, per currency."""

from __future__ import annotations

from sqlalchemy import func, select

from kassa.core.security import Principal
from kassa.db.models import WalletEntry
from kassa.db.pagination import paginate
from kassa.domain.paging import PageParams
from kassa.runtime import Runtime
from kassa.services.accounts import access
from kassa.services.schemas import WalletBalance, WalletOut


async def get_wallet(rt: Runtime, principal: Principal, organization_id: str) -> WalletOut:
    access.ensure_org_member(principal, organization_id)
    query = (
        select(WalletEntry.currency, func.sum(WalletEntry.amount))
        .where(WalletEntry.organization_id == organization_id)
        .group_by(WalletEntry.currency)
        .order_by(WalletEntry.currency)
    )
    async with rt.db.reading() as session:
        rows = (await session.execute(query)).all()
    return WalletOut(
        organization_id=organization_id,
        balances=[WalletBalance(currency=c, amount=int(a)) for c, a in rows],
    )


async def list_transactions(
    rt: Runtime, principal: Principal, organization_id: str, page: PageParams
) -> tuple[list[WalletEntry], int]:
    access.ensure_org_member(principal, organization_id)
    query = (
        select(WalletEntry)
        .where(WalletEntry.organization_id == organization_id)
        .order_by(WalletEntry.id.desc())
    )
    async with rt.db.reading() as session:
        return await paginate(session, query, page)
