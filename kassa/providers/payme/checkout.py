"""Payme checkout links: `<host>/<base64("m=…;ac.order_id=…;a=…;c=…;l=…")>`."""

from __future__ import annotations

import base64
import binascii

PRODUCTION_HOST = "https://checkout.paycom.uz"
TEST_HOST = "https://test.paycom.uz"


def checkout_url(
    host: str,
    *,
    merchant_id: str,
    account_field: str,
    order_id: str,
    amount_tiyin: int,
    return_url: str | None = None,
    language: str = "ru",
) -> str:
    parts = [f"m={merchant_id}", f"ac.{account_field}={order_id}", f"a={amount_tiyin}"]
    if return_url:
        parts.append(f"c={return_url.replace(';', '%3B')}")
    parts.append(f"l={language}")
    encoded = base64.b64encode(";".join(parts).encode()).decode()
    return f"{host.rstrip('/')}/{encoded}"


def parse_checkout_params(encoded: str) -> dict[str, str]:
    """The emulator's side: decode a link's parameters (`ac.order_id` keeps its prefix)."""
    try:
        raw = base64.b64decode(encoded.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise ValueError("not a Payme checkout link") from exc
    params: dict[str, str] = {}
    for part in raw.split(";"):
        key, sep, value = part.partition("=")
        if not sep:
            raise ValueError("not a Payme checkout link")
        params[key] = value
    if "m" not in params or "a" not in params:
        raise ValueError("a checkout link names the merchant and the amount")
    return params
