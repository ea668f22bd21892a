"""`apply_update`: the one function that changes a payment's status.

Webhooks, polling, `/sync`, cancel, refunds and the sandbox all end here. Inside the
caller's transaction it locks the payment row, claims the provider's event id (a unique
constraint makes duplicates no-ops), consults the state machine, checks the amount, and
writes the new state, the audit record, the outbox event and the business effects.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, and_, bindparam, func, literal, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from kassa.core.context import Actor
from kassa.core.logging import get_logger
from kassa.core.observability import PAYMENT_MOVES, PAYMENT_UPDATES, labelled
from kassa.db.after_commit import after_commit
from kassa.db.base import utcnow
from kassa.db.models import Payment, ProviderEvent, Refund
from kassa.db.sql import insert_ignore
from kassa.domain.errors import NotFound
from kassa.domain.refunds import RefundPlan, status_after_refunds
from kassa.domain.states import PAID_STATUSES, REFUNDED_STATUSES, PaymentStatus, StateGraph
from kassa.domain.updates import ProviderUpdate
from kassa.fast import driver
from kassa.fast.batch import assign, batch_of
from kassa.providers.plugins import state_graph
from kassa.services.accounts import payment_methods
from kassa.services.billing import lifecycle as billing
from kassa.services.ops import audit, outbox
from kassa.services.payments import effects, refund_records
from kassa.services.schemas import PaymentOut

log = get_logger(__name__)

_EVENT_FOR_STATUS = {
    PaymentStatus.SUCCEEDED: "payment.succeeded",
    PaymentStatus.FAILED: "payment.failed",
    PaymentStatus.CANCELLED: "payment.cancelled",
    PaymentStatus.PARTIALLY_REFUNDED: "payment.refunded",
    PaymentStatus.REFUNDED: "payment.refunded",
}


UNPAID = frozenset({PaymentStatus.FAILED, PaymentStatus.CANCELLED})


class Outcome(StrEnum):
    APPLIED = "applied"  # the payment moved
    DUPLICATE = "duplicate"  # this event id was applied before: nothing to do
    IGNORED = "ignored"  # stale or out of order: the payment is already past it
    REJECTED = "rejected"  # contradicts the payment (amount, currency, provider)


@dataclass(frozen=True, slots=True)
class UpdateResult:
    outcome: Outcome
    payment: Payment
    previous_status: PaymentStatus
    reason: str | None = None

    @property
    def changed(self) -> bool:
        return self.outcome is Outcome.APPLIED


# The claim of an event and the lock of its payment as one statement (PostgreSQL): the
# claim names the payment it found, and `claimed` says whether the event was new (a
# duplicate's claim conflicts and inserts nothing). Its outcome is written with the move.
_CLAIMING = "claimed"  # the outcome a claim carries until the move's writes name it
_EVENTS = ProviderEvent.__table__.c


def _claim_then_lock(lookup: ColumnElement[bool]) -> Select[Any]:
    claim = (
        postgresql.insert(ProviderEvent.__table__)  # type: ignore[arg-type]
        .from_select(
            ["provider", "event_id", "payment_id", "outcome", "received_at"],
            select(
                bindparam("event_provider", type_=_EVENTS.provider.type),
                bindparam("event_id", type_=_EVENTS.event_id.type),
                Payment.__table__.c.id,
                literal(_CLAIMING, _EVENTS.outcome.type),
                bindparam("received_at", type_=_EVENTS.received_at.type),
            ).where(lookup),
        )
        .on_conflict_do_nothing()
        .returning(_EVENTS.id)
        .cte("claim")
    )
    claimed = select(func.count()).select_from(claim).scalar_subquery()
    return (
        select(Payment, claimed.label("claimed"))
        .where(lookup)
        .with_for_update(of=Payment)
        .execution_options(populate_existing=True)
    )


async def lock_payment(
    session: AsyncSession,
    *,
    payment_id: str | None = None,
    provider: str | None = None,
    provider_payment_id: str | None = None,
) -> Payment | None:
    """SELECT … FOR UPDATE (PostgreSQL); SQLite transactions already hold the write lock.
    The row is read afresh, after the writes this transaction queued."""
    if payment_id:
        found = driver.one_or_none(
            await driver.rows(session, _LOCK_BY_ID, {"payment_id": payment_id})
        )
    else:
        params = {"provider": provider, "provider_payment_id": provider_payment_id}
        found = driver.one_or_none(await driver.rows(session, _LOCK_BY_PROVIDER_ID, params))
    return cast(Payment, found[0]) if found is not None else None


# Built once: building a statement per call costs more Python than running it.
_LOCKED = select(Payment).with_for_update().execution_options(populate_existing=True)
# How a payment is named: the conditions `event_and_payment`'s parameters fill.
PAYMENT_BY_ID = Payment.id == bindparam("payment_id")
PAYMENT_BY_PROVIDER_ID = and_(
    Payment.provider == bindparam("provider"),
    Payment.provider_payment_id == bindparam("provider_payment_id"),
)
_LOCK_BY_ID = _LOCKED.where(PAYMENT_BY_ID)
_LOCK_BY_PROVIDER_ID = _LOCKED.where(PAYMENT_BY_PROVIDER_ID)
_CLAIM_AND_LOCK_BY_ID = _claim_then_lock(PAYMENT_BY_ID)
_CLAIM_AND_LOCK_BY_PROVIDER_ID = _claim_then_lock(PAYMENT_BY_PROVIDER_ID)


async def lock_claiming(
    session: AsyncSession, payment_id: str, update: ProviderUpdate
) -> tuple[Payment | None, bool | None]:
    """The payment locked by its id and, on PostgreSQL, the update's event claimed in the
    same round trip (whether the claim was new: hand it to `apply_update` as `claimed`);
    on SQLite only locked (None: `apply_update` claims it)."""
    if session.get_bind().dialect.name != "postgresql":
        return await lock_payment(session, payment_id=payment_id), None
    return await _claim_and_lock(session, update, payment_id)


def event_and_payment(
    update: ProviderUpdate, payment_id: str | None = None
) -> tuple[bool, dict[str, object]]:
    """The parameters naming the update's event and its payment (the one named, else the
    update's: by kassa's id when it has one, True, else by the provider's)."""
    params: dict[str, object] = {"event_provider": update.provider, "event_id": update.event_id}
    payment_id = payment_id or update.payment_id
    if payment_id:
        params["payment_id"] = payment_id
        return True, params
    params.update(provider=update.provider, provider_payment_id=update.provider_payment_id)
    return False, params


