"""Stripe's shapes in kassa's language: PaymentIntent statuses and events to ProviderUpdates."""

from __future__ import annotations

from typing import Any

from kassa.domain.states import PaymentStatus
from kassa.domain.updates import ProviderUpdate, SavedMethod, SeenRefund
from kassa.providers.stripe.states import PI_STATUSES

S = PaymentStatus
INTENT_EVENTS = frozenset(
    {
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "payment_intent.canceled",
        "payment_intent.processing",
        "payment_intent.amount_capturable_updated",  # manual capture: authorised
    }
)
SESSION_EVENTS = frozenset({"checkout.session.completed", "checkout.session.expired"})
# A refund, whoever made it (kassa through the API, an operator in the Dashboard): the
# charge's `charge.refunded` carries the cumulative `amount_refunded` (and its `refunds`
# where the charge is sent with them), and `refund.created` / `refund.updated` /
# `refund.failed` the refund itself with its id and `status` (pending, requires_action,
# succeeded, failed, canceled): docs.stripe.com/api/events/types, /api/refunds/object; the
# SDK's V1RefundCreatedEvent, V1RefundUpdatedEvent, V1RefundFailedEvent.
REFUND_EVENTS = frozenset({"refund.created", "refund.updated", "refund.failed"})
HANDLED_EVENTS = INTENT_EVENTS | SESSION_EVENTS | REFUND_EVENTS | {"charge.refunded"}


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
        # an intent naming kassa's payment is the payment's object at Stripe from now on
        supersedes_provider_payment_id=bool(metadata.get("payment_id")),
        saved_method=_saved_method(intent) if succeeded else None,
    )


def _saved_method(intent: dict[str, Any]) -> SavedMethod | None:
    """A succeeded intent with `setup_future_usage` left its PaymentMethod attached to the
    Customer (https://docs.stripe.com/api/payment_intents/object#payment_intent_object-setup_future_usage).
    An event's intent names the method by its id only (an expandable field, as every
    object in an event has it); its card shows in the PaymentMethod object (`card.brand`,
    `card.last4`, `card.exp_month`, `card.exp_year`: docs.stripe.com/api/payment_methods/object),
    which kassa's own retrieve of the intent expands in place of the id
    (docs.stripe.com/api/expanding_objects), and which is retrieved when an event names
    only the id (kassa.services.payments.inbound)."""
    method = intent.get("payment_method")
    if not intent.get("setup_future_usage") or not intent.get("customer") or not method:
        return None
    if isinstance(method, dict):
        card = method.get("card") or {}
        return SavedMethod(
            token=str(method["id"]),
            brand=card.get("brand"),
            last4=card.get("last4"),
            exp_month=card.get("exp_month"),
            exp_year=card.get("exp_year"),
        )
    return SavedMethod(token=str(method))


def session_update(session: dict[str, Any], event_id: str) -> ProviderUpdate:
    """A Checkout Session: paid (its PaymentIntent becomes the payment's Stripe object),
    expired (nothing can be paid on it any more), or still open."""
    paid = session.get("payment_status") == "paid"
    status = {"complete": S.SUCCEEDED if paid else S.PROCESSING, "expired": S.CANCELLED}.get(
        str(session.get("status")), S.PENDING
    )
    intent = session.get("payment_intent")
    return ProviderUpdate(
        provider="stripe",
        event_id=f"{event_id}:{session['id']}:{session.get('status')}",
        payment_id=session.get("client_reference_id") or None,
        provider_payment_id=str(intent) if intent else str(session["id"]),
        status=status,
        amount=int(session.get("amount_total") or 0) if paid else None,
        currency=str(session.get("currency", "")).upper() if paid else None,
        failure_code="expired" if status is S.CANCELLED else None,
        failure_message="the Checkout Session expired" if status is S.CANCELLED else None,
        raw={"session": session.get("status"), "payment_status": session.get("payment_status")},
        supersedes_provider_payment_id=bool(intent),
    )


def event_update(event: dict[str, Any]) -> ProviderUpdate | None:
    """None for events kassa acknowledges and ignores."""
    kind = event.get("type")
    if kind not in HANDLED_EVENTS:
        return None
    obj = event["data"]["object"]
    if kind in SESSION_EVENTS:
        return session_update(obj, str(event["id"]))
    if kind == "charge.refunded":
        listed = obj.get("refunds") or {}
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
            refunds=tuple(seen_refund(r) for r in listed.get("data") or ()),
        )
    if kind in REFUND_EVENTS:
        if not obj.get("payment_intent"):
            return None  # a refund of a charge made without a PaymentIntent: not kassa's
        return ProviderUpdate(
            provider="stripe",
            event_id=str(event["id"]),
            provider_payment_id=str(obj["payment_intent"]),
            status=S.PARTIALLY_REFUNDED,
            raw={"refund": obj.get("id"), "status": obj.get("status")},
            refunds=(seen_refund(obj),),
        )
    return intent_update(obj, str(event["id"]), failed=kind == "payment_intent.payment_failed")


def seen_refund(refund: dict[str, Any]) -> SeenRefund:
    """A Refund object: its money is back once `succeeded`; `failed` and `canceled` gave
    nothing back; `pending` and `requires_action` wait (docs.stripe.com/refunds#refund-statuses)."""
    status = str(refund.get("status"))
    return SeenRefund(
        provider_refund_id=str(refund["id"]),
        amount=int(refund.get("amount") or 0),
        status="succeeded"
        if status == "succeeded"
        else ("failed" if status in ("failed", "canceled") else "pending"),
    )
