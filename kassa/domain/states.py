"""The payment state machine, declared as data (one table, consulted everywhere).

The base table is the contract's graph. A provider whose own graph is wider declares a
`StateGraph` with the extra moves its documentation implies (Stripe: a declined
PaymentIntent may still be paid by another card), and `apply_update` consults that graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class PaymentStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    CANCELLED = "cancelled"
    FAILED = "failed"


S = PaymentStatus

# Every allowed move. A partial refund may be followed by more partial refunds
# (partially_refunded -> partially_refunded) as the refunded total grows.
TRANSITIONS: frozenset[tuple[PaymentStatus, PaymentStatus]] = frozenset(
    {
        (S.PENDING, S.PROCESSING),
        (S.PENDING, S.SUCCEEDED),
        (S.PENDING, S.CANCELLED),
        (S.PENDING, S.FAILED),
        (S.PROCESSING, S.SUCCEEDED),
        (S.PROCESSING, S.CANCELLED),
        (S.PROCESSING, S.FAILED),
        (S.SUCCEEDED, S.PARTIALLY_REFUNDED),
        (S.SUCCEEDED, S.REFUNDED),
        (S.PARTIALLY_REFUNDED, S.PARTIALLY_REFUNDED),
        (S.PARTIALLY_REFUNDED, S.REFUNDED),
    }
)

OPEN_STATUSES: frozenset[PaymentStatus] = frozenset({S.PENDING, S.PROCESSING})
PAID_STATUSES: frozenset[PaymentStatus] = frozenset({S.SUCCEEDED, S.PARTIALLY_REFUNDED, S.REFUNDED})
REFUNDED_STATUSES: frozenset[PaymentStatus] = frozenset({S.PARTIALLY_REFUNDED, S.REFUNDED})
REFUNDABLE_STATUSES: frozenset[PaymentStatus] = frozenset({S.SUCCEEDED, S.PARTIALLY_REFUNDED})
FINAL_STATUSES: frozenset[PaymentStatus] = frozenset({S.REFUNDED, S.CANCELLED, S.FAILED})

# A failure the customer may still recover from on the same provider payment: the
# provider can yet report it in progress, paid or cancelled.
RETRYABLE_FAILURE_MOVES: frozenset[tuple[PaymentStatus, PaymentStatus]] = frozenset(
    {(S.FAILED, S.PROCESSING), (S.FAILED, S.SUCCEEDED), (S.FAILED, S.CANCELLED)}
)


@dataclass(frozen=True, slots=True)
class StateGraph:
    """kassa's moves for one provider: the base table plus what the provider adds."""

    extra_moves: frozenset[tuple[PaymentStatus, PaymentStatus]] = field(default=frozenset())

    def can_move(self, current: PaymentStatus, target: PaymentStatus) -> bool:
        return (current, target) in TRANSITIONS or (current, target) in self.extra_moves

    def is_open(self, status: PaymentStatus) -> bool:
        """Still able to become paid: polled by the reconciler, cancellable."""
        return status in OPEN_STATUSES or self.can_move(status, S.SUCCEEDED)

    @property
    def open_statuses(self) -> frozenset[PaymentStatus]:
        return frozenset(s for s in PaymentStatus if self.is_open(s))


BASE_GRAPH = StateGraph()
RETRYABLE_FAILURES = StateGraph(extra_moves=RETRYABLE_FAILURE_MOVES)


def can_move(current: PaymentStatus, target: PaymentStatus) -> bool:
    return BASE_GRAPH.can_move(current, target)
