"""Registers YooKassa with the provider registry."""

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
    values = {
        "shop_id": settings.yookassa_shop_id or "",
        "receipts": settings.value("YOOKASSA_RECEIPTS") or "off",
    }
    if settings.yookassa_secret_key is not None:
        values["secret_key"] = settings.yookassa_secret_key.get_secret_value()
    return Credentials(values=values)


def factory(ctx: ProviderContext) -> PaymentProvider:
    """Imported on first use: a kassa that never calls yookassa never loads its code or SDK."""
    from kassa.providers.yookassa.provider import YooKassaProvider

    return YooKassaProvider(ctx)


PLUGIN = ProviderPlugin(
    name="yookassa",
    factory=factory,
    required=("shop_id", "secret_key"),
    default_credentials=settings_credentials,
    secrets=(
        Secret("secret_key", "YOOKASSA_SECRET_KEY", "Secret key"),
        Secret("shop_id", "YOOKASSA_SHOP_ID", "Shop id", secret=False),
        # 54-FZ receipts with every payment and refund: "on" when the shop has them on
        Secret("receipts", "YOOKASSA_RECEIPTS", "54-FZ receipts (on/off)", secret=False),
    ),
    example_currency="RUB",
    inbound="kassa.providers.yookassa.inbound:YooKassaInbound",
    emulator="kassa.sandbox.yookassa",
)
