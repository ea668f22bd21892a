"""Tariffs: the list, a new one, one tariff's page to edit, and switching one on or off."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from kassa.admin.common import back_to, form_action, refusal, render, runtime, signed_in, to_login
from kassa.admin.forms import AmountRefused, amount_refused, typed_amount
from kassa.domain.errors import KassaError, NotFound
from kassa.domain.paging import PageParams
from kassa.services.billing import tariffs

TARIFF_FORM_HELP = "A name, a price in its currency, days, and 0 to 365 trial days."
router = APIRouter()


@router.get("/tariffs", response_class=HTMLResponse)
async def tariff_list(request: Request) -> Response:
    if (me := await signed_in(request)) is None:
        return to_login()
    rows, _ = await tariffs.list_tariffs(runtime(request), me.principal, PageParams(1, 100))
    return render(request, "tariffs.html", me, title="Tariffs", nav="Tariffs", rows=rows)


def _tariff_fields(form: dict[str, str]) -> dict[str, Any]:
    """A tariff form: the price typed in the currency's major units ("50 000,00");
    `AmountRefused` when it is not one, a ValueError for the rest."""
    currency = form.get("currency", "").strip().upper()
    amount = typed_amount(form.get("amount", ""), currency)
    days, trial = int(form.get("duration_days", "")), int(form.get("trial_days") or 0)
    if amount < 1 or days < 1 or not 0 <= trial <= 365 or not form.get("name", "").strip():
        raise ValueError("out of range")
    return {
        "name": form["name"].strip()[:200],
        "amount": amount,
        "currency": currency,
        "duration_days": days,
        "recurring": bool(form.get("recurring")),
        "trial_days": trial,
        "group": form.get("group", "").strip()[:100] or None,
    }


@router.post("/tariffs")
async def tariff_create(request: Request) -> Response:
    me, form = await form_action(request)
    if me is None:
        return to_login()
    try:
        fields = _tariff_fields(form)
    except AmountRefused as refused:
        return amount_refused("/admin/tariffs", refused)
    except ValueError:
        return back_to("/admin/tariffs", TARIFF_FORM_HELP, error=True)
    try:
        await tariffs.create_tariff(
            runtime(request), me.principal, {**fields, "description": None, "is_active": True}
        )
    except KassaError as exc:
        return refusal("/admin/tariffs", exc)
    return back_to("/admin/tariffs", "Tariff created.")


@router.get("/tariffs/{tariff_id}", response_class=HTMLResponse)
async def tariff_page(request: Request, tariff_id: str) -> Response:
    if (me := await signed_in(request)) is None:
        return to_login()
    try:
        tariff = await tariffs.get_tariff(runtime(request), me.principal, tariff_id[:64])
    except NotFound:
        return back_to("/admin/tariffs", "No such tariff.", error=True)
    return render(request, "tariff.html", me, title=tariff.name, nav="Tariffs", t=tariff)


@router.post("/tariffs/{tariff_id}")
async def tariff_edit(request: Request, tariff_id: str) -> Response:
    me, form = await form_action(request)
    if me is None:
        return to_login()
    back = f"/admin/tariffs/{quote(tariff_id[:64])}"
    try:
        fields = _tariff_fields(form)
    except AmountRefused as refused:
        return amount_refused(back, refused)
    except ValueError:
        return back_to(back, TARIFF_FORM_HELP, error=True)
    try:
        await tariffs.update_tariff(runtime(request), me.principal, tariff_id[:64], fields)
    except KassaError as exc:
        return refusal(back, exc)
    return back_to(
        back, "Tariff saved. Subscriptions renew at the new price from their next period."
    )


@router.post("/tariffs/{tariff_id}/toggle")
async def tariff_toggle(request: Request, tariff_id: str) -> Response:
    me, _ = await form_action(request)
    if me is None:
        return to_login()
    try:
        tariff = await tariffs.get_tariff(runtime(request), me.principal, tariff_id[:64])
    except NotFound:
        return back_to("/admin/tariffs", "No such tariff.", error=True)
    await tariffs.update_tariff(
        runtime(request), me.principal, tariff.id, {"is_active": not tariff.is_active}
    )
    return back_to("/admin/tariffs")
