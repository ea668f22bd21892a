"""The portal's messages after a button, signed (kassa.http.signed_flash): the customer
sees only one the portal composed, never text someone else wrote into a link."""

from __future__ import annotations

from kassa.http.signed_flash import SignedFlash

_FLASH = SignedFlash("portal")
bind_key = _FLASH.bind_key
query = _FLASH.query
read = _FLASH.read
