"""Stripe's PaymentIntent state graph, as Stripe documents it, and kassa's reading of it.

Source: "How PaymentIntents work", https://docs.stripe.com/payments/paymentintents/lifecycle,
and the PaymentIntent object's `status` enum in Stripe's OpenAPI spec (stripe/openapi,
spec3.json). Only `succeeded` and `canceled` are final. A declined attempt
(`payment_intent.payment_failed`) puts the intent back to `requires_payment_method`: the
customer may confirm it again with another card, and `payment_intent.succeeded` follows, so
kassa's `failed` is not final for Stripe (see `GRAPH`). Stripe does not order its events.
"""

from __future__ import annotations

from kassa.domain.states import RETRYABLE_FAILURES, PaymentStatus, StateGraph

S = PaymentStatus

# Stripe's own moves between PaymentIntent statuses (what the emulator allows too).
PI_MOVES: dict[str, frozenset[str]] = {
    "requires_payment_method": frozenset(
        {
            "requires_confirmation",
            "requires_action",
            "processing",
            "requires_capture",
            "succeeded",
            "canceled",
        }
    ),
    "requires_confirmation": frozenset(
        {
            "requires_payment_method",
            "requires_action",
            "processing",
            "requires_capture",
            "succeeded",
            "canceled",
        }
    ),
    "requires_action": frozenset(
        {"requires_payment_method", "processing", "requires_capture", "succeeded", "canceled"}
    ),
    "processing": frozenset({"requires_payment_method", "requires_capture", "succeeded"}),
    "requires_capture": frozenset({"succeeded", "canceled"}),
    "succeeded": frozenset(),
    "canceled": frozenset(),
}
PI_FINAL = frozenset(status for status, moves in PI_MOVES.items() if not moves)

# A PaymentIntent status as a kassa payment status.
PI_STATUSES: dict[str, PaymentStatus] = {
    "requires_payment_method": S.PENDING,
    "requires_confirmation": S.PENDING,
    "requires_action": S.PROCESSING,
    "processing": S.PROCESSING,
    "requires_capture": S.PROCESSING,
    "succeeded": S.SUCCEEDED,
    "canceled": S.CANCELLED,
}

# kassa's graph for Stripe payments: a failure may still end paid or cancelled.
GRAPH: StateGraph = RETRYABLE_FAILURES
