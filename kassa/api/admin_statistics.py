"""GET /admin/statistics."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from kassa.domain.errors import ValidationFailed
from kassa.http.deps import CurrentAdmin, RuntimeDep
from kassa.http.problems import PROBLEM_RESPONSES
from kassa.services.ops import operations
from kassa.services.schemas import ProviderName

router = APIRouter(prefix="/admin", tags=["admin: statistics"], responses=PROBLEM_RESPONSES)


class StatisticsOut(BaseModel):
    counts_by_status: dict[str, int]
    total: int
    success_rate: float | None
    revenue: list[dict[str, Any]]
    by_provider: list[dict[str, Any]]
    failure_codes: list[dict[str, Any]]
    median_seconds_to_success: float | None
    webhooks: dict[str, int]
    outbox: dict[str, int]
    daily: list[dict[str, Any]]
    daily_revenue: list[dict[str, Any]]
    discounts: list[dict[str, Any]]
    mrr: list[dict[str, Any]]
    subscriptions: dict[str, int]
    daily_renewals: list[dict[str, Any]]  # day, renewed, failed: renewal charges per day


@router.get("/statistics", response_model=StatisticsOut)
async def get_statistics(
    rt: RuntimeDep,
    _admin: CurrentAdmin,
    provider: ProviderName | None = None,
    from_: Annotated[datetime | None, Query(alias="from")] = None,
    to: Annotated[datetime | None, Query()] = None,
) -> StatisticsOut:
    for value in (from_, to):
        if value is not None and value.tzinfo is None:
            raise ValidationFailed("from and to need a UTC offset")
    stats = await operations.statistics_for(rt, provider, from_, to)
    return StatisticsOut(**asdict(stats))
