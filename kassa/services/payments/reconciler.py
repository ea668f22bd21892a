"""Reconciliation of payments still open: ask the provider soon, then with backoff, and
expire what is abandoned. Like Hyperswitch's payment sync, the schedule is a column on the
payment (`next_check_at`), not a timer in memory, so any worker may pick it up.

Every finding goes through `apply_update` (operation `status`); an abandoned payment is
cancelled with failure code `expired` unless the provider says it is paid or in progress.
A payment holding a promo code is abandoned sooner (`payment_deadlines`), and looked at by
then; if its provider cannot close it then, it is asked again: its code is given back only
once the payment can no longer be paid.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from kassa.core.context import Actor
from kassa.core.logging import describe_exception, get_logger
from kassa.core.observability import RECONCILER_RUNS
from kassa.db.base import utcnow
from kassa.db.models import Payment
from kassa.domain.backoff import retry_delay
from kassa.domain.states import OPEN_STATUSES, PaymentStatus
from kassa.domain.updates import ProviderUpdate
from kassa.providers.base import NothingToPoll, ProviderFailure
from kassa.providers.plugins import all_plugins, state_graph
from kassa.runtime import Runtime
from kassa.services.ops import audit
from kassa.services.payments import deadlines as payment_deadlines
from kassa.services.payments.service import provider_for, request_for
from kassa.services.payments.updates import apply_update

log = get_logger(__name__)
ACTOR = Actor.system("reconciler")
BATCH = 50
LEASE = timedelta(minutes=2)
MAX_INTERVAL = 3600.0
_WAIT = timedelta(minutes=5)  # a payment its provider is working on, past its deadline
# Statuses some provider can still move to paid (Stripe's declined intents included); a
# payment is polled while its own provider's graph says it is open.
POLLED_STATUSES = OPEN_STATUSES.union(*(p.graph.open_statuses for p in all_plugins()))


async def _claim(rt: Runtime) -> list[Payment]:
    now = utcnow()
    async with rt.db.transaction() as session:
        rows = (
            (
                await session.execute(
                    select(Payment)
                    .where(
                        Payment.status.in_([s.value for s in POLLED_STATUSES]),
                        Payment.next_check_at <= now,
                    )
                    .order_by(Payment.next_check_at)
                    .limit(BATCH)
                    .with_for_update(skip_locked=True)
                )
            )
            .scalars()
            .all()
        )
        for payment in rows:
            payment.next_check_at = now + LEASE
            payment.check_attempts += 1
    return list(rows)


async def _schedule(rt: Runtime, payment_id: str, when: timedelta | None) -> None:
    async with rt.db.transaction() as session:
        row = await session.get(Payment, payment_id, with_for_update=True)
        if row is not None:
            row.next_check_at = utcnow() + when if when is not None else None


async def _apply(rt: Runtime, update: ProviderUpdate) -> Payment:
    async with rt.db.transaction() as session:
        return (await apply_update(session, update, actor=ACTOR, operation="status")).payment


def _by(deadline: datetime, delay: timedelta) -> timedelta:
    """`delay`, but no later than a deadline still ahead: the payment is looked at by then."""
    left = deadline - utcnow()
    return min(delay, max(left, timedelta(seconds=1))) if left > timedelta(0) else delay


async def reconcile(rt: Runtime, payment: Payment) -> str:
    """One look at one payment; returns what happened (for logs and metrics)."""
    if not state_graph(payment.provider).is_open(PaymentStatus(payment.status)):
        await _schedule(rt, payment.id, None)  # finished: nothing more to ask
        return payment.status
    deadlines = await payment_deadlines.deadlines(rt, payment)
    deadline = deadlines.first
    overdue = utcnow() >= deadline
    backoff = retry_delay(payment.check_attempts, base=30, cap=MAX_INTERVAL)
    provider = await provider_for(rt, payment)
    request = await request_for(rt, payment)
    try:
        update = await provider.fetch(request)
    except NothingToPoll:
        # The provider pushes its changes (Payme). An order nobody began paying is
        # abandoned at the deadline; one Payme is working on ends by Payme's own rules.
        pending = payment.status == PaymentStatus.PENDING
        if overdue and pending and await payment_deadlines.expire(rt, payment, ACTOR):
            return "expired"
        await _schedule(rt, payment.id, _by(deadline, max(deadline - utcnow(), _WAIT)))
        return "waiting"
    except ProviderFailure as exc:
        log.info("reconcile.provider_failed", payment_id=payment.id, error=exc.message[:200])
        async with rt.db.transaction() as session:
            audit.record(
                session,
                actor=ACTOR,
                operation="status",
                payment=payment,
                error_message=exc.message[:500],
            )
        await _schedule(rt, payment.id, _by(deadline, backoff))
        return "retry"
    moved = await _apply(rt, update)
    if not state_graph(moved.provider).is_open(PaymentStatus(moved.status)):
        await _schedule(rt, payment.id, None)
        return moved.status
    if overdue and moved.status in (PaymentStatus.PENDING, PaymentStatus.FAILED):
        try:
            await _apply(rt, await provider.cancel(request))
        except ProviderFailure as exc:
            log.info("reconcile.cancel_failed", payment_id=payment.id, error=exc.message[:200])
            if utcnow() < deadlines.abandoned:
                # only its promo code's time is up: the provider may still take the money
                await _schedule(rt, payment.id, backoff)
                return "retry"
        await payment_deadlines.expire(rt, payment, ACTOR)
        return "expired"
    await _schedule(rt, payment.id, _by(deadline, backoff))
    return "open"


async def reconcile_due(rt: Runtime) -> int:
    payments = await _claim(rt)
    for payment in payments:
        try:
            outcome = await reconcile(rt, payment)
        except Exception as exc:  # one payment's trouble must not stop the batch
            outcome = "error"
            log.warning("reconcile.failed", payment_id=payment.id, **describe_exception(exc))
        RECONCILER_RUNS.labels(payment.provider, outcome).inc()
    return len(payments)
