"""When kassa gives up on an unpaid payment (the reconciler asks, and expires it).

Any payment is abandoned PENDING_PAYMENT_TTL_HOURS after it was made. One holding a promo
code gives it up sooner, after PROMO_RESERVATION_MINUTES, so an order nobody pays does not
keep a limited code from other customers (or from the same customer's next order) for a
day; unless an inverted provider has opened a transaction for it (Payme's
CreateTransaction, Click's Prepare): the customer is paying it then, and the provider's own
timeout or cancel ends it. Wall-clock time, as the payment's `created_at` is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from kassa.core.context import Actor
from kassa.db.models import Payment, ProviderTransaction
from kassa.domain.inverted import LIVE_TX_STATES
from kassa.domain.states import PaymentStatus
from kassa.domain.updates import ProviderUpdate
from kassa.runtime import Runtime
from kassa.services.payments.updates import apply_update, lock_payment


@dataclass(frozen=True, slots=True)
class Deadlines:
    abandoned: datetime  # PENDING_PAYMENT_TTL_HOURS after it was made
    reservation: datetime | None  # its promo code's, when it holds one nobody is paying

    @property
    def first(self) -> datetime:
        """When the reconciler expires it (having asked its provider and closed it there)."""
        return min(self.abandoned, self.reservation or self.abandoned)


async def deadlines(rt: Runtime, payment: Payment) -> Deadlines:
    abandoned = payment.created_at + timedelta(hours=rt.settings.pending_payment_ttl_hours)
    if not payment.promo_code:
        return Deadlines(abandoned, None)
    reserved = payment.created_at + timedelta(minutes=rt.settings.promo_reservation_minutes)
    async with rt.db.reading() as session:
        if await being_paid(session, payment.id):
            return Deadlines(abandoned, None)
    return Deadlines(abandoned, reserved)


async def being_paid(session: AsyncSession, payment_id: str) -> bool:
    """Whether an inverted provider holds a live (open or completed) transaction for it."""
    live = await session.scalar(
        select(
            exists().where(
                ProviderTransaction.payment_id == payment_id,
                ProviderTransaction.state.in_([state.value for state in LIVE_TX_STATES]),
            )
        )
    )
    return bool(live)


async def expire(rt: Runtime, payment: Payment, actor: Actor) -> bool:
    """Cancelled with failure code `expired`, through `apply_update` (its effects give a
    promo code back); False, and nothing changed, when an inverted provider opened a
    transaction for it since it was looked at: that is read under the payment's lock,
    which opening one takes too."""
    update = ProviderUpdate(
        provider=payment.provider,
        event_id=f"expire:{payment.id}",
        payment_id=payment.id,
        status=PaymentStatus.CANCELLED,
        failure_code="expired",
        failure_message="not paid in time",
    )
    async with rt.db.transaction() as session:
        locked = await lock_payment(session, payment_id=payment.id)
        if locked is None or await being_paid(session, payment.id):
            return False
        await apply_update(session, update, actor=actor, operation="status", locked=locked)
    return True
