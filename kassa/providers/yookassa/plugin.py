"""Registers YooKassa: its settings and shop values, its inbound side (notifications from
its networks), the customer's words for its cancellation reasons, its emulator."""

from __future__ import annotations

import importlib
from typing import Any

from kassa.core.declared import Declared
from kassa.domain import failures as why
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
SANDBOX_YOOKASSA_SHOP_ID = "100500"
SANDBOX_YOOKASSA_SECRET_KEY = "test_kassa_sandbox"  # noqa: S105

SECRETS = (
    Secret("secret_key", "YOOKASSA_SECRET_KEY", "Secret key", sandbox=SANDBOX_YOOKASSA_SECRET_KEY),
    Secret(
        "shop_id", "YOOKASSA_SHOP_ID", "Shop id", secret=False, sandbox=SANDBOX_YOOKASSA_SHOP_ID
    ),
    # 54-FZ receipts with every payment and refund: "on" when the shop has them on
    Secret("receipts", "YOOKASSA_RECEIPTS", "54-FZ receipts (on/off)", secret=False, default="off"),
)
SETTINGS = (
    *settings_of(*SECRETS),
    Declared(
        "YOOKASSA_API_URL", default="https://api.yookassa.ru/v3", sandbox="{sandbox}/yookassa/v3"
    ),
    # notification senders believed besides YooKassa's networks; the sandbox adds loopback
    Declared(
        "YOOKASSA_EXTRA_NETWORKS", default="", sandbox="127.0.0.0/8,::1/128", sandbox_adds=True
    ),
)

# YooKassa's cancellation reasons
# (https://yookassa.ru/en/developers/payment-acceptance/after-the-payment/declined-payments)
FAILURE_REASONS = {
    "3d_secure_failed": why.CONFIRM, "card_expired": why.EXPIRED, "country_forbidden": why.DECLINED,
    "fraud_suspected": why.DECLINED, "general_decline": why.DECLINED,
    "identification_required": why.DECLINED, "invalid_card_number": why.DETAILS,
    "invalid_csc": why.DETAILS, "issuer_unavailable": why.LATER,
    "payment_method_limit_exceeded": why.LIMIT, "payment_method_restricted": why.DECLINED,
    "permission_revoked": why.DECLINED, "internal_timeout": why.LATER,
}  # fmt: skip


def factory(ctx: ProviderContext) -> PaymentProvider:
    """Imported on first use: a kassa that never calls yookassa never loads its code or SDK."""
    from kassa.providers.yookassa.provider import YooKassaProvider

    return YooKassaProvider(ctx)


def inbound(ctx: ProviderContext) -> InvertedInbound | PushInbound:
    from kassa.providers.yookassa.inbound import YooKassaInbound

    return YooKassaInbound(ctx)


def emulator() -> Any:
    """kassa/sandbox/yookassa/, imported when the sandbox is mounted (named by its path: the
    provider layer never imports the faces above it)."""
    return importlib.import_module("kassa.sandbox.yookassa")


PLUGIN = ProviderPlugin(
    name="yookassa",
    factory=factory,
    required=("shop_id", "secret_key"),
    default_credentials=credentials_from(SECRETS),
    settings=SETTINGS,
    secrets=SECRETS,
    example_currency="RUB",
    inbound=inbound,
    failure_reasons=FAILURE_REASONS,
    emulator=emulator,
)
