"""Subscription periods: when a tariff purchase starts and ends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class Period:
    started_at: datetime
    expires_at: datetime


def next_period(
    *,
    paid_at: datetime,
    duration_days: int,
    tariff_id: str,
    current_tariff_id: str | None,
    current_active: bool,
    current_started_at: datetime | None,
    current_expires_at: datetime | None,
) -> Period:
    """Renewing the same, still-active tariff extends from its expiry; anything else
    starts afresh at the payment time."""
    duration = timedelta(days=duration_days)
    renewing = (
        current_active
        and current_tariff_id == tariff_id
        and current_expires_at is not None
        and current_expires_at > paid_at
    )
    if renewing:
        assert current_expires_at is not None
        started = current_started_at or paid_at
        return Period(started_at=started, expires_at=current_expires_at + duration)
    return Period(started_at=paid_at, expires_at=paid_at + duration)