async def _claim_and_lock(
    session: AsyncSession, update: ProviderUpdate, payment_id: str | None = None
) -> tuple[Payment | None, bool]:
    """The update's payment (or the one named) locked and the update's event claimed, in
    one round trip; whether the claim was new."""
    by_id, params = event_and_payment(update, payment_id)
    params["received_at"] = utcnow()
    statement = _CLAIM_AND_LOCK_BY_ID if by_id else _CLAIM_AND_LOCK_BY_PROVIDER_ID
    found = driver.one_or_none(await driver.rows(session, statement, params))
    if found is None:
        return None, False
    payment, claimed = found
    return cast(Payment, payment), bool(claimed)


@dataclass(frozen=True, slots=True)
class _Decision:
    outcome: Outcome
    reason: str | None
    target: PaymentStatus
    refunded: int
    # the provider reports a refund of a payment kassa has not yet seen paid: the money
    # arrived first, so the payment moves through `succeeded` (with its effects) on the way
    through_success: bool = False


def _target_status(
    payment: Payment, update: ProviderUpdate, plan: RefundPlan | None
) -> tuple[PaymentStatus, int]:
    """The status the update asks for, and the refunded total it implies: an update that
    speaks of refunds (`plan`) moves the payment only as far as refunds went back."""
    refunded = payment.refunded_amount
    if plan is None:
        return update.status, refunded
    if plan.refunded == refunded:
        return PaymentStatus(payment.status), refunded
    refunded = min(plan.refunded, payment.amount)
    return status_after_refunds(payment.amount, refunded), refunded


