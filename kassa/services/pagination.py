"""Lists as the contract shapes them: newest first, `page` from 1, `page_size` ≤ 100."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PageParams:
    page: int = 1
    page_size: int = 20

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


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
