"""The Payme Subscribe API as the emulator serves it: cards.* and receipts.* with X-Auth.

Checked against what Payme's test server answered the peer payme-pkg's tests: id-only X-Auth
for cards.check and cards.remove, receipts.get_all answering a bare list of receipts
(`GetAllResponse.result: list[Receipt]`), a receipt's card expiry as YYMM, the
payer echoed, and a paid receipt's cancel queued (21, meta.source_cancel) before 50.

Test cards behave as Payme's test cabinet: any 16-digit number with a future MMYY expiry is
accepted, the SMS code is 666666, and a card ending in 0000 has insufficient funds.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from kassa.sandbox.base import EmulatorContext, Faults
from kassa.sandbox.payme import cabinet

SMS_CODE = "666666"
FRONT_END = frozenset({"cards.create", "cards.get_verify_code", "cards.verify"})
# Payme's sandbox also takes the merchant id alone for these two server-side card calls:
# payme-pkg (PayTechUz) calls them so, and its tests passed against Payme's test server.
ID_ONLY_TOO = frozenset({"cards.check", "cards.remove"})
CANCEL_QUEUE_SECONDS = 0.05  # a paid receipt waits in the cancel queue (21) before 50


@dataclass
class SubscribeState:
    cards: dict[str, dict[str, Any]] = field(default_factory=dict)
    receipts: dict[str, dict[str, Any]] = field(default_factory=dict)


class RpcError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _now() -> int:
    return int(time.time() * 1000)


def _public_card(card: dict[str, Any]) -> dict[str, Any]:
    """What cards.* answer: the expiry as "MM/YY" (receipts show it as "YYMM")."""
    return {k: card[k] for k in ("number", "expire", "token", "recurrent", "verify", "type")}


def _param(params: dict[str, Any], name: str) -> Any:
    if name not in params:
        raise RpcError(-32602, f"{name} is required")
    return params[name]


class SubscribeEmulator:
    def __init__(self, ctx: EmulatorContext, faults: Faults) -> None:
        self.ctx = ctx
        self.faults = faults
        self.state = SubscribeState()
        self.tasks: set[asyncio.Task[None]] = set()

    def _authorised(self, method: str, header: str) -> bool:
        merchant = cabinet.merchant_id(self.ctx.settings)
        key = cabinet.secret_key(self.ctx.settings)
        if method in FRONT_END or method in ID_ONLY_TOO:
            return header in (merchant, f"{merchant}:{key}")
        return header == f"{merchant}:{key}"

    def _card(self, token: Any) -> dict[str, Any]:
        card = self.state.cards.get(token) if isinstance(token, str) else None
        if card is None:
            raise RpcError(-31400, "Card not found")
        return card

    def _receipt(self, receipt_id: Any) -> dict[str, Any]:
        receipt = self.state.receipts.get(receipt_id) if isinstance(receipt_id, str) else None
        if receipt is None:
            raise RpcError(-31602, "Receipt not found")
        return receipt

    def _later(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _finish_cancel(self, receipt: dict[str, Any]) -> None:
        await asyncio.sleep(CANCEL_QUEUE_SECONDS)
        receipt.update(state=50, cancel_time=_now())

    def _all(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """receipts.get_all: `count` (at most 50) receipts created between `from` and `to`
        (ms), skipping `offset`."""
        numbers = [params.get(name, 0) for name in ("count", "from", "to", "offset")]
        if any(isinstance(n, bool) or not isinstance(n, int) or n < 0 for n in numbers):
            raise RpcError(-32602, "count, from, to and offset are non-negative integers")
        count, start, end, offset = (int(n) for n in numbers)
        if not 1 <= count <= 50:
            raise RpcError(-32602, "count is from 1 to 50")
        found = [r for r in self.state.receipts.values() if start <= r["create_time"] <= end]
        found.sort(key=lambda r: r["create_time"])
        return found[offset : offset + count]

    def handle(self, method: str, params: dict[str, Any]) -> dict[str, Any] | list[Any]:
        if method == "cards.create":
            card = _param(params, "card")
            number = str(card.get("number", "")) if isinstance(card, dict) else ""
            expire = str(card.get("expire", "")) if isinstance(card, dict) else ""
            if not (
                number.isdigit() and len(number) == 16 and len(expire) == 4 and expire.isdigit()
            ):
                raise RpcError(-31300, "Invalid card number or expiry")
            token = secrets.token_hex(24)
            self.state.cards[token] = {
                "number": f"{number[:6]}******{number[-4:]}",
                "expire": f"{expire[:2]}/{expire[2:]}",
                "yymm": f"{expire[2:]}{expire[:2]}",  # a receipt shows the card's expiry so
                "token": token,
                "recurrent": bool(params.get("save", True)),
                "verify": False,
                "type": "22618",
                "funds": not number.endswith("0000"),
            }
            return {"card": _public_card(self.state.cards[token])}
        if method == "cards.get_verify_code":
            self._card(_param(params, "token"))
            return {"sent": True, "phone": "99890*****31", "wait": 60000}
        if method == "cards.verify":
            card = self._card(_param(params, "token"))
            if params.get("code") != SMS_CODE:
                raise RpcError(-31103, "Invalid code")
            card["verify"] = True
            return {"card": _public_card(card)}
        if method == "cards.check":
            return {"card": _public_card(self._card(_param(params, "token")))}
        if method == "cards.remove":
            self._card(_param(params, "token"))
            del self.state.cards[params["token"]]
            return {"success": True}
        if method == "receipts.create":
            amount = _param(params, "amount")
            if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
                raise RpcError(-32602, "amount must be a positive integer of tiyin")
            account = _param(params, "account")
            receipt_id = secrets.token_hex(12)
            self.state.receipts[receipt_id] = {
                "_id": receipt_id,
                "create_time": _now(),
                "pay_time": 0,
                "cancel_time": 0,
                "state": 0,
                "type": 2,
                # as in the receipts.create and receipts.get_all examples of Payme's pages
                "external": False,
                "operation": -1,
                "category": None,
                "error": None,
                "detail": params.get("detail"),
                "amount": amount,
                "currency": 860,
                "commission": 0,
                "account": [{"name": k, "title": k, "value": v} for k, v in dict(account).items()],
                "description": params.get("description", ""),
                "card": None,
            }
            return {"receipt": self.state.receipts[receipt_id]}
        if method == "receipts.pay":
            receipt = self._receipt(_param(params, "id"))
            card = self._card(_param(params, "token"))
            if not card["verify"]:
                raise RpcError(-31400, "Card is not verified")
            if receipt["state"] != 0:
                raise RpcError(-31008, "Receipt cannot be paid in its state")
            if not card["funds"]:
                raise RpcError(-31630, "Insufficient funds")
            receipt.update(
                state=4, pay_time=_now(), card={"number": card["number"], "expire": card["yymm"]}
            )
            payer = params.get("payer")
            if isinstance(payer, dict):
                receipt["payer"] = {
                    k: payer[k] for k in ("phone", "email", "name", "ip") if k in payer
                }
            return {"receipt": receipt}
        if method == "receipts.cancel":
            receipt = self._receipt(_param(params, "id"))
            if receipt["state"] == 0:
                receipt.update(state=50, cancel_time=_now())
            elif receipt["state"] == 4:
                # "puts a paid receipt into the cancel queue" (21); Payme's processing then
                # returns the money and the receipt ends cancelled (50)
                receipt.update(
                    state=21, meta={**receipt.get("meta", {}), "source_cancel": "subscribe"}
                )
                self._later(self._finish_cancel(receipt))
            return {"receipt": receipt}
        if method == "receipts.check":
            return {"state": self._receipt(_param(params, "id"))["state"]}
        if method == "receipts.get":
            return {"receipt": self._receipt(_param(params, "id"))}
        if method == "receipts.get_all":
            # the list itself is the result: Payme's receipts.get_all page answers
            # `"result": [{"_id": …}, …]`; payme-pkg's GetAllResponse.result is a
            # list[Receipt] and its self-test asserts a list from Payme's test server
            return self._all(params)
        if method == "receipts.send":
            self._receipt(_param(params, "id"))
            return {"success": True}
        raise RpcError(-32601, "Method not found")


def mount(app: FastAPI, ctx: EmulatorContext, faults: Faults) -> SubscribeEmulator:
    emulator = SubscribeEmulator(ctx, faults)

    @app.post("/api")
    async def subscribe_api(request: Request) -> JSONResponse:
        await faults.delay()
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"error": {"code": -32700, "message": "Parse error"}})
        failure = faults.take_failure(body.get("method") if isinstance(body, dict) else None)
        if failure and not faults.lose_answers:
            return JSONResponse({"error": "unavailable"}, status_code=failure)
        rpc_id = body.get("id") if isinstance(body, dict) else None
        method = body.get("method") if isinstance(body, dict) else None
        params = body.get("params") if isinstance(body, dict) else None
        if not isinstance(method, str) or not isinstance(params, dict):
            return JSONResponse(
                {"id": rpc_id, "error": {"code": -32600, "message": "Invalid request"}}
            )
        if not emulator._authorised(method, request.headers.get("x-auth", "")):
            return JSONResponse(
                {"id": rpc_id, "error": {"code": -32504, "message": "Access denied"}}
            )
        try:
            result = emulator.handle(method, params)
        except RpcError as exc:
            return JSONResponse({"id": rpc_id, "error": {"code": exc.code, "message": exc.message}})
        if failure:  # the work is done; the answer is lost on the way back
            return JSONResponse({"error": "unavailable"}, status_code=failure)
        return JSONResponse({"jsonrpc": "2.0", "id": rpc_id, "result": result})

    return emulator
