"""The Payme emulator: the checkout page and Payme's side of the Merchant API.

On Pay it calls kassa's /webhooks/payme exactly as Payme does (CheckPerformTransaction,
CreateTransaction, PerformTransaction, with `Basic Paycom:<key>`); on Decline it creates
the transaction and cancels it with reason 2 (debit failed), as a refused card does. A
"cabinet" endpoint refunds a performed transaction the way an operator would in Payme
Business: Payme calls CancelTransaction with reason 5.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field

from kassa.sandbox.base import (
    Control,
    EmulatorContext,
    Faults,
    Outcome,
    Row,
    checkout_page,
    fault_controls,
    index_page,
    money,
    new_emulator,
    read_action,
)
from kassa.sandbox.payme import cabinet, subscribe
from kassa.sandbox.payme.links import BadLink, CheckoutLink, read_link


@dataclass
class PaymeSandboxState:
    transactions: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[dict[str, Any]] = field(default_factory=list)
    faults: Faults = field(default_factory=Faults)
    receipt_seq: int = 0  # the fiscal receipts' numbers

    def log(self, method: str, params: dict[str, Any], answer: dict[str, Any]) -> None:
        self.calls.append({"method": method, "params": params, "answer": answer})
        del self.calls[:-1000]


class MerchantApiClient:
    """Payme's client for a merchant's endpoint."""

    def __init__(self, ctx: EmulatorContext, state: PaymeSandboxState) -> None:
        self.ctx = ctx
        self.state = state
        self.url = f"{ctx.settings.public_url.rstrip('/')}/webhooks/payme"
        key = cabinet.secret_key(ctx.settings)
        self.auth = "Basic " + base64.b64encode(f"Paycom:{key}".encode()).decode()

    async def _post(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        await self.state.faults.delay()
        call = {
            "jsonrpc": "2.0",
            "id": secrets.randbelow(10**6),
            "method": method,
            "params": params,
        }
        response = await self.ctx.call_kassa(
            self.url,
            body=json.dumps(call).encode(),
            headers={"Authorization": self.auth, "Content-Type": "application/json"},
        )
        answer: dict[str, Any] = response.json()
        self.state.log(method, params, answer)
        return answer

    async def call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """One call, or two at once when duplicates are switched on (Payme retries)."""
        if not self.state.faults.duplicate_callbacks:
            return await self._post(method, params)
        first, second = await asyncio.gather(self._post(method, params), self._post(method, params))
        if first.get("result") != second.get("result"):
            self.state.log("MISMATCH", params, {"first": first, "second": second})
        return first


TERMINAL_ID = "EP000000000001"  # the sandbox's fiscal module


def _detail_problem(detail: Any, amount: int) -> str | None:
    """What Payme would not print: items without an IKPU of 17 digits, or whose prices
    (price x count - discount) do not add up to the amount paid."""
    items = detail.get("items") if isinstance(detail, dict) else None
    if not isinstance(items, list) or not items:
        return "the fiscal detail has no items"
    total = 0
    for item in items:
        code = str(item.get("code", ""))
        if len(code) != 17 or not code.isdigit():
            return "an item's IKPU code is not 17 digits"
        if not all(isinstance(item.get(k), int) for k in ("price", "count", "vat_percent")):
            return "an item's price, count and vat_percent are integers"
        total += item["price"] * item["count"] - int(item.get("discount") or 0)
    if total != amount:
        return f"the fiscal items add up to {total} tiyin, not {amount}"
    return None


def _now_ms() -> int:
    return int(time.time() * 1000)


def _error_text(answer: dict[str, Any]) -> Outcome:
    error = answer.get("error") or {}
    message = error.get("message")
    text = message.get("en") if isinstance(message, dict) else message
    return Outcome(f"Payme refused the payment: {text} ({error.get('code')})", "error")


# Merchant API transaction states (developer.help.paycom.uz, "Transaction states") and the
# Subscribe API's receipt states ("receipts.*": 0 created, 4 paid, 21 queued for cancel, 50
# cancelled), as the index page names them
TRANSACTION_STATES = {1: "created", 2: "performed", -1: "cancelled", -2: "cancelled after perform"}
RECEIPT_STATES = {0: "created", 4: "paid", 21: "cancel queued", 50: "cancelled"}
CONTROLS = [
    Control("GET", "/_transactions", "the transactions and the Merchant API calls made"),
    Control(
        "POST",
        "/_cabinet/refund",
        '{"order_id"} or {"payme_id"}: a refund made in Payme Business: CancelTransaction '
        "with reason 5",
    ),
    *fault_controls(),
]


class RefundRequest(BaseModel):
    payme_id: str | None = Field(default=None, max_length=64)
    order_id: str | None = Field(default=None, max_length=64)
    reason: int = 5


def build(ctx: EmulatorContext) -> FastAPI:
    state = PaymeSandboxState()
    app = new_emulator("payme", state.faults)
    app.state.payme = state
    client = MerchantApiClient(ctx, state)
    app.state.subscribe = subscribe.mount(app, ctx, state.faults)

    merchant_id = cabinet.merchant_id(ctx.settings)

    def link_of(encoded: str) -> CheckoutLink | None:
        try:
            link = read_link(encoded)
        except BadLink:
            return None
        return link if link.merchant_id == merchant_id else None  # Payme: merchant not found

    async def run_checkout(link: CheckoutLink, action: str) -> Outcome:
        order, amount = link.order, link.amount
        account = {link.account_field: order}
        check = await client.call("CheckPerformTransaction", {"amount": amount, "account": account})
        if "error" in check:
            return _error_text(check)
        detail = (check.get("result") or {}).get("detail")
        if detail is not None and (problem := _detail_problem(detail, amount)):
            return Outcome(f"Payme refused the payment: {problem}", "error")
        payme_id = secrets.token_hex(12)
        payme_time = _now_ms()
        created = await client.call(
            "CreateTransaction",
            {"id": payme_id, "time": payme_time, "amount": amount, "account": account},
        )
        if "error" in created:
            return _error_text(created)
        state.transactions[payme_id] = {
            "order_id": order,
            "amount": amount,
            "time": payme_time,
            "state": 1,
            "detail": detail,
        }
        if action == "decline":
            await client.call("CancelTransaction", {"id": payme_id, "reason": 2})
            state.transactions[payme_id]["state"] = -1
            return Outcome("Payment declined by the card issuer.", "error")
        performed = await client.call("PerformTransaction", {"id": payme_id})
        if "error" in performed:
            return _error_text(performed)
        state.transactions[payme_id]["state"] = 2
        await fiscalise(payme_id, "PERFORM")
        return Outcome("Payment successful.")

    async def fiscalise(payme_id: str, kind: str) -> None:
        """Payme's fiscal receipt for a transaction whose order gave `detail`, pushed with
        SetFiscalData "after the receipt reaches a successful status" (D-fiscal), for the
        sale (PERFORM) and for its reversal (CANCEL)."""
        tx = state.transactions.get(payme_id)
        if tx is None or tx.get("detail") is None:
            return
        state.receipt_seq += 1
        stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime())
        sign = f"{secrets.randbelow(10**12):012d}"
        fiscal = {
            "receipt_id": state.receipt_seq,
            "status_code": 0,
            "message": "accepted",
            "terminal_id": TERMINAL_ID,
            "fiscal_sign": sign,
            "qr_code_url": f"https://ofd.soliq.uz/check?t={TERMINAL_ID}&r={state.receipt_seq}"
            f"&c={stamp}&s={sign}",
            "date": stamp,
        }
        tx.setdefault("fiscal", {})[kind] = fiscal
        await client.call("SetFiscalData", {"id": payme_id, "type": kind, "fiscal_data": fiscal})

    @app.get("/", response_class=HTMLResponse)
    async def index(request: Request) -> HTMLResponse:
        """Sandbox page (Payme has none such): the transactions kassa's Merchant API took
        part in, and the Subscribe API's receipts (payments with a saved card)."""
        made = [
            (
                tx["time"],
                Row(
                    tx["order_id"],
                    money(tx["amount"], "UZS"),
                    TRANSACTION_STATES.get(tx["state"], str(tx["state"])),
                    detail=f"transaction {payme_id}",
                ),
            )
            for payme_id, tx in state.transactions.items()
        ]
        made += [
            (
                receipt["create_time"],
                Row(
                    ", ".join(str(a["value"]) for a in receipt["account"]) or receipt["_id"],
                    money(receipt["amount"], "UZS"),
                    RECEIPT_STATES.get(receipt["state"], str(receipt["state"])),
                    detail=f"receipt {receipt['_id']} (a saved card)",
                ),
            )
            for receipt in app.state.subscribe.state.receipts.values()
        ]
        rows = [row for _, row in sorted(made, key=lambda pair: pair[0])]
        return index_page(
            request,
            provider="payme",
            about="Payme's checkout page calls kassa's Merchant API (CheckPerformTransaction, "
            "CreateTransaction, PerformTransaction) as Payme does; a saved card pays through "
            "the Subscribe API (receipts.create, receipts.pay). A checkout link is opened from "
            "its payment's checkout_url; the transactions it made are listed here.",
            payments=rows,
            controls=CONTROLS,
            faults=state.faults,
        )

    @app.get("/_transactions")
    async def transactions() -> dict[str, Any]:
        return {"transactions": state.transactions, "calls": state.calls[-200:]}

    @app.post("/_cabinet/refund")
    async def cabinet_refund(body: RefundRequest) -> JSONResponse:
        payme_id = body.payme_id or next(
            (
                pid
                for pid, tx in state.transactions.items()
                if tx["order_id"] == body.order_id and tx["state"] == 2
            ),
            None,
        )
        if payme_id is None:
            return JSONResponse({"error": "no performed transaction"}, status_code=404)
        answer = await client.call("CancelTransaction", {"id": payme_id, "reason": body.reason})
        if "result" in answer and payme_id in state.transactions:
            state.transactions[payme_id]["state"] = answer["result"]["state"]
            if answer["result"]["state"] == -2:
                await fiscalise(payme_id, "CANCEL")
        return JSONResponse(answer)

    @app.get("/{encoded}", response_class=HTMLResponse)
    async def checkout(request: Request, encoded: str) -> HTMLResponse:
        link = link_of(encoded)
        if link is None:
            return HTMLResponse("<h1>Invalid Payme link</h1>", status_code=404)
        return checkout_page(
            request,
            provider="payme",
            title="Payment",
            amount=money(link.amount, "UZS"),
            reference=link.order,
        )

    @app.post("/{encoded}", response_class=HTMLResponse)
    async def checkout_action(request: Request, encoded: str) -> HTMLResponse:
        link = link_of(encoded)
        if link is None:
            return HTMLResponse("<h1>Invalid Payme link</h1>", status_code=404)
        action = await read_action(request)
        if action is None:
            return HTMLResponse("<h1>Unknown action</h1>", status_code=400)
        result = await run_checkout(link, action)
        return checkout_page(
            request,
            provider="payme",
            title="Payment",
            amount=money(link.amount, "UZS"),
            reference=link.order,
            result=result,
            return_url=link.return_url,
        )

    return app
