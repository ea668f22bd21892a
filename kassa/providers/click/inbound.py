"""Click's calls (Prepare, Complete) read into the engine's calls, and the engine's
outcomes written back as Click's answers (see `protocol`).

Every check of a Complete happens before anything changes: the parameters Click always
sends (-8) here, on reading; the rest in the engine's transaction, under the order's lock —
its transaction is this click_trans_id's and this order's, the amount is the order's (-2),
`merchant_prepare_id` is kassa's id of that transaction (-6, `transaction_problem`), and
Click's own error for a confirmed transaction is "Already paid" (-4), not a cancel. So an
answer other than 0 never goes with a changed payment — but the one Click's docs ask for: a
Complete carrying Click's error cancels an open transaction and its order, answered -9
(docs.click.uz/en/click-api-error: "When receiving a negative error code, the supplier should
cancel the payment ... and return the error code -9"). The same order of checks as
click-llc's own integrations (click-integration-django `click/utils.py`
`click_webhook_errors`, click-integration-php `BasicPaymentsErrors::request_check`), which
also answer -4 before looking at Click's error."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl

from kassa.domain.inverted import InvertedCall, Outcome, Refusal, StoredTx, TxState
from kassa.domain.money import MoneyError, from_decimal_string
from kassa.providers.base import InboundRequest, ProviderContext, Reply
from kassa.providers.click import mapping as c

# the engine's refusals in Click's codes
CODES = {
    Refusal.ORDER_NOT_FOUND: c.ORDER_NOT_FOUND,
    Refusal.WRONG_AMOUNT: c.INCORRECT_AMOUNT,
    Refusal.ORDER_PAID: c.ALREADY_PAID,
    Refusal.ORDER_CLOSED: c.TRANSACTION_CANCELLED,
    Refusal.ORDER_BUSY: c.BAD_REQUEST,
    Refusal.TX_NOT_FOUND: c.TRANSACTION_NOT_FOUND,
    Refusal.TX_OTHER_ORDER: c.TRANSACTION_NOT_FOUND,
    Refusal.TX_CANCELLED: c.TRANSACTION_CANCELLED,
    Refusal.EXPIRED: c.TRANSACTION_CANCELLED,
}


class ClickInbound:
    timeout_ms: int | None = None  # Click sets no deadline between Prepare and Complete
    timeout_reason: int | None = None

    def __init__(self, ctx: ProviderContext) -> None:
        self.service_id = ctx.credentials.get("service_id")
        self.secret_key = ctx.credentials.get("secret_key")

    def read(self, request: InboundRequest) -> InvertedCall | Reply:
        try:
            fields = dict(parse_qsl(request.body.decode(), keep_blank_values=True))
        except UnicodeDecodeError:
            fields = {}
        if not c.complete_request(fields):
            return self._reply(fields, c.BAD_REQUEST)
        if fields["service_id"] != self.service_id or not c.signed_by(fields, self.secret_key):
            return self._reply(fields, c.SIGN_CHECK_FAILED, verified=False)
        action = fields["action"]
        if action not in (str(c.PREPARE), str(c.COMPLETE)):
            return self._reply(fields, c.ACTION_NOT_FOUND)
        amount = _tiyin(fields["amount"])
        if amount is None:
            return self._reply(fields, c.INCORRECT_AMOUNT)
        base: dict[str, Any] = {
            "provider": "click",
            "provider_tx_id": fields["click_trans_id"][:64],
            "payment_id": fields["merchant_trans_id"][:64],
            "amount": amount,
            "currency": "UZS",
            "data": {"click_paydoc_id": fields.get("click_paydoc_id")},
        }
        if action == str(c.PREPARE):
            return InvertedCall(kind="open", **base)
        base["context"] = {"merchant_prepare_id": int(fields["merchant_prepare_id"])}
        error = fields["error"]
        if int(error) < 0:
            # the payment failed at Click: its transaction (and the order) is cancelled
            note = fields.get("error_note", "")[:200]
            return InvertedCall(
                kind="cancel",
                reason=int(error),
                failure_code=f"click_{int(error)}",
                failure_message=f"Click: {note}" if note else None,
                **base,
            )
        return InvertedCall(kind="complete", **base)

    def transaction_problem(self, call: InvertedCall, tx: StoredTx) -> Refusal | None:
        """Click's rules for a Complete, asked by the engine under the order's lock before
        anything changes: `merchant_prepare_id` must be kassa's id of this click_trans_id's
        transaction (else -6, "check parameter merchant_prepare_id"), and Click's own error
        for a transaction already confirmed is -4 ("when trying to confirm or cancel the
        previously confirmed transaction"), never a cancel (docs.click.uz/en/click-api-error)."""
        if call.kind == "open":
            return None
        if tx.id != call.context.get("merchant_prepare_id"):
            return Refusal.TX_NOT_FOUND
        if call.kind == "cancel" and tx.state == TxState.COMPLETED:
            return Refusal.ORDER_PAID
        return None

    def answer(self, call: InvertedCall, outcome: Outcome) -> Reply:
        fields = {"click_trans_id": call.provider_tx_id, "merchant_trans_id": call.payment_id}
        if outcome.refusal is not None:
            return self._reply(fields, CODES[outcome.refusal])
        tx = outcome.tx
        assert tx is not None
        if call.kind == "cancel":
            return self._reply(fields, c.TRANSACTION_CANCELLED)
        key = "merchant_prepare_id" if call.kind == "open" else "merchant_confirm_id"
        return self._reply(fields, c.SUCCESS, ids={key: tx.id})

    def failed(self, call: InvertedCall) -> Reply:
        fields = {"click_trans_id": call.provider_tx_id, "merchant_trans_id": call.payment_id}
        return self._reply(fields, c.FAILED_TO_UPDATE)

    def _reply(
        self,
        fields: dict[str, Any],
        error: int,
        *,
        verified: bool = True,
        ids: dict[str, int] | None = None,
    ) -> Reply:
        body: dict[str, Any] = {
            "click_trans_id": _number(fields.get("click_trans_id")),
            "merchant_trans_id": fields.get("merchant_trans_id"),
            **(ids or {}),
            "error": error,
            "error_note": c.NOTES[error],
        }
        return Reply(body=body, verified=verified, throttle=False)


def _tiyin(sums: str) -> int | None:
    """Click's amount in sums, exactly in tiyin; None for anything else."""
    try:
        value = Decimal(sums)
        amount = from_decimal_string(value, "UZS")
    except (InvalidOperation, MoneyError):
        return None
    return amount if amount > 0 else None


def _number(value: Any) -> Any:
    return int(value) if isinstance(value, str) and value.isascii() and value.isdigit() else value
