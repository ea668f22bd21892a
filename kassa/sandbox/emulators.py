"""The emulators kassa ships; each provider issue adds one."""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import ASGIApp

from kassa.sandbox.base import EmulatorContext


def all_emulators() -> dict[str, Callable[[EmulatorContext], ASGIApp]]:
    from kassa.sandbox import kaspi, payme, stripe, yookassa

    return {
        "payme": payme.build,
        "kaspi": kaspi.build,
        "stripe": stripe.build,
        "yookassa": yookassa.build,
    }
