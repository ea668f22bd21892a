"""The Stripe provider: every call through the official `stripe` SDK (StripeClient, async
over the SDK's aiohttp client), each POST with an idempotency key derived from kassa's own."""

from __future__ import annotations

from typing import Any

import aiohttp
import stripe

from kassa.domain.updates import ProviderUpdate
from kassa.providers.base import (
    PaymentRequest,
    ProviderContext,
    ProviderFailure,
    ProviderPayment,
    ProviderRefund,
    SavedCard,
)
from kassa.providers.stripe.amounts import amount_problem
from kassa.providers.stripe.mapping import intent_update, session_update


def stripe_client(ctx: ProviderContext, key: str) -> stripe.StripeClient:
    """One SDK client per key and address for the runtime's life, so connections are
    reused; closed with the runtime. Its HTTP is the SDK's aiohttp client: a renewal's
    charge costs ~0.25 ms of CPU in it against ~0.9-1.2 ms in the SDK's httpx client (whose
    pool polls every kept connection on every request, encode/httpcore#1035), measured
    with the same SDK calls on the renewal bench. A call that takes longer than
    PROVIDER_TIMEOUT_SECONDS is given up (the SDK retries it with the same idempotency key)."""
    api_base = ctx.settings.value("STRIPE_API_BASE")
    timeout = ctx.settings.provider_timeout_seconds

    def make() -> tuple[stripe.StripeClient, stripe.AIOHTTPClient]:
        http = stripe.AIOHTTPClient(timeout=aiohttp.ClientTimeout(total=timeout))
        client = stripe.StripeClient(
            key,
            base_addresses={"api": api_base} if api_base else None,
            http_client=http,
            max_network_retries=2,
        )
        return client, http

    async def close(made: tuple[stripe.StripeClient, stripe.AIOHTTPClient]) -> None:
        await made[1].close_async()  # type: ignore[no-untyped-call]  # its aiohttp session

    return ctx.kept.get(("stripe", key, api_base or ""), make, close)[0]


def _failure(exc: stripe.StripeError, action: str) -> ProviderFailure:
    status = exc.http_status or 0
    refused = isinstance(
        exc,
        stripe.InvalidRequestError
        | stripe.CardError
        | stripe.AuthenticationError
        | stripe.PermissionError
        | stripe.IdempotencyError,
    )
    code = getattr(exc, "code", None) or type(exc).__name__
    message = exc.user_message or str(exc) or type(exc).__name__
    return ProviderFailure(
        f"Stripe {action}: {message}"[:300],
        retryable=not refused,
        created_nothing=refused and 400 <= status < 500,
        code=f"stripe_{code}",
    )


