"""Payme checkout links: `<host>/<base64("m=…;ac.order_id=…;a=…;c=…;l=…")>`."""

from __future__ import annotations

import base64

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
