"""The Payme emulator (see `app`)."""

from kassa.sandbox.payme.app import build

__all__ = ["build"]