class StripeProvider:
    name = "stripe"
    currencies: frozenset[str] | None = None
    saves_methods = True  # keeps the card a payment is made with, when asked

    def amount_problem(self, amount: int, currency: str) -> str | None:
        return amount_problem(amount, currency)

    def __init__(self, ctx: ProviderContext) -> None:
        self.ctx = ctx
        self.client = stripe_client(ctx, ctx.credentials.get("secret_key"))
        self.checkout = ctx.credentials.values.get("checkout") or ctx.settings.value(
            "STRIPE_CHECKOUT"
        )

    def _elements_page(self, intent_id: str) -> str | None:
        page = self.ctx.settings.value("STRIPE_ELEMENTS_PAGE")
        return f"{page}{intent_id}" if page else None  # else the shop knows its own page

    async def create(self, request: PaymentRequest) -> ProviderPayment:
        """A saved card is charged at once; otherwise the customer pays on Stripe's hosted
        Checkout page (`checkout_url`), or, for a shop that embeds Stripe.js
        (`STRIPE_CHECKOUT=elements`), with the PaymentIntent's `client_secret`."""
        if request.method_token or self.checkout == "elements":
            return await self._create_intent(request)
        return await self._create_session(request)

    async def _create_session(self, request: PaymentRequest) -> ProviderPayment:
        """A Checkout Session in payment mode (https://docs.stripe.com/api/checkout/sessions/create).
        Its PaymentIntent exists only once the customer pays; it carries kassa's payment id
        in its metadata (`payment_intent_data`), so its events find the payment."""
        back = request.return_url or f"{self.ctx.settings.public_url.rstrip('/')}/"
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": [
                {
                    "price_data": {
                        "currency": request.currency.lower(),
                        "unit_amount": request.amount,
                        "product_data": {"name": (request.description or "Payment")[:250]},
                    },
                    "quantity": 1,
                }
            ],
            "success_url": back,
            "cancel_url": back,
            "client_reference_id": request.payment_id,
            "metadata": {"payment_id": request.payment_id},
            "payment_intent_data": {"metadata": {"payment_id": request.payment_id}},
        }
        if request.description:
            params["payment_intent_data"]["description"] = request.description[:500]
        if request.customer_ref:
            params["customer"] = request.customer_ref
        if request.save_method:
            # the card paid with is attached to the Customer for charges without the
            # customer present (https://docs.stripe.com/payments/save-during-payment)
            params["payment_intent_data"]["setup_future_usage"] = "off_session"
        try:
            session = await self.client.v1.checkout.sessions.create_async(
                params,  # type: ignore[arg-type]
                {"idempotency_key": f"kassa-cs-{request.idempotency_key or request.payment_id}"},
            )
        except stripe.StripeError as exc:
            raise _failure(exc, "create") from exc
        return ProviderPayment(provider_payment_id=session.id, checkout_url=session.url)

    async def _create_intent(self, request: PaymentRequest) -> ProviderPayment:
        params: dict[str, Any] = {
            "amount": request.amount,
            "currency": request.currency.lower(),
            "metadata": {"payment_id": request.payment_id},
            "payment_method_types": ["card"],
        }
        if request.description:
            params["description"] = request.description[:500]
        if request.customer_ref:
            params["customer"] = request.customer_ref
        if request.method_token:
            params.update(payment_method=request.method_token, confirm=True, off_session=True)
        elif request.save_method:
            params["setup_future_usage"] = "off_session"
        try:
            intent = await self.client.v1.payment_intents.create_async(
                params,  # type: ignore[arg-type]
                {"idempotency_key": f"kassa-pi-{request.idempotency_key or request.payment_id}"},
            )
        except stripe.CardError as exc:
            # A saved card declined off-session: the intent exists and says why.
            failed = exc.error.payment_intent if exc.error else None
            if failed is not None:
                data = failed.to_dict()
                return ProviderPayment(
                    provider_payment_id=data["id"],
                    client_secret=data.get("client_secret"),
                    initial=intent_update(data, f"create-failed:{data['id']}", failed=True),
                )
            raise _failure(exc, "create") from exc
        except stripe.StripeError as exc:
            raise _failure(exc, "create") from exc
        data = intent.to_dict()
        initial = None
        if data.get("status") not in ("requires_payment_method", "requires_confirmation"):
            initial = intent_update(data, f"create:{data['id']}:{data['status']}")
        return ProviderPayment(
            provider_payment_id=data["id"],
            checkout_url=self._elements_page(data["id"]),
            client_secret=data.get("client_secret"),
            initial=initial,
        )

    async def _session(self, session_id: str) -> dict[str, Any]:
        try:
            session = await self.client.v1.checkout.sessions.retrieve_async(session_id)
        except stripe.StripeError as exc:
            raise _failure(exc, "retrieve") from exc
        return session.to_dict()

    async def _intent_id(self, request: PaymentRequest) -> str | None:
        """The payment's PaymentIntent: its id, or the one its Checkout Session made."""
        if not request.provider_payment_id:
            raise ProviderFailure("Stripe: the payment has no Stripe object yet", retryable=False)
        if not request.provider_payment_id.startswith("cs_"):
            return request.provider_payment_id
        intent = (await self._session(request.provider_payment_id)).get("payment_intent")
        return str(intent) if intent else None

    async def fetch(self, request: PaymentRequest) -> ProviderUpdate:
        intent_id = await self._intent_id(request)
        if intent_id is None:  # a Checkout Session nobody has paid on yet
            assert request.provider_payment_id is not None
            return session_update(await self._session(request.provider_payment_id), "poll")
        try:
            # the PaymentMethod expanded in place of its id, so a card the payment saved is
            # read with its brand and last digits (docs.stripe.com/api/expanding_objects; the
            # intent's payment_method is expandable: docs.stripe.com/api/payment_intents/object)
            intent = (
                await self.client.v1.payment_intents.retrieve_async(
                    intent_id, {"expand": ["payment_method"]}
                )
            ).to_dict()
        except stripe.StripeError as exc:
            raise _failure(exc, "retrieve") from exc
        failed = intent.get("status") == "requires_payment_method" and bool(
            intent.get("last_payment_error")
        )
        return intent_update(intent, f"poll:{intent['id']}:{intent.get('status')}", failed=failed)

    async def cancel(self, request: PaymentRequest) -> ProviderUpdate:
        """A Checkout Session is expired (which cancels any PaymentIntent it made), a
        PaymentIntent cancelled (https://docs.stripe.com/api/checkout/sessions/expire)."""
        session_id = request.provider_payment_id or ""
        if session_id.startswith("cs_"):
            if (await self._session(session_id)).get("status") == "open":
                try:
                    session = await self.client.v1.checkout.sessions.expire_async(session_id)
                except stripe.StripeError as exc:
                    raise _failure(exc, "cancel") from exc
                return session_update(session.to_dict(), "cancel")
            return await self.fetch(request)
        intent_id = await self._intent_id(request)
        assert intent_id is not None
        try:
            intent = await self.client.v1.payment_intents.cancel_async(intent_id)
        except stripe.StripeError as exc:
            raise _failure(exc, "cancel") from exc
        data = intent.to_dict()
        return intent_update(data, f"cancel:{data['id']}:{data.get('status')}")

    async def refund(
        self, request: PaymentRequest, amount: int, *, idempotency_key: str
    ) -> ProviderRefund:
        intent_id = await self._intent_id(request)
        if intent_id is None:
            raise ProviderFailure(
                "Stripe: nothing was paid on this Checkout Session", retryable=False
            )
        try:
            refund = await self.client.v1.refunds.create_async(
                {"payment_intent": intent_id, "amount": amount},
                {"idempotency_key": f"kassa-re-{idempotency_key}"},
            )
        except stripe.StripeError as exc:
            raise _failure(exc, "refund") from exc
        data = refund.to_dict()
        return ProviderRefund(
            provider_refund_id=data["id"],
            amount=int(data["amount"]),
            succeeded=data.get("status") == "succeeded",
        )

    async def create_customer(self, owner: str) -> str:
        try:
            customer = await self.client.v1.customers.create_async(
                {"metadata": {"kassa_owner": owner}},
                {"idempotency_key": f"kassa-cus-{owner}"[:255]},
            )
        except stripe.StripeError as exc:
            raise _failure(exc, "customer") from exc
        return str(customer.id)

    async def attach_method(self, token: str, customer_ref: str | None) -> SavedCard:
        if not customer_ref:
            raise ProviderFailure(
                "Stripe cards are saved on a customer", retryable=False, created_nothing=True
            )
        try:
            method = await self.client.v1.payment_methods.attach_async(
                token, {"customer": customer_ref}
            )
        except stripe.StripeError as exc:
            raise _failure(exc, "attach") from exc
        return _saved_card(method)

    async def describe_method(self, token: str) -> SavedCard:
        """A PaymentMethod's card as Stripe shows it (a payment's event names only its id)."""
        try:
            method = await self.client.v1.payment_methods.retrieve_async(token)
        except stripe.StripeError as exc:
            raise _failure(exc, "retrieve") from exc
        return _saved_card(method)

    async def detach_method(self, token: str) -> None:
        try:
            await self.client.v1.payment_methods.detach_async(token)
        except stripe.StripeError as exc:
            raise _failure(exc, "detach") from exc


def _saved_card(method: Any) -> SavedCard:
    """A PaymentMethod's card as kassa keeps it."""
    card = method.to_dict().get("card") or {}
    return SavedCard(
        token=method.id,
        brand=card.get("brand"),
        last4=card.get("last4"),
        exp_month=card.get("exp_month"),
        exp_year=card.get("exp_year"),
    )
