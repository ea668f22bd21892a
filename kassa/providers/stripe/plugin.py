"""Registers Stripe with the provider registry."""

from __future__ import annotations

from kassa.config import Settings
from kassa.providers.base import Credentials
from kassa.providers.registry import ProviderPlugin
from kassa.providers.stripe.provider import StripeProvider


def settings_credentials(settings: Settings) -> Credentials:
    values = {}
    if settings.stripe_secret_key is not None:
        values["secret_key"] = settings.stripe_secret_key.get_secret_value()
    return Credentials(values=values)


PLUGIN = ProviderPlugin(
    name="stripe", factory=StripeProvider, default_credentials=settings_credentials
)