def _amount_mismatch(payment: Payment, update: ProviderUpdate) -> str | None:
    if update.amount is not None and update.amount != payment.amount:
        return f"provider reports {update.amount}, payment is {payment.amount}"
    if update.currency is not None and update.currency.upper() != payment.currency:
        return f"provider reports {update.currency.upper()}, payment is {payment.currency}"
    return None


async def apply_update(
    session: AsyncSession,
    update: ProviderUpdate,
    *,
    actor: Actor,
    operation: str = "webhook",
    locked: Payment | None = None,
    event_is_new: bool = False,
    claimed: bool | None = None,
) -> UpdateResult:
    """`locked` is the update's payment when the caller already holds its row lock in this
    transaction; otherwise the payment is locked here. `event_is_new`: the caller answered
    repeats of this event from its own storage (the Payme Merchant API does), so its claim
    is queued with the move instead of tried first. `claimed`: the caller claimed the
    event with the lock (`lock_claiming`), and this was the claim's answer."""
    if locked is None:
        claimed = None  # the claim's answer, when it comes with the lock here
    if locked is not None:
        payment: Payment | None = locked
    elif not event_is_new and session.get_bind().dialect.name == "postgresql":
        payment, claimed = await _claim_and_lock(session, update)
    else:
        payment = await lock_payment(
            session,
            payment_id=update.payment_id,
            provider=update.provider,
            provider_payment_id=update.provider_payment_id,
        )
    if payment is None:
        raise NotFound("payment not found")
    previous = PaymentStatus(payment.status)

    def finish(outcome: Outcome, reason: str | None = None) -> UpdateResult:
        return UpdateResult(outcome, payment, previous, reason)

    # The decision reads only the locked row (and, for an update that speaks of refunds,
    # the payment's refunds), so it is made before the event is claimed and written with
    # the claim: one statement, and a duplicate still changes nothing.
    plan = (
        await refund_records.plan(session, payment, update)
        if refund_records.speaks_of_refunds(update)
        else None
    )
    decision = _decide(payment, update, state_graph(payment.provider), plan)
    outcome, reason = decision.outcome, decision.reason
    claim = {
        "provider": update.provider,
        "event_id": update.event_id,
        "payment_id": payment.id,
        "outcome": outcome.value,
        "received_at": utcnow(),
    }
    if event_is_new:
        # The caller has answered repeats from its own storage, so the event is new: the
        # claim is queued with the move (a duplicate all the same would fail the
        # transaction, changing nothing).
        batch_of(session).insert(ProviderEvent.__table__, claim)  # type: ignore[arg-type]
        claimed = True
    elif claimed is None:
        claimed = await insert_ignore(session, ProviderEvent.__table__, claim)  # type: ignore[arg-type]
    elif claimed:  # claimed with the lock: its outcome leaves with the move's writes
        key = {"provider": update.provider, "event_id": update.event_id}
        batch_of(session).set(ProviderEvent.__table__, key, {"outcome": outcome.value})  # type: ignore[arg-type]
    if not claimed:
        return finish(Outcome.DUPLICATE)
    counted = labelled(PAYMENT_UPDATES, update.provider, outcome.value)
    after_commit(session, counted.inc)
    if outcome is Outcome.IGNORED:
        await _keep_late_method(session, payment, update)
        if (
            plan is not None
            and previous in PAID_STATUSES
            and plan.steps
            and not any(step.counts for step in plan.steps)
        ):
            # no money moved, but the refunds learned something (a provider's id for one
            # of kassa's, one waiting at the provider, one the provider failed)
            await _note_refunds(session, payment, update, plan, actor=actor, operation=operation)
            return finish(outcome, reason)
    if outcome is not Outcome.APPLIED:
        audit.record(
            session,
            actor=actor,
            operation=operation,
            payment=payment,
            status=previous.value,
            error_message=f"{outcome.value}: {reason}",
            details={"provider_status": update.status.value, "event_id": update.event_id},
        )
        said = {"payment_id": payment.id, "outcome": outcome.value, "reason": reason,
                "event_id": update.event_id}  # fmt: skip
        after_commit(session, lambda: log.info("payment.update_not_applied", **said))
        return finish(outcome, reason)

    if decision.through_success:
        await _move(
            session,
            payment,
            update,
            PaymentStatus.SUCCEEDED,
            payment.refunded_amount,
            actor=actor,
            operation=operation,
        )
    if plan is not None:
        await _refund(session, payment, update, plan, actor=actor, operation=operation)
        return finish(Outcome.APPLIED)
    await _move(
        session,
        payment,
        update,
        decision.target,
        decision.refunded,
        actor=actor,
        operation=operation,
    )
    return finish(Outcome.APPLIED)


