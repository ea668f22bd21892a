"""Registers Payme with the provider registry."""

from __future__ import annotations

from kassa.core.settings import Settings
from kassa.providers.base import (
    Credentials,
    PaymentProvider,
    ProviderContext,
    ProviderPlugin,
    Secret,
)


def settings_credentials(settings: Settings) -> Credentials:
    values = {"merchant_id": settings.payme_merchant_id or ""}
    if settings.payme_secret_key is not None:
        values["secret_key"] = settings.payme_secret_key.get_secret_value()
    return Credentials(values=values)


def factory(ctx: ProviderContext) -> PaymentProvider:
    """Imported on first use: a kassa that never calls payme never loads its code or SDK."""
    from kassa.providers.payme.provider import PaymeProvider

    return PaymeProvider(ctx)


PLUGIN = ProviderPlugin(
    name="payme",
    factory=factory,
    required=("merchant_id",),
    default_credentials=settings_credentials,
    secrets=(
        Secret("secret_key", "PAYME_SECRET_KEY", "Merchant API key"),
        Secret("merchant_id", "PAYME_MERCHANT_ID", "Merchant id", secret=False),
    ),
    example_currency="UZS",
    inbound="kassa.providers.payme.inbound:PaymeInbound",
    emulator="kassa.sandbox.payme",
    cabinet_refunds="Payme checkout payments are refunded in the Payme merchant cabinet; "
    "Payme then calls CancelTransaction and kassa records the refund.",
)
