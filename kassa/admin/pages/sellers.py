"""Sellers: the legal details printed on invoices (per shop, or the default), the series
their documents are numbered in and the time zone they are dated in."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from kassa.admin.common import back_to, form_action, refusal, render, runtime, signed_in, to_login
from kassa.domain.errors import KassaError
from kassa.domain.paging import PageParams
from kassa.services.accounts import merchants, sellers

TAX_ID = re.compile(r"^\d{9,12}$")
KINDS = ("STIR", "INN", "BIN")
ZONES = ("Asia/Tashkent", "Asia/Almaty", "Asia/Bishkek", "Europe/Moscow", "UTC")  # offered
router = APIRouter()


@router.get("/sellers", response_class=HTMLResponse)
async def seller_list(request: Request) -> Response:
    if (me := await signed_in(request)) is None:
        return to_login()
    rows = await sellers.list_sellers(runtime(request), me.principal)
    shops, _ = await merchants.list_merchants(runtime(request), None, PageParams(1, 100))
    return render(
        request,
        "sellers.html",
        me,
        title="Sellers",
        nav="Sellers",
        rows=rows,
        shops=[s.shop_id for s in shops],
        kinds=KINDS,
        zones=ZONES,
    )


@router.post("/sellers")
async def seller_save(request: Request) -> Response:
    me, form = await form_action(request)
    if me is None:
        return to_login()
    key = form.get("key", "").strip()[:100]
    tax_id = form.get("tax_id", "").strip()
    if not form.get("legal_name", "").strip():
        return back_to("/admin/sellers", "A seller needs its legal name.", error=True)
    if tax_id and not TAX_ID.match(tax_id):
        return back_to("/admin/sellers", "A tax id (INN, STIR, BIN) is 9 to 12 digits.", error=True)
    fields = {
        "legal_name": form["legal_name"].strip()[:300],
        "address": form.get("address", "").strip()[:1000] or None,
        "tax_id": tax_id or None,
        "tax_id_kind": form.get("tax_id_kind") if form.get("tax_id_kind") in KINDS else None,
        "bank_details": form.get("bank_details", "").strip()[:1000] or None,
        "email": form.get("email", "").strip()[:254] or None,
        "phone": form.get("phone", "").strip()[:32] or None,
        # left empty: the seller keeps its own (services.accounts.sellers.put)
        "series": form.get("series", "").strip().upper()[:10] or None,
        "time_zone": form.get("time_zone", "").strip()[:64] or None,
    }
    try:
        await sellers.put(runtime(request), me.principal, key, fields)
    except KassaError as exc:
        return refusal("/admin/sellers", exc)
    if key:
        return back_to("/admin/sellers", "Seller for {shop} saved.", shop=key)
    return back_to("/admin/sellers", "Seller for every shop saved.")
