"""Refund arithmetic: what is left to refund and which status a refunded total means."""

from __future__ import annotations

from kassa.domain.states import PaymentStatus


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