async def _refund(
    session: AsyncSession,
    payment: Payment,
    update: ProviderUpdate,
    plan: RefundPlan,
    *,
    actor: Actor,
    operation: str,
) -> None:
    """The plan's steps in order, each refund whose money went back one move of the
    payment: its own audit record and amount, credit note and effects."""
    for step in plan.steps:
        refund = await refund_records.record(session, payment, step)
        if step.counts and refund is not None:
            refunded = payment.refunded_amount + step.amount
            target = status_after_refunds(payment.amount, refunded)
            await _move(session, payment, update, target, refunded,
                        actor=actor, operation=operation, refund=refund)  # fmt: skip


async def _note_refunds(
    session: AsyncSession,
    payment: Payment,
    update: ProviderUpdate,
    plan: RefundPlan,
    *,
    actor: Actor,
    operation: str,
) -> None:
    """Refunds brought up to date without money moving, and the audit record saying so."""
    noted = [await refund_records.record(session, payment, step) for step in plan.steps]
    for refund in noted:
        if refund is None:
            continue
        audit.record(
            session,
            actor=actor,
            operation=operation,
            payment=payment,
            amount=refund.amount,
            status=f"refund_{refund.status}",  # the refund's, not a move of the payment
            details={"event_id": update.event_id, "refund_id": refund.id,
                     "provider_refund_id": refund.provider_refund_id},
        )  # fmt: skip


async def _keep_late_method(
    session: AsyncSession, payment: Payment, update: ProviderUpdate
) -> None:
    """A signal that names the saved card of a payment already paid (Stripe sends the
    Checkout Session's completion and the PaymentIntent's success, in either order)."""
    if (
        update.saved_method is not None
        and payment.save_payment_method
        and PaymentStatus(payment.status) in PAID_STATUSES
    ):
        method_id = await payment_methods.keep_from_payment(session, payment, update.saved_method)
        if method_id is not None:
            await billing.keep_method(session, payment, method_id)


