"""Registers Click: its settings and shop values, its inbound side, its emulator."""

from __future__ import annotations

from kassa.providers.base import (
    PaymentProvider,
    ProviderContext,
    ProviderPlugin,
    Secret,
    credentials_from,
)

# The emulator accepts these (its test cabinet); outside the sandbox they come from settings.
SECRETS = (
    Secret("service_id", "CLICK_SERVICE_ID", "Service id", secret=False, sandbox="10001"),
    Secret("merchant_id", "CLICK_MERCHANT_ID", "Merchant id", secret=False, sandbox="20002"),
    Secret(
        "merchant_user_id",
        "CLICK_MERCHANT_USER_ID",
        "Merchant user id",
        secret=False,
        sandbox="30003",
    ),
    Secret("secret_key", "CLICK_SECRET_KEY", "Secret key", sandbox="click-sandbox-secret"),
    Secret(
        "checkout_url",
        "CLICK_CHECKOUT_URL",
        "Checkout address",
        secret=False,
        sandbox="{sandbox}/click",
        default="https://my.click.uz",
    ),
    Secret(
        "api_url",
        "CLICK_API_URL",
        "Merchant API address",
        secret=False,
        sandbox="{sandbox}/click/v2/merchant",
        default="https://api.click.uz/v2/merchant",
    ),
)


def factory(ctx: ProviderContext) -> PaymentProvider:
    from kassa.providers.click.provider import ClickProvider

    return ClickProvider(ctx)


PLUGIN = ProviderPlugin(
    name="click",
    factory=factory,
    required=("service_id", "merchant_id", "checkout_url", "api_url"),
    default_credentials=credentials_from(SECRETS),
    secrets=SECRETS,
    example_currency="UZS",
    inbound="kassa.providers.click.inbound:ClickInbound",
    emulator="kassa.sandbox.click",
)
