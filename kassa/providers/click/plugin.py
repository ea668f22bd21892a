"""Registers Click: its settings and shop values, its inbound side (the SHOP API), the
customer's words for its errors, its emulator."""

from __future__ import annotations

import importlib
from typing import Any

from kassa.domain import failures
from kassa.providers.base import (
    InvertedInbound,
    PaymentProvider,
    ProviderContext,
    ProviderPlugin,
    PushInbound,
    Secret,
    credentials_from,
    settings_of,
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


# Click's Complete errors (README.md: -5017, insufficient funds)
FAILURE_REASONS = {"click_-5017": failures.NO_MONEY}


def factory(ctx: ProviderContext) -> PaymentProvider:
    from kassa.providers.click.provider import ClickProvider

    return ClickProvider(ctx)


def inbound(ctx: ProviderContext) -> InvertedInbound | PushInbound:
    from kassa.providers.click.inbound import ClickInbound

    return ClickInbound(ctx)


def unreadable() -> dict[str, Any]:
    """A body kassa cannot read: "Error in request from click", with HTTP 200."""
    from kassa.providers.click.mapping import BAD_REQUEST, NOTES

    return {
        "click_trans_id": None,
        "merchant_trans_id": None,
        "error": BAD_REQUEST,
        "error_note": NOTES[BAD_REQUEST],
    }


def emulator() -> Any:
    """kassa/sandbox/click/, imported when the sandbox is mounted (named by its path: the
    provider layer never imports the faces above it)."""
    return importlib.import_module("kassa.sandbox.click")


PLUGIN = ProviderPlugin(
    name="click",
    factory=factory,
    required=("service_id", "merchant_id", "checkout_url", "api_url"),
    default_credentials=credentials_from(SECRETS),
    settings=settings_of(*SECRETS),
    secrets=SECRETS,
    example_currency="UZS",
    inbound=inbound,
    unreadable=unreadable,
    failure_reasons=FAILURE_REASONS,
    emulator=emulator,
)
