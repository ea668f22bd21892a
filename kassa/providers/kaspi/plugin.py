"""Registers Kaspi with the provider registry."""

from __future__ import annotations

from kassa.core.settings import Settings
from kassa.providers.base import (
    Credentials,
    PaymentProvider,
    ProviderContext,
    ProviderPlugin,
    Secret,
)


def settings_credentials(settings: Settings) -> Credentials:
    values = {"api_url": settings.kaspi_api_url or ""}
    if settings.kaspi_access_token is not None:
        values["access_token"] = settings.kaspi_access_token.get_secret_value()
    return Credentials(
        values=values,
        organization_bin=settings.kaspi_organization_bin,
        device_token=settings.kaspi_device_token,
    )


def factory(ctx: ProviderContext) -> PaymentProvider:
    """Imported on first use: a kassa that never calls kaspi never loads its code or SDK."""
    from kassa.providers.kaspi.provider import KaspiProvider

    return KaspiProvider(ctx)


PLUGIN = ProviderPlugin(
    name="kaspi",
    factory=factory,
    required=("api_url", "access_token"),
    default_credentials=settings_credentials,
    secrets=(Secret("access_token", "KASPI_ACCESS_TOKEN", "Gateway access token"),),
    example_currency="KZT",
    needs_organization_bin=True,
    emulator="kassa.sandbox.kaspi",
)
