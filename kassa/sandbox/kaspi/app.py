"""The Kaspi gateway emulator: create/status/refund as the proxy the replaced Kaspi service
used answers them (its public client, alekenov/figma-product-catalog
`payment-service/kaspi_client.py`): the token as `access_token` in every query, amounts in
whole tenge, nothing else (no cancel, no look-up by a merchant reference); and a "phone"
page at each payment's checkout_url standing in for the customer's Kaspi app: Pay makes the
status `Processed`, Decline makes it `Error`. Polling reads what it set.
Fault switches add timeouts, 5xx answers and lost answers; `PUT /_payments/{id}` sets any
status, including ones kassa has never heard of."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field

from kassa.sandbox.amounts import to_minor
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


@dataclass
class KaspiSandboxState:
    payments: dict[str, dict[str, Any]] = field(default_factory=dict)
    faults: Faults = field(default_factory=Faults)


# The sandbox's gateway token, when kassa's settings give none (kassa's sandbox mode names
# the same).
ACCESS_TOKEN = "kaspi-sandbox-token"  # noqa: S105 - a sandbox value, never production


def _said(status: str) -> Outcome:
    """The phone page for a payment no longer waiting: Processed is paid, Error declined."""
    if status == "Processed":
        return Outcome("Status: Processed (paid).", "success")
    if status == "Error":
        return Outcome("Status: Error (the payment was declined).", "error")
    return Outcome(f"Status: {status}", "info")


def ok(data: dict[str, Any]) -> JSONResponse:
    return JSONResponse({"status": True, "data": data})


def refused(code: str, message: str) -> JSONResponse:
    return JSONResponse({"status": False, "data": {"errors": {code: message}}})


def tenge(text: str) -> Decimal | None:
    """A positive whole number of tenge, as the gateway takes amounts; else None."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value > 0 and value == value.to_integral_value() else None


def shown(tenge: Decimal) -> str:
    """Whole tenge as the admin writes an amount ("5 000,00 KZT")."""
    return money(to_minor(tenge, "KZT"), "KZT")


CONTROLS = [
    Control("GET", "/_payments", "the payments as the gateway keeps them"),
    Control(
        "PUT",
        "/_payments/{externalId}",
        '{"status"}: set any status, one kassa has never heard of too; polling reads it',
    ),
    Control(
        "POST",
        "/_cabinet/refund",
        '{"externalId", "amount"?}: a refund made in Kaspi Pay itself, outside kassa',
    ),
    *fault_controls(),
]


class StatusChange(BaseModel):
    status: str = Field(min_length=1, max_length=60)


class CabinetRefund(BaseModel):
    externalId: str = Field(min_length=1, max_length=40)  # the gateway's name for it
    amount: str | None = Field(default=None, max_length=20)  # whole tenge; default the rest


