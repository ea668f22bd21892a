"""Picks a provider implementation by name, with the credentials of the shop at hand."""

from __future__ import annotations

import httpx

from kassa.core.settings import Settings
from kassa.providers import plugins
from kassa.providers.base import (
    Credentials,
    KeptClients,
    NotConfigured,
    PaymentProvider,
    ProviderContext,
    ProviderPlugin,
)


class ProviderRegistry:
    """Known providers; each provider package registers one `ProviderPlugin`."""

    def __init__(self, settings: Settings, http: httpx.AsyncClient) -> None:
        self.settings = settings
        self.http = http
        self.kept = KeptClients()  # the providers' SDK clients, closed with the runtime
        self._plugins: dict[str, ProviderPlugin] = {}

    def register(self, plugin: ProviderPlugin) -> None:
        self._plugins[plugin.name] = plugin

    def names(self) -> list[str]:
        return sorted(self._plugins)

    def has(self, name: str) -> bool:
        return name in self._plugins

    def default_credentials(self, name: str) -> Credentials:
        return self._plugins[name].default_credentials(self.settings)

    def get(self, name: str, credentials: Credentials | None = None) -> PaymentProvider:
        """Raises NotConfigured when a credential the provider needs is missing."""
        plugin = self._plugins[name]
        creds = credentials or plugin.default_credentials(self.settings)
        try:
            return plugin.factory(ProviderContext(self.settings, creds, self.http, self.kept))
        except NotConfigured as exc:
            raise NotConfigured(f"{name} is not configured on this kassa: {exc.message}") from exc

    async def aclose(self) -> None:
        await self.kept.aclose()

    def unconfigured(self) -> list[str]:
        """Providers unusable with the settings alone (a shop's configuration may still
        supply what they lack), told from their declared credentials: no provider is built,
        so no SDK is loaded for a provider the service never calls."""
        return [
            name
            for name, plugin in sorted(self._plugins.items())
            if plugin.missing(plugin.default_credentials(self.settings))
        ]


def build_registry(settings: Settings, http: httpx.AsyncClient) -> ProviderRegistry:
    """Every provider kassa ships, registered in one place. Raises a ConfigurationError
    naming a setting a provider package declares that cannot be read."""
    settings.check_declared()
    registry = ProviderRegistry(settings, http)
    for plugin in plugins.all_plugins():
        registry.register(plugin)
    return registry
