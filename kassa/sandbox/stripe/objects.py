"""Stripe's objects as the API returns them: every field Stripe always sends, with the
types and enums of its OpenAPI spec.

Source: the resource fixtures of Stripe's spec (stripe/openapi, openapi/fixtures3.json,
which stripe-mock serves) for the field sets, and the official SDK's typed resources
(stripe-python `_payment_intent.py`, `_charge.py`, …) for types and enums; tests hold
every object here against the SDK (tests/providers/test_stripe_emulator.py). Fields kassa's flows
never fill are present with the value Stripe gives an object without them (null, empty).
"""

from __future__ import annotations

import secrets
import time
from typing import Any

API_VERSION = "2024-06-20"
DOCS = "https://stripe.com/docs/error-codes"


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def now() -> int:
    return int(time.time())


def empty_address() -> dict[str, Any]:
    return dict.fromkeys(("city", "country", "line1", "line2", "postal_code", "state"))


def billing_details() -> dict[str, Any]:
    return {"address": empty_address(), "email": None, "name": None, "phone": None, "tax_id": None}


def listing(url: str, data: list[dict[str, Any]]) -> dict[str, Any]:
    return {"object": "list", "data": data, "has_more": False, "url": url}


def card(brand: str, last4: str, funding: str = "credit") -> dict[str, Any]:
    return {
        "brand": brand,
        "checks": {"address_line1_check": None, "address_postal_code_check": None,
                   "cvc_check": "pass"},
        "country": "US",
        "display_brand": brand,
        "exp_month": 12,
        "exp_year": 2034,
        "fingerprint": secrets.token_hex(8),
        "funding": funding,
        "generated_from": None,
        "last4": last4,
        "networks": {"available": [brand], "preferred": None},
        "regulated_status": "unregulated",
        "three_d_secure_usage": {"supported": True},
        "wallet": None,
    }  # fmt: skip


def payment_method(pm_id: str, brand: str, last4: str, funding: str) -> dict[str, Any]:
    return {
        "id": pm_id,
        "object": "payment_method",
        "allow_redisplay": "unspecified",
        "billing_details": billing_details(),
        "card": card(brand, last4, funding),
        "created": now(),
        "customer": None,
        "customer_account": None,
        "livemode": False,
        "metadata": {},
        "type": "card",
    }


def customer(params: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": new_id("cus"),
        "object": "customer",
        "address": None,
        "balance": 0,
        "created": now(),
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "description": params.get("description"),
        "discount": None,
        "email": params.get("email"),
        "invoice_prefix": secrets.token_hex(4).upper(),
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": params.get("metadata") or {},
        "name": params.get("name"),
        "next_invoice_sequence": 1,
        "phone": None,
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
    }


def payment_intent(params: dict[str, Any], amount: int, currency: str) -> dict[str, Any]:
    pi_id = new_id("pi")
    automatic = params.get("automatic_payment_methods") or {}
    return {
        "id": pi_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": 0,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": (
            {"allow_redirects": "always", "enabled": True}
            if str(automatic.get("enabled")) == "true"
            else None
        ),
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": params.get("capture_method") or "automatic_async",
        "client_secret": f"{pi_id}_secret_{secrets.token_hex(12)}",
        "confirmation_method": params.get("confirmation_method") or "automatic",
        "created": now(),
        "currency": currency,
        "customer": params.get("customer"),
        "customer_account": None,
        "description": params.get("description"),
        "excluded_payment_method_types": None,
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "managed_payments": None,
        "metadata": params.get("metadata") or {},
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": None,
        "payment_method_configuration_details": None,
        "payment_method_options": {
            "card": {"installments": None, "mandate_options": None, "network": None,
                     "request_three_d_secure": "automatic"}
        },
        "payment_method_types": params.get("payment_method_types") or ["card"],
        "processing": None,
        "receipt_email": params.get("receipt_email"),
        "review": None,
        "setup_future_usage": params.get("setup_future_usage"),
        "shipping": None,
        "source": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "requires_payment_method",
        "transfer_data": None,
        "transfer_group": None,
    }  # fmt: skip


