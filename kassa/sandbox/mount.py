"""Mounting every provider's emulator under /sandbox/<name>."""

from __future__ import annotations

import importlib
from collections.abc import Mapping

from fastapi import FastAPI

from kassa.core.settings import Settings
from kassa.sandbox.base import EmulatorContext


def mount_sandboxes(
    app: FastAPI, settings: Settings, modules: Mapping[str, str]
) -> EmulatorContext:
    """`modules` names each provider's emulator module (its plug-in says which); each has a
    `build(ctx)` making an ASGI sub-app with its own state. Returns what they share, to
    close when the app stops."""
    ctx = EmulatorContext(settings)
    for name, module in modules.items():
        app.mount(f"/sandbox/{name}", importlib.import_module(module).build(ctx))
    return ctx
