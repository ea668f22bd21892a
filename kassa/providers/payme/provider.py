"""The Payme provider: a checkout link per payment; Payme then calls kassa's Merchant API.

Payme is inverted: it creates, performs and cancels its transactions by calling kassa
(`kassa.webhooks.payme`), so there is nothing to poll, and refunds of checkout payments are
made in the Payme cabinet, which then calls CancelTransaction.
"""

from __future__ import annotations

from kassa.domain.states import PaymentStatus
from kassa.domain.updates import ProviderUpdate
from kassa.providers.base import (
    NothingToPoll,
    PaymentRequest,
    ProviderPayment,
    ProviderRefund,
    RefundNotSupported,
)
from kassa.providers.payme.checkout import checkout_url
from kassa.providers.registry import ProviderContext


class PaymeProvider:
    name = "payme"
    currencies: frozenset[str] | None = frozenset({"UZS"})

    def __init__(self, ctx: ProviderContext) -> None:
        self.ctx = ctx
        self.merchant_id = ctx.credentials.get("merchant_id")
        self.account_field = ctx.settings.payme_account_field

    async def create(self, request: PaymentRequest) -> ProviderPayment:
        url = checkout_url(
            self.ctx.settings.payme_checkout_host,
            merchant_id=self.merchant_id,
            account_field=self.account_field,
            order_id=request.payment_id,
            amount_tiyin=request.amount,
            return_url=request.return_url,
        )
        return ProviderPayment(provider_payment_id=None, checkout_url=url)

    async def fetch(self, request: PaymentRequest) -> ProviderUpdate:
        raise NothingToPoll("Payme reports every change by calling kassa's Merchant API")

    async def cancel(self, request: PaymentRequest) -> ProviderUpdate:
        """Payme has no merchant-side cancel: the order is closed here, and Payme's later
        Perform for it is refused (-31008), after which Payme cancels its transaction."""
        return ProviderUpdate(
            provider=self.name,
            event_id=f"cancel:{request.payment_id}",
            payment_id=request.payment_id,
            status=PaymentStatus.CANCELLED,
            failure_code="cancelled_by_merchant",
            failure_message="cancelled before payment",
        )

    async def refund(
        self, request: PaymentRequest, amount: int, *, idempotency_key: str
    ) -> ProviderRefund:
        raise RefundNotSupported(
            "Payme checkout payments are refunded in the Payme cabinet; Payme then calls "
            "CancelTransaction and kassa records the refund"
        )
