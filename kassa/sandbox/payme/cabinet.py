"""The sandbox's Payme cabinet: the merchant and its key, as kassa's settings give them, else
the sandbox's own (the values kassa's sandbox mode names too)."""

from __future__ import annotations

from kassa.core.settings import Settings

MERCHANT_ID = "5e730e8e0b852a417aa49ceb"
SECRET_KEY = "sandbox-payme-key"  # noqa: S105 - a sandbox value, never production


def merchant_id(settings: Settings) -> str:
    return settings.value("PAYME_MERCHANT_ID") or MERCHANT_ID


def secret_key(settings: Settings) -> str:
    return settings.value("PAYME_SECRET_KEY") or SECRET_KEY
