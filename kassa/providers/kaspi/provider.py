"""The Kaspi provider: a remote payment pushed to the customer's Kaspi app by phone number.

Kaspi never calls back: the reconciler and `/sync` poll `fetch`. Every request carries the
shop's BIN (and device token for several BINs behind one account).
"""

from __future__ import annotations

from kassa.domain.money import from_decimal_string
from kassa.domain.phones import InvalidPhone, normalise_kz_mobile
from kassa.domain.updates import ProviderUpdate
from kassa.providers.base import (
    CancelNotSupported,
    PaymentRequest,
    ProviderContext,
    ProviderFailure,
    ProviderPayment,
    ProviderRefund,
    RefundNotSupported,
)
from kassa.providers.kaspi.gateway import KaspiGateway
from kassa.providers.kaspi.mapping import UnknownKaspiStatus, map_status


class KaspiProvider:
    name = "kaspi"
    currencies: frozenset[str] | None = frozenset({"KZT"})

    def amount_problem(self, amount: int, currency: str) -> str | None:
        """Kaspi takes whole tenge: its gateway's `amount` is an integer number of tenge
        (the replaced service's client, alekenov/figma-product-catalog,
        payment-service/kaspi_client.py; Kaspi's partner API, "Amount" in tenge)."""
        if amount % 100:
            return f"Kaspi takes whole tenge; {amount} tiyn is not a whole number of tenge"
        return None

    def __init__(self, ctx: ProviderContext) -> None:
        self.ctx = ctx
        creds = ctx.credentials
        self.gateway = KaspiGateway(
            ctx.http,
            creds.get("api_url"),
            creds.get("access_token"),
            ctx.settings.provider_timeout_seconds,
        )
        self.organization_bin = creds.values.get("organization_bin")
        self.device_token = creds.values.get("device_token")

    def _bin(self) -> str:
        if not self.organization_bin:
            raise ProviderFailure(
                "no organization BIN configured for this shop",
                retryable=False,
                created_nothing=True,
                code="kaspi_no_bin",
            )
        return self.organization_bin

    async def create(self, request: PaymentRequest) -> ProviderPayment:
        try:
            phone = normalise_kz_mobile(request.phone or "")
        except InvalidPhone as exc:
            raise ProviderFailure(
                f"phone: {exc}", retryable=False, created_nothing=True, code="invalid_phone"
            ) from exc
        data = await self.gateway.create(
            phone=phone,
            amount=request.amount,
            message=request.description or "Payment",
            organization_bin=self._bin(),
            device_token=self.device_token,
        )
        external_id = str(data.get("externalId") or "")
        if not external_id:
            raise ProviderFailure("Kaspi create: no externalId in the answer")
        page = self.ctx.settings.value("KASPI_REQUEST_PAGE")
        checkout = f"{page}{external_id}" if page else None  # the customer's Kaspi app
        initial = self._update(request, external_id, str(data.get("status") or "Wait"), data)
        return ProviderPayment(
            provider_payment_id=external_id, checkout_url=checkout, initial=initial
        )

    def _update(
        self, request: PaymentRequest, external_id: str, status: str, data: dict[str, object]
    ) -> ProviderUpdate:
        try:
            mapped, failure = map_status(status)
        except UnknownKaspiStatus as exc:
            raise ProviderFailure(str(exc), code="kaspi_unknown_status") from exc
        refunded = data.get("refundedAmount")
        return ProviderUpdate(
            provider=self.name,
            event_id=f"kaspi:{external_id}:{status}:{refunded or 0}",
            payment_id=request.payment_id,
            provider_payment_id=external_id,
            status=mapped,
            failure_code=failure,
            failure_message=f"Kaspi status {status}" if failure else None,
            refunded_amount=from_decimal_string(str(refunded), "KZT") if refunded else None,
            raw={"status": status},
        )

    async def fetch(self, request: PaymentRequest) -> ProviderUpdate:
        if not request.provider_payment_id:
            # The create's answer was lost and the gateway has no look-up by kassa's
            # reference: never create again (the customer would get a second request).
            raise ProviderFailure(
                "Kaspi: the answer to the create was lost and the gateway cannot find a "
                "payment by kassa's reference; an operator resolves it in the Kaspi cabinet",
                retryable=False,
                code="kaspi_outcome_unknown",
            )
        data = await self.gateway.status(external_id=request.provider_payment_id)
        external_id = str(data.get("externalId") or request.provider_payment_id)
        return self._update(request, external_id, str(data.get("status") or ""), data)

    async def cancel(self, request: PaymentRequest) -> ProviderUpdate:
        raise CancelNotSupported(
            "Kaspi's gateway cannot cancel a payment request; it expires in the customer's "
            "Kaspi app if they do not pay"
        )

    async def refund(
        self, request: PaymentRequest, amount: int, *, idempotency_key: str
    ) -> ProviderRefund:
        if not request.provider_payment_id:
            raise ProviderFailure("Kaspi refund: the payment has no Kaspi id", retryable=False)
        if amount % 100:
            raise RefundNotSupported("Kaspi refunds whole tenge only")
        data = await self.gateway.refund(
            external_id=request.provider_payment_id,
            amount=amount,
            organization_bin=self._bin(),
            device_token=self.device_token,
        )
        operation = data.get("returnOperationId")
        return ProviderRefund(
            provider_refund_id=str(operation) if operation else None, amount=amount
        )