def _decide(
    payment: Payment, update: ProviderUpdate, graph: StateGraph, plan: RefundPlan | None
) -> _Decision:
    """What the update does to the payment: the outcome, why, and the target state."""
    previous = PaymentStatus(payment.status)
    target, refunded = _target_status(payment, update, plan)
    through_success = (
        target in REFUNDED_STATUSES
        and previous not in PAID_STATUSES
        and graph.can_move(previous, PaymentStatus.SUCCEEDED)
        # only a report that says the payment was paid (a Stripe refund event alone does
        # not: its charge's `charge.refunded` does, with the amount, checked)
        and (update.amount is not None or update.status is PaymentStatus.SUCCEEDED)
    )
    problem: str | None = None
    if update.provider != payment.provider:
        problem = f"update from {update.provider} for a {payment.provider} payment"
    elif update.status is PaymentStatus.SUCCEEDED or through_success:
        problem = _amount_mismatch(payment, update)
    if problem is None and update.refunded_amount and update.refunded_amount > payment.amount:
        problem = f"provider reports {update.refunded_amount} refunded of {payment.amount}"
    if problem is None and plan is not None and plan.refunded > payment.amount:
        problem = f"provider reports {plan.refunded} refunded of {payment.amount}"
    if problem is not None:
        return _Decision(Outcome.REJECTED, problem, target, refunded)
    if target is previous and refunded == payment.refunded_amount:
        return _Decision(Outcome.IGNORED, f"already {previous.value}", target, refunded)
    if through_success:
        return _Decision(Outcome.APPLIED, None, target, refunded, through_success=True)
    if not graph.can_move(previous, target):
        reason = f"{previous.value} cannot move to {target.value}"
        return _Decision(Outcome.IGNORED, reason, target, refunded)
    return _Decision(Outcome.APPLIED, None, target, refunded)


async def _move(
    session: AsyncSession,
    payment: Payment,
    update: ProviderUpdate,
    target: PaymentStatus,
    refunded: int,
    *,
    actor: Actor,
    operation: str,
    refund: Refund | None = None,
) -> None:
    """`refund`: the refund whose money went back with this move (a refund's move)."""
    now = utcnow()
    previous = payment.status
    newly_refunded = refunded - payment.refunded_amount
    changes: dict[str, object] = {
        "status": target.value,
        "refunded_amount": refunded,
        "updated_at": now,
    }
    if update.provider_payment_id and (
        not payment.provider_payment_id or update.supersedes_provider_payment_id
    ):
        changes["provider_payment_id"] = update.provider_payment_id
    if target in (PaymentStatus.FAILED, PaymentStatus.CANCELLED):
        changes["failure_code"] = update.failure_code or payment.failure_code
        changes["failure_message"] = update.failure_message or payment.failure_message
    if target is PaymentStatus.SUCCEEDED:
        changes["paid_at"] = update.occurred_at or now
    # written with the transaction's other writes, in one round trip (kassa.fast.batch)
    assign(session, payment, **changes)

    details: dict[str, object] = {"from": previous, "event_id": update.event_id,
                                   "newly_refunded": newly_refunded}  # fmt: skip
    if refund is not None:
        details["refund_id"] = refund.id
    audit.record(
        session,
        actor=actor,
        operation=operation,
        payment=payment,
        status=target.value,
        amount=refund.amount if refund is not None else None,  # a refund's own amount
        details=details,
    )
    event_type = _EVENT_FOR_STATUS.get(target)
    if event_type is not None:
        outbox.enqueue(
            session, event_type, PaymentOut.model_validate(payment).model_dump(mode="json")
        )
    if target is PaymentStatus.SUCCEEDED:
        assert payment.paid_at is not None
        method_id = None
        if update.saved_method is not None and payment.save_payment_method:
            method_id = await payment_methods.keep_from_payment(
                session, payment, update.saved_method
            )
        await effects.on_succeeded(session, payment, payment.paid_at, method_id)
    elif target in (PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED):
        await effects.on_refunded(session, payment, newly_refunded)
        if refund is not None:
            await refund_records.note_credit_note(session, payment, refund)
    elif target in UNPAID:
        # a failed payment later cancelled (Stripe's intent closed) is not unpaid twice, but
        # only then gives its promo code back (`effects.on_unpaid`)
        await effects.on_unpaid(session, payment, PaymentStatus(previous))
    moved = labelled(PAYMENT_MOVES, payment.provider, target.value)
    said = {"payment_id": payment.id, "status": target.value, "event_id": update.event_id,
            "operation": operation}  # fmt: skip

    def report() -> None:
        moved.inc()
        log.info("payment.moved", **said)

    after_commit(session, report)
