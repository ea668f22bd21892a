"""Refund arithmetic: what is left to refund, which status a refunded total means, and
which Refund each refund a provider reports is."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kassa.domain.states import PaymentStatus
from kassa.domain.updates import SeenRefund


class RefundTooLarge(ValueError):
    """More was asked than is left on the payment."""


def refundable_amount(paid: int, refunded: int, reserved: int = 0) -> int:
    """What may still be refunded: the paid amount less refunds made and in flight."""
    return max(paid - refunded - reserved, 0)


def choose_refund_amount(requested: int | None, paid: int, refunded: int, reserved: int) -> int:
    left = refundable_amount(paid, refunded, reserved)
    amount = left if requested is None else requested
    if amount <= 0 or amount > left:
        raise RefundTooLarge(f"{amount} asked, {left} left to refund")
    return amount


def status_after_refunds(paid: int, refunded_total: int) -> PaymentStatus:
    if refunded_total <= 0:
        return PaymentStatus.SUCCEEDED
    if refunded_total >= paid:
        return PaymentStatus.REFUNDED
    return PaymentStatus.PARTIALLY_REFUNDED


# -- every refund a Refund ----------------------------------------------------------------
# A provider reports refunds one by one (with its id for each), as a cumulative total, or
# both; kassa's own refund comes back to it the same way. Each refund is recorded once:
# matched to the Refund already held for it, else recorded anew, and the total it reports
# beyond the refunds it names settles refunds waiting for the provider before it becomes
# a Refund of its own.

NEW = "new"  # a step's `refund_id` for a Refund the step records


@dataclass(frozen=True, slots=True)
class KnownRefund:
    """A Refund kassa holds for the payment, as the plan reads it."""

    id: str
    provider_refund_id: str | None
    amount: int
    status: str  # pending | succeeded | failed
    initiated_by: str  # kassa | provider


@dataclass(frozen=True, slots=True)
class RefundStep:
    """One change to the payment's refunds: the Refund `refund_id` (None: a new one) given
    this status and provider id. `counts`: the money went back with this step, so the
    payment's refunded total rises by `amount` (one move of the payment a refund).
    `dropped`: kassa's reservation for a refund already recorded under the provider's id."""

    refund_id: str | None
    amount: int
    status: str
    provider_refund_id: str | None
    counts: bool = False
    dropped: bool = False


@dataclass(frozen=True, slots=True)
class RefundPlan:
    steps: tuple[RefundStep, ...]
    refunded: int  # the payment's refunded total after the steps


@dataclass
class _Row:
    id: str | None
    provider_refund_id: str | None
    amount: int
    status: str
    initiated_by: str


def plan_refunds(
    *,
    paid: int,
    refunded: int,
    known: Sequence[KnownRefund],
    seen: Sequence[SeenRefund],
    reported_total: int | None,
) -> RefundPlan:
    """What the provider's report does to the payment's refunds (`known`, oldest first):
    `seen` are the refunds it names, `reported_total` its cumulative total (None: not
    said). The refunded total never falls; a total above `paid` is the caller's to refuse."""
    rows = [_Row(k.id, k.provider_refund_id, k.amount, k.status, k.initiated_by) for k in known]
    steps: list[RefundStep] = []
    total = refunded

    def change(row: _Row, status: str, provider_refund_id: str | None) -> None:
        nonlocal total
        counts = status == "succeeded" and row.status != "succeeded"
        steps.append(RefundStep(row.id, row.amount, status, provider_refund_id, counts=counts))
        row.status, row.provider_refund_id = status, provider_refund_id
        total += row.amount if counts else 0

    for refund in seen:
        if refund.amount <= 0:
            continue
        row = _matching(rows, refund)
        if row is None:
            if refund.status == "failed":
                continue  # nothing went back, and kassa never asked for it
            row = _Row(None, None, refund.amount, NEW, "provider")
            rows.append(row)
        elif refund.kassa_refund_id and row.id != refund.kassa_refund_id:
            # kassa's refund was recorded already under the provider's id (its echo came
            # first and matched nothing): the reservation goes
            reserved = next((r for r in rows if r.id == refund.kassa_refund_id), None)
            if reserved is not None and reserved.status == "pending":
                steps.append(RefundStep(reserved.id, reserved.amount, "failed",
                                        None, dropped=True))  # fmt: skip
                reserved.status = "failed"
        status = _status_after(row.status, refund.status)
        provider_refund_id = row.provider_refund_id or refund.provider_refund_id
        if (status, provider_refund_id) != (row.status, row.provider_refund_id):
            change(row, status, provider_refund_id)

    if reported_total is not None and min(reported_total, paid) > total:
        gap = min(reported_total, paid) - total
        for row in rows:  # refunds waiting at the provider, oldest first, as far as covered
            if row.status == "pending" and row.amount <= gap:
                gap -= row.amount
                change(row, "succeeded", row.provider_refund_id)
        if gap > 0:  # a refund the provider reports only in its total
            change(_Row(None, None, gap, NEW, "provider"), "succeeded", None)
    return RefundPlan(tuple(steps), total)


def _matching(rows: list[_Row], refund: SeenRefund) -> _Row | None:
    """The Refund the provider's report is of: the one with its id; kassa's own it answers;
    kassa's own still waiting for the provider's answer (the provider's notice of it came
    first); one recorded from a total alone, before the provider named it."""
    if refund.provider_refund_id:
        found = next((r for r in rows if r.provider_refund_id == refund.provider_refund_id), None)
        if found is not None:
            return found
    if refund.kassa_refund_id:
        found = next((r for r in rows if r.id == refund.kassa_refund_id), None)
        if found is not None:
            return found
    unnamed = [r for r in rows if r.provider_refund_id is None and r.amount == refund.amount]
    waiting = next((r for r in unnamed if r.status == "pending"), None)
    if waiting is not None or not refund.provider_refund_id:
        return waiting
    totalled = (r for r in unnamed if r.status == "succeeded" and r.initiated_by == "provider")
    # kassa's own whose answer was lost (its request timed out): the provider did it
    unanswered = (r for r in unnamed if r.status == "failed" and r.initiated_by == "kassa")
    return next(totalled, None) or (
        next(unanswered, None) if refund.status == "succeeded" else None
    )


def _status_after(current: str, reported: str) -> str:
    """Money that went back stays back; a refund waiting at the provider (or one kassa
    gave up on before the provider answered) succeeds or fails there; a new one is as
    reported."""
    if current in (NEW, "pending"):
        return reported
    if current == "failed" and reported == "succeeded":
        return reported
    return current
