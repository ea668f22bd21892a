"""Registers Kaspi: its settings and credentials (the shop's BIN and device among them), a
payment's need of the customer's phone, its emulator."""

from __future__ import annotations

import importlib
from typing import Any

from kassa.core.declared import Declared
from kassa.providers.base import (
    PaymentProvider,
    ProviderContext,
    ProviderPlugin,
    Secret,
    credentials_from,
    settings_of,
)

SANDBOX_KASPI_ACCESS_TOKEN = "kaspi-sandbox-token"  # noqa: S105 - the emulator's, never production

# The values a shop's form asks for.
SECRETS = (
    Secret(
        "access_token",
        "KASPI_ACCESS_TOKEN",
        "Gateway access token",
        sandbox=SANDBOX_KASPI_ACCESS_TOKEN,
    ),
)
# Credentials a shop gives as fields of its own (the Merchant API's `organization_bin` and
# `device_token`), and the gateway's address; from settings for payments that name no shop.
OWN_FIELDS = (
    Secret(
        "organization_bin",
        "KASPI_ORGANIZATION_BIN",
        "Organisation BIN",
        secret=False,
        sandbox="000000000000",
    ),
    Secret("device_token", "KASPI_DEVICE_TOKEN", "Device token"),  # scrubbed from logs
    Secret("api_url", "KASPI_API_URL", "Gateway address", secret=False, sandbox="{sandbox}/kaspi"),
)
SETTINGS = (
    *settings_of(*SECRETS, *OWN_FIELDS),
    # where a customer sees the request (the sandbox's "phone"); unset: their Kaspi app
    Declared("KASPI_REQUEST_PAGE", sandbox="{sandbox}/kaspi/phone/"),
)


def factory(ctx: ProviderContext) -> PaymentProvider:
    """Imported on first use: a kassa that never calls kaspi never loads its code or SDK."""
    from kassa.providers.kaspi.provider import KaspiProvider

    return KaspiProvider(ctx)


def emulator() -> Any:
    """kassa/sandbox/kaspi/, imported when the sandbox is mounted (named by its path: the
    provider layer never imports the faces above it)."""
    return importlib.import_module("kassa.sandbox.kaspi")


PLUGIN = ProviderPlugin(
    name="kaspi",
    factory=factory,
    required=("api_url", "access_token"),
    default_credentials=credentials_from(SECRETS + OWN_FIELDS),
    settings=SETTINGS,
    secrets=SECRETS,
    example_currency="KZT",
    needs_organization_bin=True,
    needs_phone=True,  # the gateway sends the request to the customer's Kaspi app
    emulator=emulator,
)
