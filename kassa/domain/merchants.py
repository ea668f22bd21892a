"""Shop configuration rules: BINs and device tokens."""

from __future__ import annotations

import re
import uuid

_BIN = re.compile(r"^\d{12}$")


class InvalidMerchant(ValueError):
    pass


def check_bin(value: str) -> str:
    """A Kazakh BIN/IIN: twelve digits."""
    if not _BIN.match(value):
        raise InvalidMerchant("organization_bin must be 12 digits")
    return value


def check_device_token(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError as exc:
        raise InvalidMerchant("device_token must be a UUID") from exc