def charge(intent: dict[str, Any], method: dict[str, Any], *, paid: bool) -> dict[str, Any]:
    """One attempt to move the intent's money: succeeded, or failed with the decline."""
    captured = paid and intent["capture_method"] != "manual"
    ch_id = new_id("ch")
    pm_card = method["card"]
    return {
        "id": ch_id,
        "object": "charge",
        "amount": intent["amount"],
        "amount_captured": intent["amount"] if captured else 0,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": new_id("txn") if captured else None,
        "billing_details": billing_details(),
        "calculated_statement_descriptor": "KASSA SANDBOX",
        "captured": captured,
        "created": now(),
        "currency": intent["currency"],
        "customer": intent["customer"],
        "description": intent["description"],
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": None if paid else "card_declined",
        "failure_message": None if paid else "Your card was declined.",
        "fraud_details": {},
        "livemode": False,
        "metadata": {},
        "on_behalf_of": None,
        "outcome": {
            "advice_code": None,
            "network_advice_code": None,
            "network_decline_code": None,
            "network_status": "approved_by_network" if paid else "declined_by_network",
            "reason": None if paid else "generic_decline",
            "risk_level": "normal",
            "seller_message": "Payment complete."
            if paid
            else "The bank did not return any further details with this decline.",
            "type": "authorized" if paid else "issuer_declined",
        },
        "paid": paid,
        "payment_intent": intent["id"],
        "payment_method": method["id"],
        "payment_method_details": {
            "card": {
                "amount_authorized": intent["amount"] if paid else None,
                "brand": pm_card["brand"],
                "checks": pm_card["checks"],
                "country": pm_card["country"],
                "exp_month": pm_card["exp_month"],
                "exp_year": pm_card["exp_year"],
                "fingerprint": pm_card["fingerprint"],
                "funding": pm_card["funding"],
                "last4": pm_card["last4"],
                "mandate": None,
                "network": pm_card["brand"],
                "three_d_secure": None,
                "wallet": None,
            },
            "type": "card",
        },
        "receipt_email": None,
        "receipt_number": None,
        "receipt_url": None,
        "refunded": False,
        "refunds": listing(f"/v1/charges/{ch_id}/refunds", []),
        "review": None,
        "shipping": None,
        "source": None,
        "source_transfer": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "succeeded" if paid else "failed",
        "transfer_data": None,
        "transfer_group": None,
    }


def refund(ch: dict[str, Any], amount: int, reason: str | None) -> dict[str, Any]:
    return {
        "id": new_id("re"),
        "object": "refund",
        "amount": amount,
        "balance_transaction": new_id("txn"),
        "charge": ch["id"],
        "created": now(),
        "currency": ch["currency"],
        "customer": ch["customer"],
        "customer_account": None,
        "destination_details": {"card": {"reference_status": "pending", "reference_type":
                                "acquirer_reference_number", "type": "refund"}, "type": "card"},
        "metadata": {},
        "payment_intent": ch["payment_intent"],
        "payment_method": ch["payment_method"],
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }  # fmt: skip


def card_error(
    method: dict[str, Any], ch: dict[str, Any], decline_code: str | None = None
) -> dict[str, Any]:
    """A declined card, as Stripe puts it in the 402 answer and in last_payment_error. An
    off-session charge of a card that wants 3-D Secure is `authentication_required`, in
    both code and decline_code (https://docs.stripe.com/declines/codes)."""
    needs_customer = decline_code == "authentication_required"
    return {
        "charge": ch["id"],
        "code": "authentication_required" if needs_customer else "card_declined",
        "decline_code": decline_code or "generic_decline",
        "doc_url": f"{DOCS}/authentication-required" if needs_customer else f"{DOCS}/card-declined",
        "message": "Your card was declined.",
        "payment_method": method,
        "type": "card_error",
    }


def event(
    kind: str, obj: dict[str, Any], request_id: str | None, key: str | None
) -> dict[str, Any]:
    return {
        "id": new_id("evt"),
        "object": "event",
        "api_version": API_VERSION,
        "created": now(),
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": request_id, "idempotency_key": key},
        "type": kind,
    }


def checkout_session(
    params: dict[str, Any], amount: int, currency: str, url: str, expires_at: int
) -> dict[str, Any]:
    return {
        "id": f"cs_test_{secrets.token_hex(24)}",
        "object": "checkout.session",
        "adaptive_pricing": None,
        "after_expiration": None,
        "allow_promotion_codes": None,
        "amount_subtotal": amount,
        "amount_total": amount,
        "automatic_tax": {"enabled": False, "liability": None, "provider": None, "status": None},
        "billing_address_collection": None,
        "cancel_url": params.get("cancel_url"),
        "client_reference_id": params.get("client_reference_id"),
        "client_secret": None,
        "collected_information": None,
        "consent": None,
        "consent_collection": None,
        "created": now(),
        "currency": currency,
        "currency_conversion": None,
        "custom_fields": [],
        "custom_text": {"after_submit": None, "shipping_address": None, "submit": None,
                        "terms_of_service_acceptance": None},
        "customer": params.get("customer"),
        "customer_account": None,
        "customer_creation": None if params.get("customer") else "if_required",
        "customer_details": None,
        "customer_email": params.get("customer_email"),
        "discounts": [],
        "expires_at": expires_at,
        "integration_identifier": None,
        "invoice": None,
        "invoice_creation": {"enabled": False, "invoice_data": {
            "account_tax_ids": None, "custom_fields": None, "description": None, "footer": None,
            "issuer": None, "metadata": {}, "rendering_options": None}},
        "livemode": False,
        "locale": None,
        "managed_payments": None,
        "metadata": params.get("metadata") or {},
        "mode": "payment",
        "origin_context": None,
        "payment_intent": None,
        "payment_link": None,
        "payment_method_collection": "if_required",
        "payment_method_configuration_details": None,
        "payment_method_options": {},
        "payment_method_types": ["card"],
        "payment_status": "unpaid",
        "permissions": None,
        "phone_number_collection": {"enabled": False},
        "recovered_from": None,
        "saved_payment_method_options": None,
        "setup_intent": None,
        "shipping_address_collection": None,
        "shipping_cost": None,
        "shipping_options": [],
        "status": "open",
        "submit_type": None,
        "subscription": None,
        "success_url": params.get("success_url"),
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": None,
        "url": url,
        "wallet_options": None,
    }  # fmt: skip
