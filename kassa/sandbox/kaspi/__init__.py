"""The Kaspi emulator (see `app`)."""

from kassa.sandbox.kaspi.app import build

__all__ = ["build"]
