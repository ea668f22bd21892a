"""The Click provider: payments are Click checkout links; Click then calls kassa's SHOP API
(`inbound`), and refunds and status go through Click's Merchant API (docs.click.uz,
"Merchant API": `Auth: merchant_user_id:digest:timestamp`, digest = SHA1 of timestamp +
secret key; `GET payment/status/{service_id}/{payment_id}`, `DELETE
payment/reversal/{service_id}/{payment_id}`, where the payment id is Click's transaction)."""

from __future__ import annotations

import hashlib
import time
from typing import Any
from urllib.parse import urlencode

import httpx

from kassa.domain.money import to_decimal_string
from kassa.domain.updates import ProviderUpdate
from kassa.providers.base import (
    NothingToPoll,
    PaymentRequest,
    ProviderContext,
    ProviderFailure,
    ProviderPayment,
    ProviderRefund,
    RefundNotSupported,
    closed_by_merchant,
)


class ClickProvider:
    name = "click"
    currencies: frozenset[str] | None = frozenset({"UZS"})

    def __init__(self, ctx: ProviderContext) -> None:
        self.ctx = ctx
        creds = ctx.credentials
        self.service_id = creds.get("service_id")
        self.merchant_id = creds.get("merchant_id")
        self.checkout_url = creds.get("checkout_url").rstrip("/")
        self.api_url = creds.get("api_url").rstrip("/")

    def creates_offline(self, request: PaymentRequest) -> bool:
        """A checkout link is computed, not fetched."""
        return True

    async def create(self, request: PaymentRequest) -> ProviderPayment:
        query = {
            "service_id": self.service_id,
            "merchant_id": self.merchant_id,
            "amount": to_decimal_string(request.amount, "UZS"),
            "transaction_param": request.payment_id,
        }
        if request.return_url:
            query["return_url"] = request.return_url
        link = f"{self.checkout_url}/services/pay?{urlencode(query)}"
        return ProviderPayment(provider_payment_id=None, checkout_url=link)

    def _auth(self) -> dict[str, str]:
        timestamp = str(int(time.time()))
        secret = self.ctx.credentials.get("secret_key")
        digest = hashlib.sha1((timestamp + secret).encode(), usedforsecurity=False).hexdigest()
        user = self.ctx.credentials.get("merchant_user_id")
        return {"Auth": f"{user}:{digest}:{timestamp}", "Accept": "application/json"}

    async def _merchant_api(self, method: str, path: str) -> dict[str, Any]:
        url = f"{self.api_url}/{path}"
        try:
            response = await self.ctx.http.request(
                method,
                url,
                headers=self._auth(),
                timeout=self.ctx.settings.provider_timeout_seconds,
            )
        except httpx.HTTPError as exc:
            raise ProviderFailure(
                f"Click: could not reach the Click Merchant API at {url}"
            ) from exc
        try:
            body: dict[str, Any] = response.json()
        except ValueError as exc:
            raise ProviderFailure(f"Click: HTTP {response.status_code} without an answer") from exc
        if response.status_code >= 500:
            raise ProviderFailure(f"Click: HTTP {response.status_code}")
        if int(body.get("error_code", -1)) != 0:
            raise ProviderFailure(
                f"Click: {body.get('error_note') or 'refused'} ({body.get('error_code')})"[:300],
                retryable=False,
                code="click_refused",
            )
        return body

    async def fetch(self, request: PaymentRequest) -> ProviderUpdate:
        raise NothingToPoll("Click reports every payment by calling kassa's SHOP API")

    async def cancel(self, request: PaymentRequest) -> ProviderUpdate:
        """Click cancels nothing for the merchant: the order is closed here, and Click's
        later Prepare or Complete for it is refused (-9)."""
        return closed_by_merchant(self.name, request)

    async def refund(
        self, request: PaymentRequest, amount: int, *, idempotency_key: str
    ) -> ProviderRefund:
        """Click reverses a payment whole (payment reversal)."""
        if not request.provider_payment_id:
            raise ProviderFailure("Click: the payment has no Click transaction", retryable=False)
        if amount != request.amount:
            raise RefundNotSupported("Click reverses a payment only in full")
        path = f"payment/reversal/{self.service_id}/{request.provider_payment_id}"
        body = await self._merchant_api("DELETE", path)
        return ProviderRefund(provider_refund_id=str(body.get("payment_id") or ""), amount=amount)