def build(ctx: EmulatorContext) -> FastAPI:
    state = KaspiSandboxState()
    app = new_emulator("kaspi", state.faults)
    app.state.kaspi = state
    token = ctx.settings.value("KASPI_ACCESS_TOKEN") or ACCESS_TOKEN

    async def gate(request: Request, action: str) -> tuple[JSONResponse | None, int | None]:
        await state.faults.delay()
        if request.query_params.get("access_token") != token:
            return JSONResponse(
                {"status": False, "data": {"errors": {"401": "bad token"}}}, status_code=401
            ), None
        failure = state.faults.take_failure(action)
        if failure and not state.faults.lose_answers:
            return JSONResponse({"error": "unavailable"}, status_code=failure), None
        return None, failure

    def lost(failure: int | None, answer: JSONResponse) -> JSONResponse:
        return JSONResponse({"error": "unavailable"}, status_code=failure) if failure else answer

    @app.get("/create/")
    async def create(request: Request) -> JSONResponse:
        denied, failure = await gate(request, "create")
        if denied:
            return denied
        q = request.query_params
        amount = tenge(q.get("amount", ""))
        if amount is None:
            return refused("990000028", "wrong operation amount")
        if len(q.get("organizationBin", "")) != 12 or not q.get("phone", "").startswith("77"):
            return refused("-99000002", "trade point not found")
        external_id = str(12_800_000_000 + secrets.randbelow(10**8))
        state.payments[external_id] = {
            "externalId": external_id,
            "status": "Wait",
            "amount": amount,
            "refunded": Decimal(0),
            "bin": q["organizationBin"],
            "phone": q["phone"],
            "deviceToken": q.get("deviceToken"),
        }
        return lost(failure, ok({"externalId": external_id, "status": "Wait"}))

    def find(q: Any) -> dict[str, Any] | None:
        return state.payments.get(q.get("externalId") or "")

    @app.get("/status/")
    async def status(request: Request) -> JSONResponse:
        denied, failure = await gate(request, "status")
        if denied:
            return denied
        payment = find(request.query_params)
        if payment is None:
            return refused("-1601", "purchase not found")
        data = {"externalId": payment["externalId"], "status": payment["status"]}
        if payment["refunded"]:
            data["refundedAmount"] = f"{payment['refunded']:.2f}"
        return lost(failure, ok(data))

    @app.get("/refund/")
    async def refund(request: Request) -> JSONResponse:
        denied, failure = await gate(request, "refund")
        if denied:
            return denied
        q = request.query_params
        payment = find(q)
        if payment is None:
            return refused("-99000001", "purchase with this id not found")
        if q.get("organizationBin") != payment["bin"]:
            return refused("-99000003", "purchase's trade point does not match")
        if payment["status"] != "Processed":
            return refused("-99000011", "cannot refund: purchase status unsuitable")
        amount = tenge(q.get("amount", ""))
        if amount is None or payment["refunded"] + amount > payment["amount"]:
            return refused("-99000005", "refund amount cannot exceed the purchase amount")
        payment["refunded"] += amount
        return lost(
            failure,
            ok(
                {
                    "externalId": payment["externalId"],
                    "returnOperationId": secrets.randbelow(10**6),
                    "refundedAmount": f"{amount:.2f}",
                }
            ),
        )

    @app.post("/_cabinet/refund")
    async def cabinet_refund(body: CabinetRefund) -> JSONResponse:
        """Sandbox control (not the gateway's API): a refund the merchant makes in Kaspi
        Pay itself, outside kassa. Nothing is pushed (the gateway pushes nothing); the
        purchase's status shows it in `refundedAmount`, as after the gateway's /refund/."""
        payment = state.payments.get(body.externalId)
        if payment is None or payment["status"] != "Processed":
            return JSONResponse({"error": "not refundable"}, status_code=400)
        left = payment["amount"] - payment["refunded"]
        amount = tenge(body.amount) if body.amount else left
        if amount is None or amount > left:
            return JSONResponse({"error": "refund amount exceeds what is left"}, status_code=400)
        payment["refunded"] += amount
        return JSONResponse({"externalId": body.externalId, "refundedAmount": f"{amount:.2f}"})

    @app.put("/_payments/{external_id}")
    async def set_status(external_id: str, change: StatusChange) -> JSONResponse:
        payment = state.payments.get(external_id)
        if payment is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        payment["status"] = change.status
        return JSONResponse({"externalId": external_id, "status": change.status})

    @app.get("/_payments")
    async def payments() -> dict[str, Any]:
        return {
            "payments": {
                k: {**v, "amount": str(v["amount"]), "refunded": str(v["refunded"])}
                for k, v in state.payments.items()
            }
        }

    def page(
        request: Request, payment: dict[str, Any], result: Outcome | None = None
    ) -> HTMLResponse:
        return checkout_page(
            request,
            provider="kaspi",
            title=f"Kaspi.kz request to +{payment['phone']}",
            amount=shown(payment["amount"]),
            reference=payment["externalId"],
            result=result,
        )

    @app.get("/", response_class=HTMLResponse)
    async def index(request: Request) -> HTMLResponse:
        """Sandbox page (the gateway has none such): the remote payments, each with its
        "phone" page while it waits."""
        rows = [
            Row(
                external_id,
                shown(p["amount"]),
                p["status"],
                page=f"/phone/{external_id}" if p["status"] == "Wait" else None,
                detail=f"to +{p['phone']}"
                + (f", refunded {shown(p['refunded'])}" if p["refunded"] else ""),
            )
            for external_id, p in state.payments.items()
        ]
        return index_page(
            request,
            provider="kaspi",
            about="The Kaspi Pay gateway kassa talks to: create, status and refund, in whole "
            "tenge; a payment is a request to a customer's phone, whose page (the payment's "
            "checkout_url) stands in for the Kaspi app. kassa polls the status.",
            payments=rows,
            controls=CONTROLS,
            faults=state.faults,
        )

    @app.get("/phone/{external_id}", response_class=HTMLResponse)
    async def phone(request: Request, external_id: str) -> HTMLResponse:
        payment = state.payments.get(external_id)
        if payment is None:
            return HTMLResponse("<h1>No such Kaspi payment</h1>", status_code=404)
        if payment["status"] != "Wait":
            return page(request, payment, _said(payment["status"]))
        return page(request, payment)

    @app.post("/phone/{external_id}", response_class=HTMLResponse)
    async def phone_action(request: Request, external_id: str) -> HTMLResponse:
        payment = state.payments.get(external_id)
        action = await read_action(request)
        if payment is None or action is None:
            return HTMLResponse("<h1>No such Kaspi payment</h1>", status_code=404)
        if payment["status"] == "Wait":
            payment["status"] = "Processed" if action == "pay" else "Error"
            if payment["status"] == "Processed":
                return page(request, payment, Outcome("Payment successful."))
        return page(request, payment, _said(payment["status"]))

    return app
