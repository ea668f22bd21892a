"""The Click emulator (see `app`)."""

from kassa.sandbox.click.app import build

__all__ = ["build"]
