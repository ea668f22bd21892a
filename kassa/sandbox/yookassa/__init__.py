"""The YooKassa emulator (see `app`)."""

from kassa.sandbox.yookassa.app import build

__all__ = ["build"]
