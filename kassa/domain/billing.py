"""Recurring billing's arithmetic: periods, proration, dunning and discounts.

Pure functions over integers and datetimes, so the rules are tested on their own and the
services only apply them. Money stays in minor units; time is counted in whole seconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import ClassVar


class SubscriptionStatus(StrEnum):
    TRIALING = "trialing"
    ACTIVE = "active"
    PAST_DUE = "past_due"  # a renewal is owed; still usable while the dunning schedule runs
    CANCELLED = "cancelled"
    EXPIRED = "expired"


LIVE_STATUSES = frozenset(
    {SubscriptionStatus.TRIALING, SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE}
)
# the SQL predicate of a live subscription (one per customer and tariff group)
LIVE_SQL = "status IN ('trialing', 'active', 'past_due')"

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_STEP = re.compile(r"^(\d{1,6})([smhd])$")


@dataclass(frozen=True, slots=True)
class BillingPolicy:
    """RENEWAL_LEAD_HOURS and DUNNING_SCHEDULE, as the billing code inside a transaction
    reads them (carried by the database session: see kassa.db.session)."""

    INFO_KEY: ClassVar[str] = "billing_policy"
    lead: timedelta
    retries: tuple[timedelta, ...]
    # billing time follows the sandbox clock (sandbox mode); otherwise it is the wall
    # clock, and a deployment never bills on an offset left from its sandbox days
    sandbox_clock: bool = True


class ScheduleError(ValueError):
    pass


def parse_schedule(text: str) -> tuple[timedelta, ...]:
    """`1d,3d,5d` → the retries' offsets from the period's end, strictly increasing."""
    steps: list[timedelta] = []
    for raw in text.split(","):
        part = raw.strip().lower()
        if not part:
            continue
        match = _STEP.match(part)
        if match is None:
            raise ScheduleError(f"{raw.strip()!r} is not a duration like 12h or 3d")
        step = timedelta(seconds=int(match[1]) * _UNITS[match[2]])
        if steps and step <= steps[-1]:
            raise ScheduleError("the dunning schedule's steps must increase")
        steps.append(step)
    return tuple(steps)


@dataclass(frozen=True, slots=True)
class Period:
    start: datetime
    end: datetime


def paid_period(
    *, now: datetime, duration_days: int, current_end: datetime | None, renewing: bool
) -> Period:
    """The time a payment buys: from the running period's end when it extends it (a renewal,
    or another purchase of the same tariff), else from now."""
    start = current_end if renewing and current_end is not None and current_end > now else now
    return Period(start=start, end=start + timedelta(days=duration_days))


def retry_at(
    period_end: datetime, schedule: tuple[timedelta, ...], failures: int
) -> datetime | None:
    """When the renewal is tried again after `failures` failed attempts; None: give up."""
    if failures < 1 or failures > len(schedule):
        return None
    return period_end + schedule[failures - 1]


@dataclass(frozen=True, slots=True)
class Discount:
    """A promo code's terms: `percent_off` (1..100) or `amount_off` in `currency`."""

    percent_off: int | None = None
    amount_off: int | None = None
    currency: str | None = None

    def off(self, amount: int, currency: str) -> int:
        """How much comes off `amount`; never all of it (a payment is at least 1)."""
        if self.percent_off is not None:
            cut = amount * self.percent_off // 100
        elif self.amount_off is not None and self.currency == currency:
            cut = self.amount_off
        else:
            return 0
        return max(0, min(cut, amount - 1))
