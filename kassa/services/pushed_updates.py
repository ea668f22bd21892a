"""A pushed provider event (a Stripe, YooKassa or Kaspi webhook) applied as a compare-and-set
on PostgreSQL, as Payme's and Click's calls are (`kassa.services.inverted`).

The payment and whether the event was seen before are read in one statement, without a
lock and without BEGIN; `apply_update` decides on that row and queues its writes (the
event's claim among them); they leave as one statement that locks the payment and writes
only if its `status` and `updated_at` are still what was read (every write of a payment
sets `updated_at`). A repeat of an event is answered from the read alone. When the row
changed meanwhile, when the event was claimed by a racing copy (its unique key breaks),
or when the move needs another statement (a tariff's subscription, a wallet's balance),
nothing was written and None tells the caller to apply the event the ordinary way, under
the lock: the same `apply_update`, the same decision, on the row as it is then.

A webhook that finds its payment already moved (a renewal's charge was applied from
Stripe's answer before Stripe's event arrived) costs two round trips instead of four.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import ColumnElement, Select, and_, bindparam, func, select
from sqlalchemy.exc import IntegrityError

from kassa.core.observability import UNLOCKED_RETRIED
from kassa.db import driver
from kassa.db.after_commit import committed, discarded
from kassa.db.batch import expect_unchanged, send_if_unchanged
from kassa.db.driver import NeedsLock
from kassa.db.models import Payment, ProviderEvent
from kassa.db.session import Database
from kassa.domain.states import PaymentStatus
from kassa.domain.updates import ProviderUpdate
from kassa.services.context import Actor
from kassa.services.updates import Outcome, UpdateResult, apply_update

_EVENTS = ProviderEvent.__table__.c


def _read_with_seen(lookup: ColumnElement[bool]) -> Select[Any]:
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
        select(Payment, seen.label("seen")).where(lookup).execution_options(populate_existing=True)
    )


_READ_BY_ID = _read_with_seen(Payment.id == bindparam("payment_id"))
_READ_BY_PROVIDER_ID = _read_with_seen(
    and_(
        Payment.provider == bindparam("provider"),
        Payment.provider_payment_id == bindparam("provider_payment_id"),
    )
)


async def apply_unlocked(
    db: Database, update: ProviderUpdate, *, actor: Actor, operation: str
) -> UpdateResult | None:
    """The update applied as a compare-and-set (PostgreSQL only); None when nothing was
    written and it must be applied under the lock."""
    assert not db.is_sqlite
    params: dict[str, object] = {"event_provider": update.provider, "event_id": update.event_id}
    if update.payment_id:
        statement, params["payment_id"] = _READ_BY_ID, update.payment_id
    else:
        statement = _READ_BY_PROVIDER_ID
        params.update(provider=update.provider, provider_payment_id=update.provider_payment_id)
    async with db.reading() as session:
        found = driver.one_or_none(await driver.rows(session, statement, params))
        if found is None:
            return None  # unknown here: the locked path says so in its own words
        payment, seen = cast(Payment, found[0]), int(found[1])
        if seen:  # committed before this read: a repeat changes nothing
            return UpdateResult(Outcome.DUPLICATE, payment, PaymentStatus(payment.status))
        expect_unchanged(
            session,
            Payment.__table__,  # type: ignore[arg-type]
            {"id": payment.id},
            {"status": payment.status, "updated_at": payment.updated_at},
        )
        try:
            result = await apply_update(
                session, update, actor=actor, operation=operation, locked=payment,
                event_is_new=True,
            )  # fmt: skip
            if session.new or session.dirty or session.deleted:
                raise NeedsLock("ORM writes")
            applied, _ = await send_if_unchanged(session)
        except (NeedsLock, IntegrityError) as exc:
            discarded(session)
            reason = "needs_lock" if isinstance(exc, NeedsLock) else "changed"
            UNLOCKED_RETRIED.labels(update.provider, reason).inc()
            return None
        except BaseException:
            discarded(session)
            raise
        if not applied:
            discarded(session)
            UNLOCKED_RETRIED.labels(update.provider, "changed").inc()
            return None
        committed(session)
    return result
