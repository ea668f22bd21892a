"""The dashboard: a date range's figures, with charts of payments and revenue per day."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from kassa.admin import charts
from kassa.admin.common import render, runtime, signed_in, to_login
from kassa.admin.forms import day
from kassa.services.ops import operations

router = APIRouter()


@router.get("", response_class=HTMLResponse)
async def dashboard(request: Request) -> Response:
    """The figures of a date range (the last 14 days unless chosen), with charts of
    payments and revenue per day."""
    if (me := await signed_in(request)) is None:
        return to_login()
    chosen = {k: (request.query_params.get(k) or "").strip()[:10] for k in ("from", "to")}
    start, end = day(chosen["from"]), day(chosen["to"], 1)
    days = 14
    if start and end and end > start:
        days = min((end - start).days, 366)
    elif start:
        days = min((datetime.now(UTC) - start).days + 1, 366)
    stats = await operations.statistics_for(runtime(request), None, start, end, days)
    last = (end - timedelta(days=1)) if end else datetime.now(UTC)
    first = start or last - timedelta(days=days - 1)
    window = [
        (first + timedelta(days=i)).strftime("%Y-%m-%d")
        for i in range(max(1, min(366, (last - first).days + 1)))
    ]
    return render(
        request,
        "dashboard.html",
        me,
        title="Dashboard",
        nav="Dashboard",
        stats=stats,
        chosen=chosen,
        window=window,  # every day of the range, so a day without payments draws as 0
        revenue_charts=[asdict(c) for c in charts.revenue_charts(window, stats.daily_revenue)],
    )
