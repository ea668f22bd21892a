"""Secrets at rest: provider credentials, card tokens and signing secrets are stored sealed.

Fernet (AES-128-CBC with HMAC-SHA256, from `cryptography`) under a key derived with HKDF from
ENCRYPTION_KEY, or from SECRET_KEY when no separate key is set. Several keys may be given,
comma-separated: the first seals, all open, so keys can be rotated.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "enc:v1:"


def _derive(material: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"kassa-at-rest", info=b"fernet").derive(
        material.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


class SecretBox:
    INFO_KEY = "secret_box"  # how a database session carries it (kassa.db.session)

    def __init__(self, key_material: str) -> None:
        keys = [k.strip() for k in key_material.split(",") if k.strip()]
        if not keys:
            raise ValueError("an encryption key is required")
        self._fernet = MultiFernet([_derive(k) for k in keys])

    def seal(self, plaintext: str) -> str:
        return PREFIX + self._fernet.encrypt(plaintext.encode()).decode()

    def open(self, sealed: str) -> str:
        if not sealed.startswith(PREFIX):
            raise ValueError("not a sealed value")
        try:
            return self._fernet.decrypt(sealed[len(PREFIX) :].encode()).decode()
        except InvalidToken as exc:
            raise ValueError("sealed with an unknown key or altered") from exc


def mask(value: str | None, visible: int = 8) -> str | None:
    """What reads may show of a write-only secret: its first characters and a mask."""
    if not value:
        return None
    return value[: min(visible, len(value) // 2)] + "…" + "*" * 4
