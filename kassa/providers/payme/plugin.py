"""Registers Payme: its settings and shop values, its inbound side (JSON-RPC), its emulator."""

from __future__ import annotations

import importlib
from typing import Any

from kassa.core.declared import Declared, Reader
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

# Known, harmless values the emulator accepts (never production).
SANDBOX_PAYME_MERCHANT_ID = "5e730e8e0b852a417aa49ceb"
SANDBOX_PAYME_SECRET_KEY = "sandbox-payme-key"  # noqa: S105

SECRETS = (
    Secret("secret_key", "PAYME_SECRET_KEY", "Merchant API key", sandbox=SANDBOX_PAYME_SECRET_KEY),
    Secret(
        "merchant_id",
        "PAYME_MERCHANT_ID",
        "Merchant id",
        secret=False,
        sandbox=SANDBOX_PAYME_MERCHANT_ID,
    ),
)


def _hosts(test: str, real: str) -> Any:
    """Payme's own address: its test hosts with PAYME_TEST_MODE."""

    def derive(read: Reader) -> str:
        return test if read("PAYME_TEST_MODE") else real

    return derive


SETTINGS = (
    *settings_of(*SECRETS),
    Declared("PAYME_ACCOUNT_FIELD", default="order_id"),  # as configured in Payme's cabinet
    Declared("PAYME_TEST_MODE", default=False, kind=bool),
    # where customers pay (the checkout link's host) and the Subscribe API
    Declared(
        "PAYME_CHECKOUT_URL",
        sandbox="{sandbox}/payme",
        derive=_hosts("https://test.paycom.uz", "https://checkout.paycom.uz"),
    ),
    Declared(
        "PAYME_SUBSCRIBE_URL",
        sandbox="{sandbox}/payme/api",
        derive=_hosts("https://checkout.test.paycom.uz/api", "https://checkout.paycom.uz/api"),
    ),
)

# Payme's Subscribe API errors (kassa records -31630 as payme_31630)
FAILURE_REASONS = {"payme_31630": failures.NO_MONEY, "payme_31300": failures.DETAILS}


def factory(ctx: ProviderContext) -> PaymentProvider:
    """Imported on first use: a kassa that never calls payme never loads its code or SDK."""
    from kassa.providers.payme.provider import PaymeProvider

    return PaymeProvider(ctx)


def inbound(ctx: ProviderContext) -> InvertedInbound | PushInbound:
    from kassa.providers.payme.inbound import PaymeInbound

    return PaymeInbound(ctx)


def unreadable() -> dict[str, Any]:
    """A body kassa cannot read is JSON-RPC's parse error, answered with HTTP 200."""
    from kassa.providers.payme.mapping import PARSE_ERROR, PaymeError

    return {"jsonrpc": "2.0", "id": None, "error": PaymeError(PARSE_ERROR).to_json()}


def emulator() -> Any:
    """kassa/sandbox/payme/, imported when the sandbox is mounted (the provider layer names
    the emulator's package by its path: it never imports the faces above it)."""
    return importlib.import_module("kassa.sandbox.payme")


PLUGIN = ProviderPlugin(
    name="payme",
    factory=factory,
    required=("merchant_id",),
    default_credentials=credentials_from(SECRETS),
    settings=SETTINGS,
    secrets=SECRETS,
    example_currency="UZS",
    inbound=inbound,
    unreadable=unreadable,
    failure_reasons=FAILURE_REASONS,
    emulator=emulator,
    cabinet_refunds="Payme checkout payments are refunded in the Payme merchant cabinet; "
    "Payme then calls CancelTransaction and kassa records the refund.",
)
