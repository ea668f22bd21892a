"""Mounting every provider emulator under /sandbox."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from kassa.core.settings import Settings
from kassa.sandbox.base import EmulatorContext


def mount_sandboxes(app: FastAPI, settings: Settings, http: httpx.AsyncClient) -> list[str]:
    """Each emulator is an ASGI sub-app with its own state; returns the mounted names."""
    from kassa.sandbox import emulators

    ctx = EmulatorContext(settings, http)
    mounted = []
    for name, build in emulators.all_emulators().items():
        app.mount(f"/sandbox/{name}", build(ctx))
        mounted.append(name)
    return mounted
