"""Verifying kassa's downstream webhooks: `Kassa-Signature: t=<unix>,v1=<hex HMAC-SHA256(
secret, "<t>.<raw body>")>`, as kassa's own `kassa.events.signing` makes them."""

from __future__ import annotations

import hashlib
import hmac
import time


def verify_signature(secret: str, body: bytes, header: str, tolerance: int = 300) -> bool:
    """True when `header` signs exactly `body` with `secret` and was made within
    `tolerance` seconds. Deliveries are at least once: deduplicate by the event's `id`."""
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        stamp = int(parts["t"][0])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - stamp) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, given) for given in parts.get("v1", []))
