"""The Payme provider.

Checkout payments: kassa makes a checkout link; Payme then creates, performs and cancels its
transaction by calling kassa's Merchant API (`inbound`), so there is nothing to
poll, and refunds are made in the Payme cabinet, which calls CancelTransaction.

Saved-card payments (Subscribe API): a receipt is created and paid with the card's token at
once; it can be polled (receipts.check) and refunded in full (receipts.cancel).
"""

from __future__ import annotations

import asyncio
import re
import time
from datetime import timedelta
from typing import Any

from kassa.domain.states import PaymentStatus
from kassa.domain.updates import ProviderUpdate
from kassa.providers.base import (
    NothingToPoll,
    PaymentRequest,
    ProviderContext,
    ProviderFailure,
    ProviderPayment,
    ProviderRefund,
    RefundNotSupported,
    SavedCard,
    closed_by_merchant,
)
from kassa.providers.payme import fiscal
from kassa.providers.payme.checkout import checkout_url
from kassa.providers.payme.subscribe import (
    RECEIPT_CANCEL_QUEUED,
    RECEIPT_CANCELLED,
    RECEIPT_PAID,
    SubscribeClient,
)

_EXPIRE_RE = re.compile(r"^(\d{2})/?(\d{2})$")
REFUND_QUEUE_WAIT = 3.0  # seconds a refund waits for Payme's cancel queue
_BRANDS = {"8600": "uzcard", "5614": "uzcard", "9860": "humo"}


def receipt_status(receipt: dict[str, Any]) -> PaymentStatus:
    """A receipt's state in kassa's terms. A receipt cancelled after it was paid (it has a
    pay_time) is a refund: queued (20, 21) it is still paid, at 50 the money went back."""
    state = int(receipt["state"])
    was_paid = bool(receipt.get("pay_time"))
    if state == RECEIPT_PAID or (was_paid and state in RECEIPT_CANCEL_QUEUED):
        return PaymentStatus.SUCCEEDED
    if state == RECEIPT_CANCELLED:
        return PaymentStatus.REFUNDED if was_paid else PaymentStatus.CANCELLED
    return PaymentStatus.PROCESSING if state > 0 else PaymentStatus.PENDING


RECEIPT_CREATED = 0  # a receipt not yet paid (receipts' states: payme-details.md, D-rstate)
RESUME_WINDOW = timedelta(days=7)  # how far back a resumed charge looks for its receipt


def _account_values(account: Any) -> set[str]:
    """A receipt's account: Payme answers a list of {name, title, value}; a dict is read too."""
    if isinstance(account, dict):
        return {str(v) for v in account.values()}
    if isinstance(account, list):
        return {str(item.get("value")) for item in account if isinstance(item, dict)}
    return set()


