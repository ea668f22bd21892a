"""The YooKassa provider: every call through the official SDK (see `sdk` for how it is run),
with amounts as exact decimal strings and YooKassa's Idempotence-Key derived from kassa's."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from yookassa import Payment as YooPayment
from yookassa import Receipt as YooReceipt
from yookassa import Refund as YooRefund

from kassa.domain.money import to_decimal_string
from kassa.domain.updates import ProviderUpdate, SeenRefund
from kassa.providers.base import (
    CancelNotSupported,
    PaymentRequest,
    ProviderContext,
    ProviderFailure,
    ProviderPayment,
    ProviderRefund,
)
from kassa.providers.yookassa import receipts, sdk
from kassa.providers.yookassa.mapping import payment_update, seen_refund
from kassa.providers.yookassa.states import CANCELLABLE


class YooKassaProvider:
    name = "yookassa"
    currencies: frozenset[str] | None = frozenset({"RUB", "USD", "EUR", "KZT", "BYN", "UZS"})
    saves_methods = True  # keeps the card a payment is made with, when asked

    def request_problem(self, request: PaymentRequest) -> str | None:
        """A shop that sends 54-FZ receipts needs each line's Russian fiscal data and the
        buyer's e-mail or phone, before YooKassa is asked."""
        if not self.sends_receipts:
            return None
        if receipts.missing_fiscal(request.lines):
            return (
                "fiscal: this shop sends 54-FZ receipts; the tariff or items need vat_code, "
                "payment_subject and payment_mode"
            )
        if not (request.email or request.phone):
            return "email: this shop sends 54-FZ receipts; give the buyer's email or phone"
        return None

    def __init__(self, ctx: ProviderContext) -> None:
        self.ctx = ctx
        settings = ctx.settings
        self.sends_receipts = receipts.enabled(ctx.credentials.values.get("receipts"))
        self.access = sdk.ShopAccess(
            shop_id=ctx.credentials.get("shop_id"),
            secret_key=ctx.credentials.get("secret_key"),
            api_url=ctx.credentials.values.get("api_url")
            or settings.value("YOOKASSA_API_URL")
            or "",
            timeout=settings.provider_timeout_seconds,
        )

    async def _payment(self, action: str, fn: Any) -> dict[str, Any]:
        """The SDK's response object as plain JSON (its Decimals as strings)."""
        response = await sdk.call(self.access, action, fn)
        data: dict[str, Any] = json.loads(response.json())
        return data

    async def create(self, request: PaymentRequest) -> ProviderPayment:
        capture = request.metadata.get("capture") is not False
        params: dict[str, Any] = {
            "amount": {
                "value": to_decimal_string(request.amount, request.currency),
                "currency": request.currency,
            },
            "capture": capture,
            "metadata": {"payment_id": request.payment_id},
        }
        if request.method_token:
            # an autopayment: the saved method is charged without the customer
            # (https://yookassa.ru/developers/payment-acceptance/scenario-extensions/recurring-payments/pay-with-saved)
            params["payment_method_id"] = request.method_token
        else:
            params["confirmation"] = {
                "type": "redirect",
                "return_url": request.return_url or f"{self.ctx.settings.public_url}/",
            }
            if request.save_method:
                params["save_payment_method"] = True
        if request.description:
            params["description"] = request.description[:128]
        if self.sends_receipts:
            params["receipt"] = receipts.for_payment(
                request.lines, request.currency, request.email, request.phone
            )
        key = f"kassa-{request.idempotency_key or request.payment_id}"
        data = await self._payment("create", lambda: YooPayment.create(params, key))
        confirmation = data.get("confirmation") or {}
        initial = None
        if data.get("status") != "pending":
            initial = payment_update(data, "create")
        return ProviderPayment(
            provider_payment_id=str(data["id"]),
            checkout_url=confirmation.get("confirmation_url"),
            initial=initial,
        )

    def _require_id(self, request: PaymentRequest) -> str:
        if not request.provider_payment_id:
            raise ProviderFailure("YooKassa: the payment has no YooKassa id yet", retryable=False)
        return request.provider_payment_id

    async def read(self, provider_payment_id: str, event_prefix: str) -> ProviderUpdate:
        """The payment, and once anything of it was refunded its refunds: each a Refund in
        kassa, whoever made it (kassa, or an operator in YooKassa's cabinet)."""
        data = await self._payment("read", lambda: YooPayment.find_one(provider_payment_id))
        refunded = (data.get("refunded_amount") or {}).get("value")
        refunds: tuple[SeenRefund, ...] = ()
        if refunded and Decimal(str(refunded)) > 0:
            refunds = await self._refunds(provider_payment_id)
        return payment_update(data, event_prefix, refunds)

    async def _refunds(self, provider_payment_id: str) -> tuple[SeenRefund, ...]:
        """The payment's refunds: GET /v3/refunds?payment_id=… ("Список возвратов",
        https://yookassa.ru/developers/api#get_refunds_list; the SDK's `Refund.list`),
        newest first, a page at a time (`next_cursor`)."""
        found: list[SeenRefund] = []
        params: dict[str, Any] = {"payment_id": provider_payment_id, "limit": 100}
        for _ in range(20):  # 2,000 refunds of one payment: more would be no payment's
            page = await self._payment("refunds", lambda: YooRefund.list(dict(params)))
            for item in page.get("items") or ():
                refund = seen_refund(item, sends_receipts=self.sends_receipts)
                if refund is not None:
                    found.append(refund)
            if not page.get("next_cursor"):
                break
            params["cursor"] = page["next_cursor"]
        return tuple(reversed(found))  # oldest first

    async def fetch(self, request: PaymentRequest) -> ProviderUpdate:
        return await self.read(self._require_id(request), "poll")

    async def cancel(self, request: PaymentRequest) -> ProviderUpdate:
        """YooKassa cancels only `waiting_for_capture` payments; a `pending` one cannot be
        cancelled by the shop and expires by itself (https://yookassa.ru/developers/api#cancel_payment)."""
        pid = self._require_id(request)
        current = await self._payment("read", lambda: YooPayment.find_one(pid))
        if current.get("status") == "pending":
            raise CancelNotSupported(
                "YooKassa cannot cancel a payment the customer has not paid; it expires by itself"
            )
        if current.get("status") not in CANCELLABLE:
            return payment_update(current, "cancel")
        data = await self._payment("cancel", lambda: YooPayment.cancel(pid, f"kassa-cancel-{pid}"))
        return payment_update(data, "cancel")

    async def capture(self, request: PaymentRequest) -> ProviderUpdate:
        pid = self._require_id(request)
        params = {
            "amount": {
                "value": to_decimal_string(request.amount, request.currency),
                "currency": request.currency,
            }
        }
        data = await self._payment(
            "capture", lambda: YooPayment.capture(pid, params, f"kassa-capture-{pid}")
        )
        return payment_update(data, "capture")

    async def refund(
        self, request: PaymentRequest, amount: int, *, idempotency_key: str
    ) -> ProviderRefund:
        pid = self._require_id(request)
        params = {
            "payment_id": pid,
            "amount": {
                "value": to_decimal_string(amount, request.currency),
                "currency": request.currency,
            },
        }
        if self.sends_receipts:
            params["receipt"] = receipts.for_refund(
                request.lines, amount, request.currency, request.email, request.phone
            )
        data = await self._payment(
            "refund", lambda: YooRefund.create(params, f"kassa-{idempotency_key}")
        )
        return ProviderRefund(
            provider_refund_id=str(data.get("id")),
            amount=amount,
            succeeded=data.get("status") == "succeeded",
        )

    async def refund_receipt(
        self, request: PaymentRequest, provider_refund_id: str, amount: int
    ) -> dict[str, Any]:
        """The 54-FZ receipt kassa sends with its own refunds, for a refund made without one
        (a partial refund in YooKassa's cabinet): POST /v3/receipts, `type: refund`, naming
        the refund, sent to the customer, settled cashless ("Создание чека",
        https://yookassa.ru/developers/api#create_receipt; "Receipts for refunds",
        https://yookassa.ru/developers/payment-acceptance/scenario-extensions/54fz/refunds;
        the SDK's ReceiptRequest wants type, send, customer, items and settlements)."""
        value = {"value": to_decimal_string(amount, request.currency), "currency": request.currency}
        params = {
            **receipts.for_refund(
                request.lines, amount, request.currency, request.email, request.phone
            ),
            "type": "refund",
            "refund_id": provider_refund_id,
            "send": True,
            "settlements": [{"type": "cashless", "amount": value}],
        }
        data = await self._payment(
            "receipt", lambda: YooReceipt.create(params, f"kassa-receipt-{provider_refund_id}")
        )
        return {
            "receipt_id": str(data.get("id") or ""),
            "status": str(data.get("status") or "pending"),
            "date": data.get("registered_at"),
            "terminal_id": data.get("fiscal_storage_number"),
            "fiscal_sign": data.get("fiscal_attribute"),
        }
