"""The list of provider packages kassa ships; each provider adds one line."""

from __future__ import annotations

import importlib
from functools import cache

from kassa.core import declared
from kassa.core.settings import Settings
from kassa.domain.states import BASE_GRAPH, StateGraph
from kassa.providers.base import ProviderPlugin

# One line a provider: the module that declares its PLUGIN.
PLUGINS = (
    "kassa.providers.payme.plugin",
    "kassa.providers.kaspi.plugin",
    "kassa.providers.stripe.plugin",
    "kassa.providers.yookassa.plugin",
    "kassa.providers.click.plugin",
)


@cache
def all_plugins() -> list[ProviderPlugin]:
    """Each package's declaration (its provider code and SDK load on first use only)."""
    found: list[ProviderPlugin] = [importlib.import_module(m).PLUGIN for m in PLUGINS]
    return found


def declared_settings() -> list[declared.Declared]:
    """Every setting the packages declare (`Settings` reads them by name)."""
    return [item for plugin in all_plugins() for item in plugin.settings]


declared.declare(declared_settings)


@cache
def by_name() -> dict[str, ProviderPlugin]:
    return {plugin.name: plugin for plugin in all_plugins()}


def plugin(name: str) -> ProviderPlugin | None:
    return by_name().get(name)


def names() -> list[str]:
    return [plugin.name for plugin in all_plugins()]


def state_graph(provider: str) -> StateGraph:
    """The provider's declared graph (the base graph for a name kassa does not know)."""
    found = plugin(provider)
    return found.graph if found is not None else BASE_GRAPH


def log_secrets(settings: Settings) -> list[str]:
    """Every secret a log line must never show: the settings' own and those the provider
    packages declare."""
    return settings.secret_values()


@cache
def phone_providers() -> frozenset[str]:
    """Providers whose payments name the customer's phone (it is asked there)."""
    return frozenset(plugin.name for plugin in all_plugins() if plugin.needs_phone)


@cache
def failure_reasons() -> dict[str, str]:
    """Every provider's failure codes by what the customer is told (kassa.domain.failures)."""
    return {code: why for plugin in all_plugins() for code, why in plugin.failure_reasons.items()}
