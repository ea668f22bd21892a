"""The value ledger of service time: every stretch of a subscription records the money that
bought it, so time is converted and taken back by value, never by list price times time.

A stretch holds `value` (minor units, spread evenly over its seconds) funded by one payment
(`funded_by`; none for a trial). Stretches follow one another without overlapping. The rules:

- a purchase or renewal: the payment's amount buys the tariff's duration (a discount is the
  merchant's gift for that period and is not carried anywhere);
- a change of tariff at `now`: each stretch's unused value leaves it and buys time on the new
  tariff at its list price, one stretch per funding payment, before the new payment's own
  period; a trial's unused time is worth nothing and carries nothing;
- a refund of `r` takes back value `r` from the stretches its payment funded, latest first,
  only from time not yet used; seconds are rounded in the customer's favour.

Pure integer arithmetic over datetimes; `kassa.services.billing.lifecycle` applies the plans
to rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

DAY = 86_400
ZERO = timedelta(0)


def micros(span: timedelta) -> int:
    """A span in whole microseconds: products with money stay integers of any size (a
    timedelta times a large amount would overflow)."""
    return span // timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class Stretch:
    """One stretch as the rules see it: `key` names the caller's row."""

    key: int
    starts_at: datetime
    ends_at: datetime
    value: int
    funded_by: str | None

    @property
    def length(self) -> timedelta:
        return max(ZERO, self.ends_at - self.starts_at)

    def unused(self, now: datetime) -> timedelta:
        return max(ZERO, self.ends_at - max(now, self.starts_at))

    def unused_value(self, now: datetime) -> int:
        """The value of the time not yet used (to the microsecond), rounded down: the unit
        short stays with the stretch."""
        if not self.length:
            return 0
        return self.value * micros(self.unused(now)) // micros(self.length)


def seconds_bought(value: int, list_amount: int, duration_days: int) -> int:
    """Seconds of a tariff that `value` buys at its list price, rounded down."""
    if value <= 0 or list_amount <= 0:
        return 0
    return value * duration_days * DAY // list_amount


@dataclass(frozen=True, slots=True)
class Cut:
    """A stretch cut at a change: it keeps `kept_value` and ends at the change (one not
    begun yet is moved there, with no time)."""

    key: int
    starts_at: datetime
    ends_at: datetime
    kept_value: int


@dataclass(frozen=True, slots=True)
class Carried:
    """Value of one payment carried into the new tariff, as `seconds` of it."""

    funded_by: str
    value: int
    seconds: int


@dataclass(frozen=True, slots=True)
class Conversion:
    cuts: tuple[Cut, ...]
    carried: tuple[Carried, ...]


def convert(
    stretches: list[Stretch], now: datetime, list_amount: int, duration_days: int
) -> Conversion:
    """A change of tariff at `now`: every stretch with time left is cut at `now` (one not yet
    begun keeps nothing) and its unused value, grouped by funding payment in the order the
    stretches ran, buys time on the new tariff at `list_amount` per `duration_days`."""
    cuts: list[Cut] = []
    by_payment: dict[str, int] = {}
    for stretch in sorted(stretches, key=lambda s: (s.starts_at, s.key)):
        if not stretch.unused(now):
            continue
        unused = stretch.unused_value(now)
        cuts.append(
            Cut(
                key=stretch.key,
                starts_at=min(now, stretch.starts_at),
                ends_at=now,
                kept_value=stretch.value - unused,
            )
        )
        if stretch.funded_by is not None and unused > 0:
            by_payment[stretch.funded_by] = by_payment.get(stretch.funded_by, 0) + unused
    carried = tuple(
        Carried(funded_by=payment, value=value, seconds=seconds)
        for payment, value in by_payment.items()
        if (seconds := seconds_bought(value, list_amount, duration_days)) > 0
    )
    return Conversion(cuts=tuple(cuts), carried=carried)


@dataclass(frozen=True, slots=True)
class TakeBack:
    """Time and value removed from the end of one stretch by a refund."""

    key: int
    removed: timedelta
    value: int


def take_back(
    stretches: list[Stretch], payment_id: str, amount: int, now: datetime
) -> list[TakeBack]:
    """What a refund of `amount` takes back: value `amount` from the unused time of the
    stretches `payment_id` funded, latest first. Within a stretch, the seconds removed are
    its value's share rounded down, so the customer never loses a second more than paid for;
    value already used is not taken from anyone else's time."""
    left = amount
    plan: list[TakeBack] = []
    funded = [s for s in stretches if s.funded_by == payment_id and s.unused(now)]
    for stretch in sorted(funded, key=lambda s: (s.starts_at, s.key), reverse=True):
        if left <= 0:
            break
        unused = stretch.unused_value(now)
        if left >= unused:  # all of its time left goes
            plan.append(TakeBack(stretch.key, stretch.unused(now), unused))
            left -= unused
        else:  # its share of the time, in whole seconds rounded down
            whole = timedelta(seconds=micros(stretch.length) * left // stretch.value // 10**6)
            plan.append(TakeBack(stretch.key, min(whole, stretch.unused(now)), left))
            left = 0
    return [step for step in plan if step.removed or step.value]


def monthly_value(value: int, length: timedelta) -> int:
    """A stretch's value over 30 days of its length: what it is worth a month (MRR)."""
    if length <= ZERO:
        return 0
    return value * 30 * DAY * 10**6 // micros(length)
