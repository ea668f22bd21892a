"""Payme's Merchant API (JSON-RPC 2.0, Payme calls kassa) read into the engine's calls for
inverted providers, and the engine's outcomes written back as Payme's results and errors,
always with HTTP 200 (developer.help.paycom.uz, "Merchant API"; the official PHP template).

CheckPerformTransaction is the engine's check; CreateTransaction opens a transaction (state
1), PerformTransaction completes it (2), CancelTransaction cancels it (-1, or -2 once
performed: a refund); CheckTransaction and GetStatement read what is stored, so repeated
calls answer with the stored times; SetFiscalData notes Payme's fiscal receipt on the
transaction; ChangePassword rotates the key Payme signs with. A state-1 transaction older
than 12 hours (by Payme's own time) is cancelled with reason 4 when next touched.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from typing import Any

from kassa.domain.inverted import InvertedCall, Outcome, Refusal, StoredTx, TxState
from kassa.providers.base import InboundRequest, ProviderContext, Reply
from kassa.providers.payme import fiscal
from kassa.providers.payme import mapping as p
from kassa.providers.payme.mapping import CancelReason, PaymeError

LOGIN = "Paycom"


class PaymeInbound:
    timeout_ms: int | None = p.TIMEOUT_MS
    timeout_reason: int | None = CancelReason.TIMEOUT

    def __init__(self, ctx: ProviderContext) -> None:
        self.key = ctx.credentials.get("secret_key")
        self.merchant_id = ctx.credentials.values.get("merchant_id", "")
        self.field = ctx.settings.value("PAYME_ACCOUNT_FIELD") or ""

    # -- reading Payme's call ------------------------------------------------------------

    def read(self, request: InboundRequest) -> InvertedCall | Reply:
        if request.method != "POST":
            return _answer(None, error=PaymeError(p.NOT_POST))
        try:
            rpc = json.loads(request.body)
        except (ValueError, UnicodeDecodeError):
            return _answer(None, error=PaymeError(p.PARSE_ERROR))
        rpc_id = rpc.get("id") if isinstance(rpc, dict) else None
        if isinstance(rpc_id, dict | list):
            rpc_id = None
        if not self._authorised(request.headers.get("authorization")):
            return _answer(rpc_id, error=PaymeError(p.INSUFFICIENT_PRIVILEGE), verified=False)
        if not isinstance(rpc, dict):
            return _answer(None, error=PaymeError(p.INVALID_REQUEST))
        method, params = rpc.get("method"), rpc.get("params")
        if not isinstance(method, str) or not isinstance(params, dict):
            bad = "method" if not isinstance(method, str) else "params"
            return _answer(rpc_id, error=PaymeError(p.INVALID_REQUEST, bad))
        try:
            return self._call(method, params, rpc_id)
        except PaymeError as exc:
            return _answer(rpc_id, error=exc)

    def _authorised(self, header: str | None) -> bool:
        scheme, _, token = (header or "").strip().partition(" ")
        if scheme.lower() != "basic" or not token.strip():
            return False
        try:
            given = base64.b64decode(token.strip(), validate=True)
        except binascii.Error:
            return False
        return hmac.compare_digest(f"{LOGIN}:{self.key}".encode(), given)

    def _call(self, method: str, params: dict[str, Any], rpc_id: Any) -> InvertedCall:
        call: dict[str, Any] = {"provider": "payme", "context": {"rpc_id": rpc_id}}
        if method in ("CheckPerformTransaction", "CreateTransaction"):
            call.update(
                payment_id=p.require_account(params, self.field),
                amount=p.require_int(params, "amount"),
                currency="UZS",
            )
        if method == "CheckPerformTransaction":
            return InvertedCall(kind="check", **call)
        if method == "GetStatement":
            start = p.require_int(params, "from", positive=False)
            end = p.require_int(params, "to", positive=False)
            if start > end:
                raise PaymeError(p.BAD_PERIOD, "from")
            return InvertedCall(kind="statement", data={"from": start, "to": end}, **call)
        if method == "ChangePassword":
            password = params.get("password")
            if not isinstance(password, str) or not password.strip() or len(password) > 200:
                raise PaymeError(p.BAD_PASSWORD, "password")
            data = {"key": password.strip(), "account": self.merchant_id}
            return InvertedCall(kind="rotate_key", data=data, **call)
        if method not in TRANSACTION_METHODS:
            raise PaymeError(p.METHOD_NOT_FOUND, method[:100])
        call["provider_tx_id"] = p.require_str(params, "id")
        if method == "CreateTransaction":
            time = p.require_int(params, "time")
            kept: dict[str, Any] = {"account": dict(params["account"]), "receivers": None}
            return InvertedCall(kind="open", provider_time=time, data=kept, **call)
        if method == "PerformTransaction":
            return InvertedCall(kind="complete", **call)
        if method == "CancelTransaction":
            reason = p.require_int(params, "reason")
            return InvertedCall(
                kind="cancel",
                reason=reason,
                failure_code=f"payme_reason_{reason}",
                failure_message=p.REASON_TEXT.get(reason, f"Payme reason {reason}"),
                **call,
            )
        if method == "SetFiscalData":
            kind, fiscal = params.get("type"), params.get("fiscal_data")
            if kind not in ("PERFORM", "CANCEL") or not isinstance(fiscal, dict):
                bad = "type" if kind not in ("PERFORM", "CANCEL") else "fiscal_data"
                raise PaymeError(p.INVALID_PARAMS, bad)
            note = {f"fiscal_{str(kind).lower()}": fiscal}
            return InvertedCall(kind="annotate", data=note, **call)
        return InvertedCall(kind="read", **call)  # CheckTransaction

    # -- answering -----------------------------------------------------------------------

    def answer(self, call: InvertedCall, outcome: Outcome) -> Reply:
        rpc_id = call.context.get("rpc_id")
        if outcome.refusal is not None:
            return _answer(rpc_id, error=self._error(call, outcome.refusal))
        if call.kind == "check":
            receipt = fiscal.detail(outcome.lines)
            result: dict[str, Any] = {"allow": True}
            if receipt is not None:
                result["detail"] = receipt
            return _answer(rpc_id, result=result)
        if call.kind == "statement":
            return _answer(rpc_id, result={"transactions": [_line(tx) for tx in outcome.txs]})
        if call.kind in ("rotate_key", "annotate"):
            return _answer(rpc_id, result={"success": True})
        tx = outcome.tx
        assert tx is not None
        if call.kind == "open":
            if tx.state != TxState.OPEN:  # a repeated Create for a performed transaction
                return _answer(rpc_id, error=PaymeError(p.CANNOT_PERFORM, "id"))
            result = {"create_time": tx.create_time, "transaction": tx.payment_id,
                      "state": int(tx.state), "receivers": tx.data.get("receivers")}  # fmt: skip
        elif call.kind == "complete":
            result = {"transaction": tx.payment_id, "perform_time": tx.perform_time,
                      "state": int(tx.state)}  # fmt: skip
        elif call.kind == "cancel":
            result = {"transaction": tx.payment_id, "cancel_time": tx.cancel_time,
                      "state": int(tx.state)}  # fmt: skip
        else:  # CheckTransaction
            result = {"create_time": tx.create_time, "perform_time": tx.perform_time,
                      "cancel_time": tx.cancel_time, "transaction": tx.payment_id,
                      "state": int(tx.state), "reason": tx.reason}  # fmt: skip
        return _answer(rpc_id, result=result)

    def _error(self, call: InvertedCall, refusal: Refusal) -> PaymeError:
        field = self.field
        if refusal is Refusal.ORDER_NOT_FOUND:
            return PaymeError(p.ORDER_NOT_FOUND, field)
        if refusal is Refusal.WRONG_AMOUNT:
            return PaymeError(p.WRONG_AMOUNT, "amount")
        if refusal is Refusal.ORDER_BUSY:
            return PaymeError(p.ORDER_AWAITING_PAYMENT, field)
        if refusal in (Refusal.ORDER_PAID, Refusal.ORDER_CLOSED) and call.kind in ("check", "open"):
            return PaymeError(p.ORDER_NOT_PAYABLE, field)
        if refusal is Refusal.TX_NOT_FOUND and call.kind == "annotate":
            return PaymeError(p.RECEIPT_NOT_FOUND, "id")  # SetFiscalData for no transaction
        if refusal is Refusal.TX_NOT_FOUND:
            return PaymeError(p.TX_NOT_FOUND, "id")
        if refusal is Refusal.KEY_UNCHANGED:
            return PaymeError(p.INSUFFICIENT_PRIVILEGE)
        return PaymeError(p.CANNOT_PERFORM, "id")  # cancelled, expired, another order's

    def failed(self, call: InvertedCall) -> Reply:
        return _answer(call.context.get("rpc_id"), error=PaymeError(p.SYSTEM_ERROR))


TRANSACTION_METHODS = frozenset(
    {"CreateTransaction", "PerformTransaction", "CancelTransaction", "CheckTransaction",
     "SetFiscalData"}
)  # fmt: skip


def _line(tx: StoredTx) -> dict[str, Any]:
    """A transaction as GetStatement lists it."""
    return {
        "id": tx.provider_tx_id,
        "time": tx.provider_time,
        "amount": tx.amount,
        "account": tx.data.get("account"),
        "create_time": tx.create_time,
        "perform_time": tx.perform_time,
        "cancel_time": tx.cancel_time,
        "transaction": tx.payment_id,
        "state": int(tx.state),
        "reason": tx.reason,
        "receivers": tx.data.get("receivers"),
    }


def _answer(
    rpc_id: Any, *, result: Any = None, error: PaymeError | None = None, verified: bool = True
) -> Reply:
    body: dict[str, Any] = {"jsonrpc": "2.0", "id": rpc_id}
    if error is not None:
        body["error"] = error.to_json()
    else:
        body["result"] = result
    return Reply(body=body, verified=verified, throttle=False)
