"""Registers Stripe with the provider registry."""

from __future__ import annotations

from kassa.core.settings import Settings
from kassa.providers.base import (
    Credentials,
    PaymentProvider,
    ProviderContext,
    ProviderPlugin,
    Secret,
)
from kassa.providers.stripe.states import GRAPH


def settings_credentials(settings: Settings) -> Credentials:
    values = {}
    if settings.stripe_secret_key is not None:
        values["secret_key"] = settings.stripe_secret_key.get_secret_value()
    if settings.stripe_webhook_secret is not None:
        values["webhook_secret"] = settings.stripe_webhook_secret.get_secret_value()
    return Credentials(values=values)


def factory(ctx: ProviderContext) -> PaymentProvider:
    """Imported on first use: a kassa that never calls stripe never loads its code or SDK."""
    from kassa.providers.stripe.provider import StripeProvider

    return StripeProvider(ctx)


PLUGIN = ProviderPlugin(
    name="stripe",
    factory=factory,
    required=("secret_key",),
    default_credentials=settings_credentials,
    graph=GRAPH,
    secrets=(Secret("secret_key", "STRIPE_SECRET_KEY", "Secret key"),),
    example_currency="USD",
    inbound="kassa.providers.stripe.inbound:StripeInbound",
    emulator="kassa.sandbox.stripe",
)
