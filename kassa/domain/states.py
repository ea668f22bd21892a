"""The payment state machine, declared as data (one table, consulted everywhere)."""

from __future__ import annotations

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
REFUNDABLE_STATUSES: frozenset[PaymentStatus] = frozenset({S.SUCCEEDED, S.PARTIALLY_REFUNDED})
FINAL_STATUSES: frozenset[PaymentStatus] = frozenset({S.REFUNDED, S.CANCELLED, S.FAILED})


def can_move(current: PaymentStatus, target: PaymentStatus) -> bool:
    return (current, target) in TRANSITIONS


def is_open(status: PaymentStatus) -> bool:
    return status in OPEN_STATUSES
