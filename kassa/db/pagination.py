"""A page of a query, as `PageParams` asks: the rows and the total."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kassa.domain.paging import PageParams

T = TypeVar("T")


async def paginate(
    session: AsyncSession,
    query: Select[*tuple[Any, ...]],
    params: PageParams,
    *,
    rows: bool = False,
) -> tuple[list[Any], int]:
    """A page of the query's first entity, or of its whole rows (`rows`: a subscription
    with its tariff)."""
    total = await session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    result = await session.execute(query.limit(params.page_size).offset(params.offset))
    return list(result.all() if rows else result.scalars()), int(total or 0)
