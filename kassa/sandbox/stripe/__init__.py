"""The Stripe emulator (see `app`)."""

from kassa.sandbox.stripe.app import build

__all__ = ["build"]
