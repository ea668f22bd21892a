"""Registers Stripe: its settings and keys, its state graph, its inbound side (signed
events), the customer's words for its decline codes, its emulator."""

from __future__ import annotations

import importlib
from typing import Any, Literal

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
from kassa.providers.stripe.states import GRAPH

# Known, harmless values the emulator accepts (never production).
SANDBOX_STRIPE_SECRET_KEY = "sk_test_kassa_sandbox"  # noqa: S105
SANDBOX_STRIPE_PUBLISHABLE_KEY = "pk_test_kassa_sandbox"
SANDBOX_STRIPE_WEBHOOK_SECRET = "whsec_kassa_sandbox"  # noqa: S105

SECRETS = (
    Secret("secret_key", "STRIPE_SECRET_KEY", "Secret key", sandbox=SANDBOX_STRIPE_SECRET_KEY),
)
# verifies `Stripe-Signature` on the events Stripe sends
WEBHOOK_SECRET = Secret(
    "webhook_secret",
    "STRIPE_WEBHOOK_SECRET",
    "Webhook signing secret",
    sandbox=SANDBOX_STRIPE_WEBHOOK_SECRET,
)
SETTINGS = (
    *settings_of(*SECRETS, WEBHOOK_SECRET),
    Declared("STRIPE_PUBLISHABLE_KEY", sandbox=SANDBOX_STRIPE_PUBLISHABLE_KEY),
    Declared("STRIPE_API_BASE", sandbox="{sandbox}/stripe"),  # unset: Stripe's own
    # a shop's own Stripe.js page, to which a payment's client_secret is appended
    Declared("STRIPE_ELEMENTS_PAGE", sandbox="{sandbox}/stripe/checkout/"),
    # how customers pay: on Stripe's hosted Checkout page (`checkout_url`), or in the
    # shop's own page with Stripe.js (`client_secret`); a shop's configuration may say
    # otherwise with the credential `checkout`
    Declared("STRIPE_CHECKOUT", default="hosted", kind=Literal["hosted", "elements"]),
)

# Stripe's decline codes (https://docs.stripe.com/declines/codes); a fraud or lost-card code
# reads as a plain decline, as Stripe advises telling the customer
FAILURE_REASONS = {
    "generic_decline": why.DECLINED, "card_declined": why.DECLINED, "do_not_honor": why.DECLINED,
    "call_issuer": why.DECLINED, "fraudulent": why.DECLINED, "lost_card": why.DECLINED,
    "stolen_card": why.DECLINED, "pickup_card": why.DECLINED, "restricted_card": why.DECLINED,
    "security_violation": why.DECLINED, "transaction_not_allowed": why.DECLINED,
    "card_not_supported": why.DECLINED, "currency_not_supported": why.DECLINED,
    "not_permitted": why.DECLINED, "revocation_of_authorization": why.DECLINED,
    "insufficient_funds": why.NO_MONEY,
    "authentication_required": why.CONFIRM,
    "expired_card": why.EXPIRED,
    "incorrect_cvc": why.DETAILS, "invalid_cvc": why.DETAILS, "incorrect_number": why.DETAILS,
    "invalid_number": why.DETAILS, "invalid_expiry_month": why.DETAILS,
    "invalid_expiry_year": why.DETAILS,
    "card_velocity_exceeded": why.LIMIT, "withdrawal_count_limit_exceeded": why.LIMIT,
    "processing_error": why.LATER, "try_again_later": why.LATER,
    "issuer_not_available": why.LATER, "reenter_transaction": why.LATER,
}  # fmt: skip


def factory(ctx: ProviderContext) -> PaymentProvider:
    """Imported on first use: a kassa that never calls stripe never loads its code or SDK."""
    from kassa.providers.stripe.provider import StripeProvider

    return StripeProvider(ctx)


def inbound(ctx: ProviderContext) -> InvertedInbound | PushInbound:
    from kassa.providers.stripe.inbound import StripeInbound

    return StripeInbound(ctx)


def emulator() -> Any:
    """kassa/sandbox/stripe/, imported when the sandbox is mounted (named by its path: the
    provider layer never imports the faces above it)."""
    return importlib.import_module("kassa.sandbox.stripe")


PLUGIN = ProviderPlugin(
    name="stripe",
    factory=factory,
    required=("secret_key",),
    default_credentials=credentials_from((*SECRETS, WEBHOOK_SECRET)),
    graph=GRAPH,
    settings=SETTINGS,
    secrets=SECRETS,
    example_currency="USD",
    inbound=inbound,
    failure_reasons=FAILURE_REASONS,
    emulator=emulator,
)
