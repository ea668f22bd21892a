"""The list of provider packages kassa ships; each provider adds one line."""

from __future__ import annotations

from kassa.providers.registry import ProviderPlugin


def all_plugins() -> list[ProviderPlugin]:
    from kassa.providers.kaspi.plugin import PLUGIN as KASPI
    from kassa.providers.payme.plugin import PLUGIN as PAYME
    from kassa.providers.stripe.plugin import PLUGIN as STRIPE
    from kassa.providers.yookassa.plugin import PLUGIN as YOOKASSA

    return [PAYME, KASPI, STRIPE, YOOKASSA]
