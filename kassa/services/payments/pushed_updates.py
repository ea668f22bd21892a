"""An event a provider pushes (a Stripe webhook), or a charge's answer that carries the
update itself, applied as a compare-and-set on PostgreSQL, as Payme's and Click's calls are
(`kassa.services.payments.inverted`).

The payment and whether the event was seen before are read in one statement, without a
lock and without BEGIN; `apply_update` decides on that row and queues its writes (the
event's claim among them); they leave as one statement that locks the payment and writes
only if its `status` and `updated_at` are still what was read (every write of a payment
sets `updated_at`). A repeat of an event is answered from the read alone. When the row
changed meanwhile, when the event was claimed by a racing copy (its unique key breaks),
or when the move needs another statement (a first purchase looking for a live subscription
in its group, a promo code's terms), nothing was written and None tells the caller to
apply the event the ordinary way, under the lock: the same `apply_update`, the same
decision, on the row as it is then.

A tariff's payment is read with its subscription and tariff, and the subscription is
expected unchanged too (`billing.read_ahead`): its renewal or purchase needs no read of its
own. So a webhook that finds its payment already moved costs two round trips instead of
four. A renewal's charge answered at once (`payments.submit`) is not read at all: the
billing job wrote the payment and moved the subscription in its claim, so it decides on
them as written (`AsWritten`) and the compare-and-set checks they still are: one round
trip instead of five.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, bindparam, func, select
from sqlalchemy.orm.attributes import set_committed_value

from kassa.core.context import Actor
from kassa.db.models import Payment, ProviderEvent, Subscription, Tariff
from kassa.db.session import Database
from kassa.domain.states import PaymentStatus
from kassa.domain.updates import ProviderUpdate
from kassa.fast import driver
from kassa.fast.batch import adopt, assign, expect_unchanged
from kassa.fast.compare_and_set import compare_and_set
from kassa.services.billing import lifecycle as billing
from kassa.services.payments.updates import (
    PAYMENT_BY_ID,
    PAYMENT_BY_PROVIDER_ID,
    Outcome,
    UpdateResult,
    apply_update,
    event_and_payment,
)

_EVENTS = ProviderEvent.__table__.c


def _read_with_seen(lookup: ColumnElement[bool]) -> Select[Any]:
    """The payment, its subscription and tariff (None where it names none), and whether the
    event was seen before."""
    seen = (
        select(func.count())
        .select_from(ProviderEvent.__table__)
        .where(
            _EVENTS.provider == bindparam("event_provider"),
            _EVENTS.event_id == bindparam("event_id"),
        )
        .scalar_subquery()
    )
    return (
        select(Payment, Subscription, Tariff, seen.label("seen"))
        .outerjoin(Subscription, Subscription.id == Payment.subscription_id)
        .outerjoin(Tariff, Tariff.id == Payment.tariff_id)
        .where(lookup)
        .execution_options(populate_existing=True)
    )


# What a subscription's renewal or purchase decides on; `updated_at` changes with every
# write of the row (the column's on-update default, the ORM's and Core's alike).
_SUBSCRIPTION_READ = (
    "updated_at",
    "status",
    "tariff_id",
    "period_number",
    "current_period_end",
    "auto_renew",
    "cancel_at_period_end",
    "payment_method_id",
    "promo_code",
)


_READ_BY_ID = _read_with_seen(PAYMENT_BY_ID)
_READ_BY_PROVIDER_ID = _read_with_seen(PAYMENT_BY_PROVIDER_ID)


@dataclass(frozen=True, slots=True)
class AsWritten:
    """A payment with its subscription and tariff as the caller itself wrote them in its
    last transaction (a renewal's claim writes its payment and moves the subscription),
    for an update that is new (the answer to the charge that claim made): decided on
    without reading them again. The compare-and-set still writes only if both rows are
    as written; if the update's event was claimed meanwhile, its unique key refuses the
    write; either way the update is applied under the lock instead."""

    payment: Payment
    subscription: Subscription | None
    tariff: Tariff | None


def _adopted(session: Any, written: AsWritten) -> tuple[Any, ...] | None:
    """The rows as written, persistent in `session`; None when one must be read."""
    rows = (written.payment, written.subscription, written.tariff)
    adopted = tuple(adopt(session, row) if row is not None else None for row in rows)
    if any(row is not None and copy is None for row, copy in zip(rows, adopted, strict=True)):
        return None
    return (*adopted, 0)  # the update is new: its event unseen


async def apply_unlocked(
    db: Database,
    update: ProviderUpdate,
    *,
    actor: Actor,
    operation: str,
    payment_id: str | None = None,
    answered: Mapping[str, object] | None = None,
    as_written: AsWritten | None = None,
) -> UpdateResult | None:
    """The update applied as a compare-and-set (PostgreSQL only); None when nothing was
    written and it must be applied under the lock. `payment_id` names the payment when the
    update does not; `answered`: what the provider's answer to the payment's creation says
    of it (its id there, a checkout URL), written with the update and seen by its events;
    `as_written`: the rows as the caller wrote them, decided on without a read."""
    assert db.compares_and_sets
    by_id, params = event_and_payment(update, payment_id)
    statement = _READ_BY_ID if by_id else _READ_BY_PROVIDER_ID
    async with db.reading() as session:
        found = _adopted(session, as_written) if as_written is not None else None
        if found is None:
            found = driver.one_or_none(await driver.rows(session, statement, params))
        if found is None:
            return None  # unknown here: the locked path says so in its own words
        payment, sub, tariff, seen = found
        payment = cast(Payment, payment)
        if seen:  # committed before this read: a repeat changes nothing...
            if answered:  # ...but what the provider answered is still to be written
                return None
            return UpdateResult(Outcome.DUPLICATE, payment, PaymentStatus(payment.status))
        expect_unchanged(
            session,
            Payment.__table__,  # type: ignore[arg-type]
            {"id": payment.id},
            {"status": payment.status, "updated_at": payment.updated_at},
        )
        if sub is not None:
            expect_unchanged(
                session,
                Subscription.__table__,  # type: ignore[arg-type]
                {"id": sub.id},
                {name: getattr(sub, name) for name in _SUBSCRIPTION_READ},
            )
            billing.read_ahead(session, payment, tariff, sub)
        for name, value in (answered or {}).items():
            set_committed_value(payment, name, value)  # what the update's events describe

        async def decide() -> UpdateResult:
            result = await apply_update(
                session, update, actor=actor, operation=operation, locked=payment,
                event_is_new=True,
            )  # fmt: skip
            if answered:
                assign(session, payment, **answered)
            return result

        written = await compare_and_set(session, update.provider, decide)
    return written.decided if written is not None else None
