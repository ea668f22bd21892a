"""YooKassa's payment objects in kassa's language."""

from __future__ import annotations

from typing import Any

from kassa.domain.money import MoneyError, from_decimal_string
from kassa.domain.states import PaymentStatus
from kassa.domain.updates import ProviderUpdate, SavedMethod, SeenRefund
from kassa.providers.yookassa.states import STATUSES

S = PaymentStatus


def _minor(amount: dict[str, Any] | None) -> tuple[int | None, str | None]:
    if not amount:
        return None, None
    currency = str(amount.get("currency", "")).upper()
    try:
        return from_decimal_string(str(amount.get("value", "")), currency), currency
    except MoneyError:
        return -1, currency  # never equal to a payment's amount: the update is rejected


def payment_update(
    payment: dict[str, Any], event_prefix: str, refunds: tuple[SeenRefund, ...] = ()
) -> ProviderUpdate:
    """A payment as the YooKassa API reports it (never a notification's own body), with
    its refunds as the API lists them (`refunds`)."""
    status = STATUSES.get(str(payment.get("status")), S.PENDING)
    amount, currency = _minor(payment.get("amount"))
    refunded, _ = _minor(payment.get("refunded_amount"))
    details = payment.get("cancellation_details") or {}
    metadata = payment.get("metadata") or {}
    paid = status is S.SUCCEEDED
    if paid and refunded and refunded > 0:
        status = S.PARTIALLY_REFUNDED
    return ProviderUpdate(
        provider="yookassa",
        event_id=f"{event_prefix}:{payment['id']}:{payment.get('status')}:{refunded or 0}",
        payment_id=metadata.get("payment_id") or None,
        provider_payment_id=str(payment["id"]),
        status=status,
        # what was captured, whenever the payment is paid (checked before it counts as paid)
        amount=amount if paid else None,
        currency=currency if paid else None,
        refunded_amount=refunded if refunded and refunded > 0 else None,
        failure_code=details.get("reason") if status is S.CANCELLED else None,
        failure_message=f"cancelled by {details.get('party')}" if details else None,
        raw={"status": payment.get("status")},
        saved_method=_saved_method(payment) if paid else None,
        refunds=refunds,
    )


def seen_refund(refund: dict[str, Any], *, sends_receipts: bool) -> SeenRefund | None:
    """A refund object (https://yookassa.ru/developers/api#refund_object): `succeeded`
    gave the money back, `canceled` did not, `pending` waits. `receipt_registration` is
    there when YooKassa registers its 54-FZ receipt (kassa sent one with it, or YooKassa
    made it for a full refund); a refund made without one in a shop that sends receipts
    still needs its receipt."""
    amount, _ = _minor(refund.get("amount"))
    if not refund.get("id") or amount is None or amount <= 0:
        return None
    status = str(refund.get("status"))
    return SeenRefund(
        provider_refund_id=str(refund["id"]),
        amount=amount,
        status="succeeded"
        if status == "succeeded"
        else ("failed" if status == "canceled" else "pending"),
        needs_receipt=sends_receipts and not refund.get("receipt_registration"),
    )


def _saved_method(payment: dict[str, Any]) -> SavedMethod | None:
    """`payment_method.saved` is true when the payment saved its method for autopayments;
    `payment_method.id` is then what a later payment names in `payment_method_id`."""
    method = payment.get("payment_method") or {}
    if not method.get("saved") or not method.get("id"):
        return None
    card = method.get("card") or {}

    def number(value: Any) -> int | None:
        return int(value) if str(value or "").isdigit() else None

    return SavedMethod(
        token=str(method["id"]),
        brand=card.get("card_type"),
        last4=card.get("last4"),
        exp_month=number(card.get("expiry_month")),
        exp_year=number(card.get("expiry_year")),
    )
