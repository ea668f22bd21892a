"""Registers Payme with the provider registry."""

from __future__ import annotations

from kassa.config import Settings
from kassa.providers.base import Credentials
from kassa.providers.payme.provider import PaymeProvider
from kassa.providers.registry import ProviderPlugin


def settings_credentials(settings: Settings) -> Credentials:
    values = {"merchant_id": settings.payme_merchant_id or ""}
    if settings.payme_secret_key is not None:
        values["secret_key"] = settings.payme_secret_key.get_secret_value()
    return Credentials(values=values)


PLUGIN = ProviderPlugin(
    name="payme", factory=PaymeProvider, default_credentials=settings_credentials
)
