"""Mounting every provider's emulator under /sandbox/<name>. Which emulators there are, and
where each one's code is, the provider plug-ins say (the app hands their word over): this
module names no provider, and a provider's emulator is its own package, kassa/sandbox/<name>/,
whose `build(ctx)` makes an ASGI sub-app with its own state."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any, cast

from fastapi import FastAPI
from starlette.types import ASGIApp

from kassa.core.settings import Settings
from kassa.sandbox.base import EmulatorContext

Build = Callable[[EmulatorContext], ASGIApp]
# a plug-in's word for its emulator: a factory that imports it when called and gives its
# package (or that package's `build`)
EmulatorRef = Callable[[], Any]


def mount_sandboxes(
    app: FastAPI, settings: Settings, emulators: Mapping[str, EmulatorRef]
) -> EmulatorContext:
    """Mounts `emulators` (provider name: its plug-in's word for its emulator). Returns what
    they share, to close when the app stops."""
    ctx = EmulatorContext(settings)
    for name, ref in emulators.items():
        app.mount(f"/sandbox/{name}", builder(ref)(ctx))
    return ctx


def builder(ref: EmulatorRef) -> Build:
    """The emulator's `build`, its package imported now (a kassa without its sandboxes never
    loads one)."""
    found = ref()
    return cast(Build, found.build if isinstance(found, ModuleType) else found)