class PaymeProvider:
    name = "payme"
    currencies: frozenset[str] | None = frozenset({"UZS"})

    def __init__(self, ctx: ProviderContext) -> None:
        self.ctx = ctx
        self.merchant_id = ctx.credentials.get("merchant_id")
        self.account_field = ctx.settings.value("PAYME_ACCOUNT_FIELD") or ""

    def _subscribe(self) -> SubscribeClient:
        return SubscribeClient(
            self.ctx.http,
            self.ctx.settings.value("PAYME_SUBSCRIBE_URL") or "",
            self.merchant_id,
            self.ctx.credentials.get("secret_key"),
        )

    def creates_offline(self, request: PaymentRequest) -> bool:
        """A checkout link is computed, not fetched (a saved card's receipt is a call)."""
        return request.method_token is None

    async def create(self, request: PaymentRequest) -> ProviderPayment:
        if request.method_token:
            return await self._pay_with_card(request, request.method_token)
        url = checkout_url(
            self.ctx.settings.value("PAYME_CHECKOUT_URL") or "",
            merchant_id=self.merchant_id,
            account_field=self.account_field,
            order_id=request.payment_id,
            amount_tiyin=request.amount,
            return_url=request.return_url,
        )
        return ProviderPayment(provider_payment_id=None, checkout_url=url)

    async def _pay_with_card(self, request: PaymentRequest, token: str) -> ProviderPayment:
        """receipts.create, then receipts.pay. The Subscribe API takes no idempotency key:
        an attempt that may have reached Payme before (`resumed`) first looks for the
        receipt it made for this order, so a retried renewal never pays twice."""
        client = self._subscribe()
        receipt = await self._earlier_receipt(client, request) if request.resumed else None
        if receipt is not None and int(receipt["state"]) != RECEIPT_CREATED:
            receipt_id = str(receipt["_id"])
            return ProviderPayment(
                provider_payment_id=receipt_id,
                initial=self._receipt_update(request, receipt_id, receipt),
            )
        if receipt is None:
            receipt = await client.receipt_create(
                request.amount,
                {self.account_field: request.payment_id},
                request.description,
                fiscal.detail(request.lines),
            )
        receipt_id = str(receipt["_id"])
        try:
            paid = await client.receipt_pay(receipt_id, token)
        except ProviderFailure as exc:
            exc.provider_payment_id = receipt_id
            raise
        return ProviderPayment(
            provider_payment_id=receipt_id,
            initial=self._receipt_update(request, receipt_id, paid),
        )

    async def _earlier_receipt(
        self, client: SubscribeClient, request: PaymentRequest
    ) -> dict[str, Any] | None:
        """The newest receipt of the last RESUME_WINDOW naming this order, if any."""
        end = int(time.time() * 1000)
        start = end - int(RESUME_WINDOW.total_seconds() * 1000)
        mine = [
            r
            for r in await client.receipts_between(start, end)
            if request.payment_id in _account_values(r.get("account"))
        ]
        return max(mine, key=lambda r: int(r.get("create_time") or 0)) if mine else None

    def _receipt_update(
        self, request: PaymentRequest, receipt_id: str, receipt: dict[str, Any]
    ) -> ProviderUpdate:
        status = receipt_status(receipt)
        paid = status in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED)
        amount = int(receipt.get("amount") or request.amount)
        return ProviderUpdate(
            provider=self.name,
            event_id=f"receipt:{receipt_id}:{receipt['state']}",
            payment_id=request.payment_id,
            provider_payment_id=receipt_id,
            status=status,
            amount=amount if paid else None,
            currency="UZS" if paid else None,
            refunded_amount=amount if status is PaymentStatus.REFUNDED else None,
            raw={"receipt_state": receipt["state"]},
        )

    async def fetch(self, request: PaymentRequest) -> ProviderUpdate:
        if not request.method_token or not request.provider_payment_id:
            raise NothingToPoll("Payme reports every change by calling kassa's Merchant API")
        receipt = await self._subscribe().receipt_get(request.provider_payment_id)
        return self._receipt_update(request, request.provider_payment_id, receipt)

    async def cancel(self, request: PaymentRequest) -> ProviderUpdate:
        """Payme has no merchant-side cancel of a checkout payment: the order is closed here,
        and Payme's later Perform for it is refused (-31008)."""
        if request.method_token and request.provider_payment_id:
            await self._subscribe().receipt_cancel(request.provider_payment_id)
        return closed_by_merchant(self.name, request)

    async def refund(
        self, request: PaymentRequest, amount: int, *, idempotency_key: str
    ) -> ProviderRefund:
        if not request.method_token or not request.provider_payment_id:
            raise RefundNotSupported(
                "Payme checkout payments are refunded in the Payme cabinet; Payme then calls "
                "CancelTransaction and kassa records the refund"
            )
        if amount != request.amount:
            raise RefundNotSupported("Payme cancels a paid receipt only in full")
        client = self._subscribe()
        receipt = await client.receipt_cancel(request.provider_payment_id)
        # A paid receipt waits in Payme's cancel queue (21) before the money goes back (50):
        # wait a little for it; still queued, the refund stays pending and a later sync of
        # the payment finishes it.
        deadline = time.monotonic() + min(
            REFUND_QUEUE_WAIT, self.ctx.settings.provider_timeout_seconds
        )
        while int(receipt["state"]) in RECEIPT_CANCEL_QUEUED and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            receipt = await client.receipt_get(request.provider_payment_id)
        return ProviderRefund(
            provider_refund_id=request.provider_payment_id,
            amount=amount,
            succeeded=int(receipt["state"]) == RECEIPT_CANCELLED,
        )

    async def attach_method(self, token: str, customer_ref: str | None) -> SavedCard:
        card = await self._subscribe().card_check(token)
        if not card.get("verify") or not card.get("recurrent"):
            raise ProviderFailure(
                "the Payme card is not verified for repeat payments",
                retryable=False,
                created_nothing=True,
                code="card_not_verified",
            )
        number = str(card.get("number", ""))
        match = _EXPIRE_RE.match(str(card.get("expire", "")))
        return SavedCard(
            token=str(card.get("token") or token),
            brand=_BRANDS.get(number[:4], "payme"),
            last4=number[-4:] if number[-4:].isdigit() else None,
            exp_month=int(match.group(1)) if match else None,
            exp_year=2000 + int(match.group(2)) if match else None,
        )

    async def detach_method(self, token: str) -> None:
        await self._subscribe().card_remove(token)
