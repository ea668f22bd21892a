"""The admin's messages after a form, signed (kassa.http.signed_flash): a page shows only
one the admin composed, never text someone else wrote into a link."""

from __future__ import annotations

from kassa.http.signed_flash import SignedFlash

_FLASH = SignedFlash("admin")
bind_key = _FLASH.bind_key
query = _FLASH.query
read = _FLASH.read
