"""`Kassa-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.

A consumer verifies a delivery with `verify(secret, body, header)`; the same few lines in any
language: split the header, recompute the HMAC over `t + "." + raw body`, compare in
constant time, and refuse timestamps older than the tolerance.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from datetime import datetime
from typing import Any

HEADER = "Kassa-Signature"
DEFAULT_TOLERANCE = 300


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def body_of(event_id: str, event_type: str, created_at: datetime, data: dict[str, Any]) -> bytes:
    return json.dumps(
        {"id": event_id, "type": event_type, "created_at": created_at.isoformat(), "data": data},
        separators=(",", ":"),
        sort_keys=True,
    ).encode()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def verify(secret: str, body: bytes, header: str, tolerance: int = DEFAULT_TOLERANCE) -> bool:
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        t = int(parts["t"][0])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - t) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, candidate) for candidate in parts.get("v1", []))
