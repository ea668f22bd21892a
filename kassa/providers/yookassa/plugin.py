"""Registers YooKassa with the provider registry."""

from __future__ import annotations

from kassa.config import Settings
from kassa.providers.base import Credentials
from kassa.providers.registry import ProviderPlugin
from kassa.providers.yookassa.provider import YooKassaProvider


def settings_credentials(settings: Settings) -> Credentials:
    values = {"shop_id": settings.yookassa_shop_id or ""}
    if settings.yookassa_secret_key is not None:
        values["secret_key"] = settings.yookassa_secret_key.get_secret_value()
    return Credentials(values=values)


PLUGIN = ProviderPlugin(
    name="yookassa", factory=YooKassaProvider, default_credentials=settings_credentials
)
