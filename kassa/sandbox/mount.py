"""Mounting every provider emulator under /sandbox."""

from __future__ import annotations

from fastapi import FastAPI

from kassa.core.runtime import Runtime


def mount_sandboxes(app: FastAPI, rt: Runtime) -> list[str]:
    """Each emulator is an ASGI sub-app with its own state; returns the mounted names."""
    from kassa.sandbox import emulators

    mounted = []
    for name, build in emulators.all_emulators().items():
        app.mount(f"/sandbox/{name}", build(rt))
        mounted.append(name)
    return mounted
