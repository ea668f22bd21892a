"""Kazakh mobile numbers, as Kaspi takes them: eleven digits, `7` then the `7xx` operator code."""

from __future__ import annotations

import re

_NOISE = re.compile(r"[\s()\-.]")
# Country code 7, then a mobile operator code 70x, 74x, 75x, 76x or 77x (72x and 71x are
# landlines, such as Almaty's 727), then seven digits.
_MOBILE = re.compile(r"^77[04567]\d{8}$")


class InvalidPhone(ValueError):
    pass


def normalise_kz_mobile(raw: str) -> str:
    """'+7 (701) 521-15-45', '87015211545' and '7015211545' all become '77015211545'."""
    digits = _NOISE.sub("", raw.strip())
    if digits.startswith("+"):
        digits = digits[1:]
    if not digits.isdigit():
        raise InvalidPhone(
            "a phone number has only digits, spaces, brackets, dashes and a leading +"
        )
    if len(digits) == 10:
        digits = "7" + digits
    elif len(digits) == 11 and digits[0] == "8":
        digits = "7" + digits[1:]
    if not _MOBILE.match(digits):
        raise InvalidPhone("not a Kazakh mobile number (+7 7xx xxx xx xx)")
    return digits
