"""Payme's checkout links as Payme reads them, written for the emulator from Payme's
documentation ("Initialization of payment via GET", developer.help.paycom.uz): the path is
base64 of `key=value` pairs joined by `;` — `m` the merchant id, `ac.<field>` the account,
`a` the amount in tiyin, and optional `l` (ru, uz, en), `c` (return URL), `ct` (its
timeout in ms), `cr` (currency). kassa builds its links elsewhere; this reader is the
emulator's own, so it catches the builder's mistakes instead of sharing them.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

LANGUAGES = frozenset({"ru", "uz", "en"})


@dataclass(frozen=True, slots=True)
class CheckoutLink:
    merchant_id: str
    account_field: str
    order: str
    amount: int
    return_url: str | None


class BadLink(ValueError):
    """Payme shows its "invalid parameters" page for such a link."""


def read_link(encoded: str) -> CheckoutLink:
    try:
        text = base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise BadLink("the link is not base64 of Payme's parameters") from exc
    pairs: dict[str, str] = {}
    for chunk in text.split(";"):
        key, equals, value = chunk.partition("=")
        if not equals or not key or key in pairs:
            raise BadLink(f"malformed parameter {chunk[:40]!r}")
        pairs[key] = value
    accounts = [(key[3:], value) for key, value in pairs.items() if key.startswith("ac.")]
    amount = pairs.get("a", "")
    if not pairs.get("m") or len(accounts) != 1 or not accounts[0][0] or not accounts[0][1]:
        raise BadLink("a link names the merchant (m) and one account (ac.<field>)")
    if not amount.isdigit() or int(amount) <= 0:
        raise BadLink("the amount (a) is a positive number of tiyin")
    if "l" in pairs and pairs["l"] not in LANGUAGES:
        raise BadLink("the language (l) is ru, uz or en")
    back = pairs.get("c", "").replace("%3B", ";") or None
    return CheckoutLink(pairs["m"], accounts[0][0], accounts[0][1], int(amount), back)
