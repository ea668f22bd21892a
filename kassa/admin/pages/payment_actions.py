"""A payment's buttons: refund it, cancel it, or (sandbox only) refund it in its
provider's emulated cabinet."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kassa.admin import i18n
from kassa.admin.common import back_to, form_action, refusal, runtime, to_login
from kassa.admin.forms import AmountRefused, amount_refused, typed_amount
from kassa.admin.pages.payments import cabinet_refunds
from kassa.core.security import mint_token
from kassa.domain.errors import KassaError
from kassa.domain.money import format_amount
from kassa.services.ops import operations
from kassa.services.payments import refunds
from kassa.services.payments import service as payments

router = APIRouter()


@router.post("/payments/{payment_id}/refund")
async def refund_payment(request: Request, payment_id: str) -> Response:
    me, form = await form_action(request)
    if me is None:
        return to_login()
    back = f"/admin/payments/{quote(payment_id[:64])}"
    found = await operations.payment(runtime(request), payment_id[:64])
    if found is None:
        return back_to("/admin/payments", "No such payment.", error=True)
    typed = form.get("amount", "").strip()
    try:  # typed in the currency's major units, as the page shows it ("5 000,00")
        amount = typed_amount(typed, found.currency) if typed else None
    except AmountRefused as refused:
        return amount_refused(back, refused)
    reason = form.get("reason", "").strip()[:500] or "refunded from the admin UI"
    try:
        refund = await refunds.create_refund(
            runtime(request), me.principal, found.id, amount, f"{reason} ({me.operator.email})"
        )
    except KassaError as exc:
        return refusal(back, exc)
    given = format_amount(refund.amount, refund.currency)
    status = i18n.state(refund.status)
    return back_to(back, "Refunded {amount} ({status}).", amount=given, status=status)


@router.post("/payments/{payment_id}/cancel")
async def cancel_payment(request: Request, payment_id: str) -> Response:
    me, _ = await form_action(request)
    if me is None:
        return to_login()
    back = f"/admin/payments/{quote(payment_id[:64])}"
    try:
        await payments.cancel_payment(runtime(request), me.principal, payment_id[:64])
    except KassaError as exc:
        return refusal(back, exc)
    return back_to(back, "Cancelled.")


@router.post("/payments/{payment_id}/cabinet-refund")
async def cabinet_refund(request: Request, payment_id: str) -> Response:
    """SANDBOX only: what the operator would do in the provider's cabinet, done in its
    emulator, which then tells kassa as the provider does."""
    me, _ = await form_action(request)
    if me is None:
        return to_login()
    back = f"/admin/payments/{quote(payment_id[:64])}"
    rt = runtime(request)
    found = await operations.payment(rt, payment_id[:64])
    if found is None or not rt.settings.is_sandbox or not cabinet_refunds(found):
        return back_to(back, "Only sandbox payments refunded in a cabinet.", error=True)
    # the emulators' controls answer this machine or an admin (kassa.api.sandbox_controls):
    # the operator's own right, for a minute, wherever PUBLIC_URL leads
    operator = mint_token(
        rt.settings.signing_key, me.principal.subject, role="admin", expires_in=timedelta(minutes=1)
    )
    answer = await rt.http.post(
        f"{rt.settings.sandbox_url}/{found.provider}/_cabinet/refund",
        json={"order_id": found.id},
        headers={"Authorization": f"Bearer {operator}"},
    )
    if answer.status_code != 200 or "error" in answer.json():
        return back_to(back, "The sandbox cabinet could not refund it.", error=True)
    return back_to(back, "Refunded in the sandbox cabinet.")
