"""Stripe's shapes in kassa's language: PaymentIntent statuses and events to ProviderUpdates."""

from __future__ import annotations

from typing import Any

from kassa.domain.states import PaymentStatus
from kassa.domain.updates import ProviderUpdate
from kassa.providers.stripe.states import PI_STATUSES

S = PaymentStatus
HANDLED_EVENTS = frozenset(
    {
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "payment_intent.canceled",
        "payment_intent.processing",
        "charge.refunded",
    }
)


def intent_update(intent: dict[str, Any], event_id: str, *, failed: bool = False) -> ProviderUpdate:
    """A PaymentIntent as kassa sees it; `failed` marks a payment_failed event (Stripe puts
    the intent back to requires_payment_method with a last_payment_error)."""
    status = S.FAILED if failed else PI_STATUSES.get(str(intent.get("status")), S.PENDING)
    error = intent.get("last_payment_error") or {}
    metadata = intent.get("metadata") or {}
    succeeded = status is S.SUCCEEDED
    return ProviderUpdate(
        provider="stripe",
        event_id=event_id,
        payment_id=metadata.get("payment_id") or None,
        provider_payment_id=str(intent["id"]),
        status=status,
        amount=int(intent.get("amount_received") or intent.get("amount") or 0)
        if succeeded
        else None,
        currency=str(intent.get("currency", "")).upper() if succeeded else None,
        failure_code=(error.get("decline_code") or error.get("code") or "payment_failed")
        if failed
        else ("canceled" if status is S.CANCELLED else None),
        failure_message=error.get("message") if failed else intent.get("cancellation_reason"),
        raw={"status": intent.get("status")},
    )


def event_update(event: dict[str, Any]) -> ProviderUpdate | None:
    """None for events kassa acknowledges and ignores."""
    kind = event.get("type")
    if kind not in HANDLED_EVENTS:
        return None
    obj = event["data"]["object"]
    if kind == "charge.refunded":
        return ProviderUpdate(
            provider="stripe",
            event_id=str(event["id"]),
            provider_payment_id=str(obj["payment_intent"]),
            status=S.PARTIALLY_REFUNDED,
            # the charge says what was captured: checked if this arrives before the success
            amount=int(obj.get("amount_captured") or obj.get("amount") or 0) or None,
            refunded_amount=int(obj.get("amount_refunded") or 0),
            currency=str(obj.get("currency", "")).upper() or None,
            raw={"charge": obj.get("id")},
        )
    return intent_update(obj, str(event["id"]), failed=kind == "payment_intent.payment_failed")
