"""Shops (merchants): each one's provider and credentials, switching one on or off, and a
test payment through its configuration."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from kassa.admin.common import (
    PROVIDERS,
    back_to,
    form_action,
    refusal,
    render,
    runtime,
    signed_in,
    to_login,
)
from kassa.admin.forms import AmountRefused, amount_refused, typed_amount
from kassa.domain.errors import KassaError
from kassa.domain.paging import PageParams
from kassa.providers import plugins
from kassa.services.accounts import merchants
from kassa.services.accounts.merchants import MerchantFields
from kassa.services.payments import service as payments

CURRENCY_FOR = {p.name: p.example_currency for p in plugins.all_plugins()}
router = APIRouter()


@router.get("/shops", response_class=HTMLResponse)
async def shop_list(request: Request) -> Response:
    if (me := await signed_in(request)) is None:
        return to_login()
    rows, _ = await merchants.list_merchants(runtime(request), None, PageParams(1, 100))
    return render(
        request,
        "shops.html",
        me,
        title="Shops",
        nav="Shops",
        rows=rows,
        providers=PROVIDERS,
        plugins=plugins.all_plugins(),
        currency_for=CURRENCY_FOR,
    )


@router.post("/shops")
async def shop_create(request: Request) -> Response:
    me, form = await form_action(request)
    if me is None:
        return to_login()
    provider = form.get("provider", "")
    if provider not in PROVIDERS or not form.get("shop_id"):
        return back_to("/admin/shops", "A shop id and a provider are needed.", error=True)
    declared = plugins.plugin(provider)
    assert declared is not None

    def given(name: str) -> str | None:
        return form.get(f"{provider}__{name}", "").strip() or None

    credentials = {s.name: v for s in declared.secrets if (v := given(s.name)) is not None}
    present = {"provider", "organization_bin", "device_token", "description"}
    if credentials:
        present.add("credentials")
    fields = MerchantFields(
        provider=provider,
        organization_bin=given("organization_bin"),
        device_token=given("device_token"),
        credentials=credentials or None,
        description=form.get("description") or None,
    )
    try:
        await merchants.create_merchant(
            runtime(request), me.principal, form["shop_id"][:100], fields, present
        )
    except KassaError as exc:
        return refusal("/admin/shops", exc)
    return back_to("/admin/shops", "Shop {shop} created.", shop=form["shop_id"][:100])


@router.post("/shops/{shop_id}/toggle")
async def shop_toggle(request: Request, shop_id: str) -> Response:
    me, _ = await form_action(request)
    if me is None:
        return to_login()
    try:
        shop = await merchants.get_merchant(runtime(request), shop_id[:100])
        await merchants.update_merchant(
            runtime(request),
            me.principal,
            shop.shop_id,
            MerchantFields(is_active=not shop.is_active),
            {"is_active"},
        )
    except KassaError as exc:
        return refusal("/admin/shops", exc)
    return back_to("/admin/shops")


@router.post("/shops/{shop_id}/test-payment")
async def shop_test_payment(request: Request, shop_id: str) -> Response:
    """A real payment through the shop's configuration, for the operator to pay in the
    sandbox; its amount typed in major units, as every amount in the admin."""
    me, form = await form_action(request)
    if me is None:
        return to_login()
    currency = form.get("currency", "").strip().upper()
    try:
        amount = typed_amount(form.get("amount", ""), currency)
    except AmountRefused as refused:
        return amount_refused("/admin/shops", refused)
    try:
        shop = await merchants.get_merchant(runtime(request), shop_id[:100])
        payment = await payments.create_payment(
            runtime(request),
            me.principal,
            payments.NewPayment(
                provider=shop.provider,
                amount=amount,
                currency=currency,
                shop_id=shop.shop_id,
                user_id=me.principal.subject,
                phone=form.get("phone") or None,
                description=f"Test payment for {shop.shop_id}",
            ),
        )
    except KassaError as exc:
        return refusal("/admin/shops", exc)
    return back_to(f"/admin/payments/{payment.id}", "Test payment created: open its checkout page.")
