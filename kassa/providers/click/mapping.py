"""Click's SHOP API as Click defines it (docs.click.uz, "SHOP API"; as the public
integrations paytechuz and click-up implement it): Click calls the merchant twice, form-
encoded — Prepare (`action=0`), then Complete (`action=1`) — each signed with
`sign_string` = MD5 of click_trans_id + service_id + SECRET_KEY + merchant_trans_id
(+ merchant_prepare_id on Complete) + amount + action + sign_time; `amount` is in sums as
Click writes it ("5000", "5000.00"). The merchant answers JSON with `error` 0 or one of
Click's codes below; a Complete carrying Click's own negative `error` (the payment failed at
Click) cancels the order's transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping

PREPARE, COMPLETE = 0, 1

SUCCESS = 0
SIGN_CHECK_FAILED = -1
INCORRECT_AMOUNT = -2
ACTION_NOT_FOUND = -3
ALREADY_PAID = -4
ORDER_NOT_FOUND = -5  # Click: "User does not exist"
TRANSACTION_NOT_FOUND = -6
FAILED_TO_UPDATE = -7  # Click: "Failed to update user" (kassa could not record the call)
BAD_REQUEST = -8  # Click: "Error in request from click"
TRANSACTION_CANCELLED = -9

NOTES = {
    SUCCESS: "Success",
    SIGN_CHECK_FAILED: "SIGN CHECK FAILED!",
    INCORRECT_AMOUNT: "Incorrect parameter amount",
    ACTION_NOT_FOUND: "Action not found",
    ALREADY_PAID: "Already paid",
    ORDER_NOT_FOUND: "User does not exist",
    TRANSACTION_NOT_FOUND: "Transaction does not exist",
    FAILED_TO_UPDATE: "Failed to update user",
    BAD_REQUEST: "Error in request from click",
    TRANSACTION_CANCELLED: "Transaction cancelled",
}

# What Click sends on every call (docs.click.uz/en/click-api-request: Prepare's ten
# parameters; Complete adds merchant_prepare_id); one missing is -8, "Error in request from
# click" ("not all transmitted parameters"), as click-llc's integrations check it
# (click-integration-django `click_webhook_errors`, click-integration-php
# `BasicPaymentsErrors::is_not_possible_data`: click_paydoc_id, error and error_note too).
REQUIRED = (
    "click_trans_id", "service_id", "click_paydoc_id", "merchant_trans_id", "amount", "action",
    "error", "sign_time", "sign_string",
)  # fmt: skip
_ERROR = re.compile(r"-?[0-9]{1,9}")  # Click's codes are small (-5017); kept as an int32


def complete_request(fields: Mapping[str, str]) -> bool:
    """Whether the call carries every parameter Click sends: each of REQUIRED given,
    `click_trans_id` a number, `error` a whole number of Click's size, `error_note` present
    (it may be empty), and on Complete a `merchant_prepare_id` that is a number."""
    if any(not fields.get(name) for name in REQUIRED) or "error_note" not in fields:
        return False
    if not _ERROR.fullmatch(fields["error"]) or not _number(fields["click_trans_id"]):
        return False
    return fields["action"] != str(COMPLETE) or _number(fields.get("merchant_prepare_id", ""))


def _number(text: str) -> bool:
    """Click's ids are bigints: ASCII digits only (`int` would read other scripts' too)."""
    return text.isascii() and text.isdigit()


def signature(fields: Mapping[str, str], secret_key: str) -> str:
    """The MD5 Click signs a call with; Complete adds merchant_prepare_id."""
    parts = [fields.get("click_trans_id", ""), fields.get("service_id", ""), secret_key,
             fields.get("merchant_trans_id", "")]  # fmt: skip
    if fields.get("action") == str(COMPLETE):
        parts.append(fields.get("merchant_prepare_id", ""))
    parts += [fields.get("amount", ""), fields.get("action", ""), fields.get("sign_time", "")]
    return hashlib.md5("".join(parts).encode(), usedforsecurity=False).hexdigest()


def signed_by(fields: Mapping[str, str], secret_key: str) -> bool:
    given = fields.get("sign_string", "").lower().encode()
    return hmac.compare_digest(signature(fields, secret_key).encode(), given)
