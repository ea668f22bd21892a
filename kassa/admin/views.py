"""Admin UI routes: each page reads through the services, each button calls one service
function, exactly what the HTTP API would do for an admin."""

from __future__ import annotations

import csv
import hmac
import io
import secrets
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from kassa.admin import charts, flash, i18n
from kassa.core.security import mint_token
from kassa.domain import figures
from kassa.domain.errors import KassaError, NotFound
from kassa.domain.money import (
    MoneyError,
    TooPrecise,
    exponent,
    format_amount,
    format_number,
    from_typed,
    normalise_currency,
    shown,
    to_decimal_string,
)
from kassa.domain.paging import PageParams
from kassa.domain.states import PaymentStatus
from kassa.http.client_ip import sender_address, trusted_networks
from kassa.providers import plugins
from kassa.runtime import Runtime
from kassa.services.accounts import merchants, operators
from kassa.services.accounts.merchants import MerchantFields
from kassa.services.accounts.operators import LoginRefused, SignedIn, log_in, log_out, session_for
from kassa.services.billing import invoices, tariffs
from kassa.services.billing import lifecycle as billing
from kassa.services.billing.invoice_pdf import FontMissing
from kassa.services.ops import audit, operations, webhook_endpoints
from kassa.services.ops.audit import OPERATIONS
from kassa.services.payments import refunds
from kassa.services.payments import service as payments

COOKIE = "kassa_admin"
LOGIN_CSRF_COOKIE = "kassa_login_csrf"
# Everything the UI says of a provider comes from its plug-in declaration.
PROVIDERS = plugins.names()
CURRENCY_FOR = {p.name: p.example_currency for p in plugins.all_plugins()}
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


templates.env.globals["money"] = shown
templates.env.globals["_"] = i18n.gettext
templates.env.globals["state"] = i18n.state
templates.env.globals["term"] = i18n.term
templates.env.globals["actor"] = i18n.actor
templates.env.globals["note"] = i18n.note
templates.env.globals["days"] = i18n.days
templates.env.globals["seconds"] = i18n.seconds
templates.env.globals["renews"] = billing.renews
templates.env.globals["count"] = figures.count  # whole numbers and shares as the reader writes them
templates.env.globals["share"] = figures.share
# every page's messages are signed with the key bound here (kassa.admin.flash)
router = APIRouter(prefix="/admin", include_in_schema=False, dependencies=[Depends(flash.bind_key)])


def static_files() -> StaticFiles:
    return StaticFiles(directory=str(Path(__file__).parent / "static"))


def _rt(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def _me(request: Request) -> SignedIn | None:
    return await session_for(_rt(request).db, request.cookies.get(COOKIE))


def _page(
    request: Request, name: str, me: SignedIn | None, http_status: int = 200, **context: Any
) -> HTMLResponse:
    message, is_error = flash.read(request)  # only a message this admin composed
    lang = _speak(request, me)  # the template renders now, in this language
    return templates.TemplateResponse(
        request,
        name,
        {
            "me": me.operator.email if me else None,
            "csrf": me.csrf_token if me else "",
            "flash": message,
            "flash_error": is_error,
            "lang": lang,
            "languages": i18n.LANGUAGES,
            **context,
        },
        status_code=http_status,
    )


def _back(
    path: str, message: str | None = None, error: bool = False, **values: object
) -> RedirectResponse:
    """Back to a page with a message in the operator's language (set by `_form_action`):
    `message` is the English text, with `{name}` for each of `values`; signed, so a page
    tells it from text someone else put in a link (kassa.admin.flash)."""
    if message:
        message = i18n.gettext(message)
        if values:
            message = message.format(**values)
        signed = flash.query(message, error)
        if signed:
            path += ("&" if "?" in path else "?") + signed
    return RedirectResponse(path, status_code=303)


def _refused(path: str, exc: KassaError) -> RedirectResponse:
    """Back with what a service refused: its words as the API says them in English, else
    the detail in the operator's language under its title, or the title alone where the
    detail is not known in it (kassa.domain.refusals): never English under a heading."""
    said = i18n.refusal(exc.code, exc.title, exc.detail)
    return _back(path, said, error=True)  # composed already: no catalogue entry is its key


def _login() -> RedirectResponse:
    return RedirectResponse("/admin/login", status_code=303)


# Every amount a form takes is typed in its currency's major units, as the pages show it
# ("5 000,00" UZS); the API and the database keep minor units.
AMOUNT_LIKE = "Type the amount in {currency}, like {example}."
TOO_PRECISE = "{currency} has {decimals} decimal places: {typed} has more."
NO_CURRENCY = "{currency} is not a currency kassa knows."


class AmountRefused(ValueError):
    """A typed amount that is not an exact amount of its currency."""

    def __init__(self, typed: str, currency: str, *, too_precise: bool = False) -> None:
        super().__init__(typed)
        self.typed, self.currency, self.too_precise = typed, currency, too_precise


def typed_amount(typed: str, currency: str) -> int:
    """A form's amount in minor units, converted exactly from the major units typed."""
    try:
        return from_typed(typed, currency)
    except TooPrecise as exc:
        raise AmountRefused(typed, currency, too_precise=True) from exc
    except MoneyError as exc:
        raise AmountRefused(typed, currency) from exc


def _amount_refused(path: str, refused: AmountRefused) -> RedirectResponse:
    """Back with what was wrong with a typed amount, and an example in its currency."""
    try:
        currency = normalise_currency(refused.currency)
    except MoneyError:
        return _back(path, NO_CURRENCY, error=True, currency=refused.currency.strip()[:8] or "?")
    example = format_number(5000 * 10 ** exponent(currency), currency)
    why = TOO_PRECISE if refused.too_precise else AMOUNT_LIKE
    return _back(
        path,
        why,
        error=True,
        currency=currency,
        decimals=exponent(currency),
        typed=refused.typed.strip()[:40],
        example=example,
    )


async def _form_action(request: Request) -> tuple[SignedIn | None, dict[str, str]]:
    """The signed-in operator for a POST, only with the session's CSRF token."""
    me = await _me(request)
    form = {k: str(v) for k, v in (await request.form()).items()}
    if me is None or not _same(form.get("csrf", ""), me.csrf_token):
        return None, form
    _speak(request, me)
    return me, form


def _speak(request: Request, me: SignedIn | None) -> str:
    """Pages and messages from here on in the operator's language."""
    lang = i18n.choose(me.operator.language if me else None, request.headers.get("accept-language"))
    i18n.current.set(lang)
    return lang


def _same(given: str, expected: str) -> bool:
    """Constant-time comparison of any text (compare_digest refuses non-ASCII str)."""
    return hmac.compare_digest(given.encode(), expected.encode())


def _sender(request: Request) -> str:
    address = sender_address(
        request.client.host if request.client else None,
        request.headers.get("x-forwarded-for"),
        trusted_networks(_rt(request).settings.trusted_proxies),
    )
    return str(address or "-")


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request) -> Response:
    """The sign-in form carries a CSRF token that must match a cookie of its own (there is
    no session yet), so another site cannot sign a browser in to an account of its choice."""
    token = secrets.token_urlsafe(32)
    page = _page(request, "login.html", None, title="Log in", login_csrf=token)
    page.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        path="/admin/login",
        max_age=3600,
        secure=_rt(request).settings.public_url.startswith("https://"),
    )
    return page


@router.post("/login")
async def login(request: Request) -> Response:
    form = await request.form()
    _speak(request, None)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not _same(str(form.get("csrf", "")), expected):
        return _back("/admin/login", "The sign-in form expired; please try again.", error=True)
    try:
        token, _ = await log_in(
            _rt(request).db,
            str(form.get("email", ""))[:254],
            str(form.get("password", ""))[:200],
            _sender(request),
        )
    except LoginRefused:
        message = "Wrong e-mail or password. After several failures, wait a little and retry."
        return _back("/admin/login", message, error=True)
    response = _back("/admin")
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="strict",
        path="/admin",
        max_age=8 * 3600,
        secure=_rt(request).settings.public_url.startswith("https://"),
    )
    return response


@router.post("/language")
async def language(request: Request) -> Response:
    me, form = await _form_action(request)
    if me is None:
        return _login()
    chosen = form.get("language", "")
    if chosen in i18n.LANGUAGES:
        await operators.set_language(_rt(request).db, me.operator.id, chosen)
    back = request.headers.get("referer") or "/admin"
    return RedirectResponse(back if _same_site(request, back) else "/admin", status_code=303)


def _same_site(request: Request, url: str) -> bool:
    """Only back to a page of this admin UI (a Referer could name anywhere)."""
    public = _rt(request).settings.public_url.rstrip("/")
    return url.startswith(f"{public}/admin") or url.startswith("/admin")


@router.post("/logout")
async def logout(request: Request) -> Response:
    me, _ = await _form_action(request)
    if me is not None:
        await log_out(_rt(request).db, request.cookies.get(COOKIE))
    response = _login()
    response.delete_cookie(COOKIE, path="/admin")
    return response


@router.get("", response_class=HTMLResponse)
async def dashboard(request: Request) -> Response:
    """The figures of a date range (the last 14 days unless chosen), with charts of
    payments and revenue per day."""
    if (me := await _me(request)) is None:
        return _login()
    chosen = {k: (request.query_params.get(k) or "").strip()[:10] for k in ("from", "to")}
    start, end = _day(chosen["from"]), _day(chosen["to"], 1)
    days = 14
    if start and end and end > start:
        days = min((end - start).days, 366)
    elif start:
        days = min((datetime.now(UTC) - start).days + 1, 366)
    stats = await operations.statistics_for(_rt(request), None, start, end, days)
    last = (end - timedelta(days=1)) if end else datetime.now(UTC)
    first = start or last - timedelta(days=days - 1)
    window = [
        (first + timedelta(days=i)).strftime("%Y-%m-%d")
        for i in range(max(1, min(366, (last - first).days + 1)))
    ]
    return _page(
        request,
        "dashboard.html",
        me,
        title="Dashboard",
        nav="Dashboard",
        stats=stats,
        chosen=chosen,
        window=window,  # every day of the range, so a day without payments draws as 0
        revenue_charts=[asdict(c) for c in charts.revenue_charts(window, stats.daily_revenue)],
    )


def _day(value: str, shift: int = 0) -> datetime | None:
    """A YYYY-MM-DD from a form as the start of that day (UTC), `shift` days on."""
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC) + timedelta(days=shift)
    except ValueError:
        return None


PAGE_SIZE = 50
CSV_COLUMNS = (
    "id", "created_at", "paid_at", "status", "provider", "shop_id", "user_id",
    "organization_id", "purpose", "amount", "currency", "refunded_amount",
    "discount_amount", "promo_code", "provider_payment_id", "failure_code",
)  # fmt: skip
# the amounts again in major units ("5000.00"), beside the minor units the API gives
CSV_MAJOR = ("amount", "refunded_amount", "discount_amount")


def _search(request: Request) -> tuple[operations.PaymentSearch, dict[str, str]]:
    """The filters from the query string; dates as YYYY-MM-DD (the end day included)."""
    given = {
        k: (request.query_params.get(k) or "").strip()[:100]
        for k in ("q", "status", "provider", "shop", "from", "to")
    }

    search = operations.PaymentSearch(
        text=given["q"] or None,
        status=given["status"] or None,
        provider=given["provider"] or None,
        shop_id=given["shop"] or None,
        start=_day(given["from"]),
        end=_day(given["to"], 1),
    )
    return search, given


@router.get("/payments", response_class=HTMLResponse)
async def payment_list(request: Request) -> Response:
    if (me := await _me(request)) is None:
        return _login()
    search, given = _search(request)
    raw_page = request.query_params.get("page", "1")
    page = int(raw_page) if raw_page.isdigit() and 0 < int(raw_page) < 100_000 else 1
    rows, total = await operations.search_payments(
        _rt(request), search, PageParams(page=page, page_size=PAGE_SIZE)
    )
    kept = urlencode({k: v for k, v in given.items() if v})
    return _page(
        request,
        "payments.html",
        me,
        title="Payments",
        nav="Payments",
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        query=kept,
        f=given,
        statuses=[s.value for s in PaymentStatus],
        providers=PROVIDERS,
    )


@router.get("/payments.csv")
async def payment_export(request: Request) -> Response:
    """The filtered payments as CSV: `amount` and the other amounts in minor units (as the
    API gives them), and each again in major units (`amount_major`: "5000.00")."""
    if await _me(request) is None:
        return _login()
    search, _ = _search(request)
    rows = await operations.export_payments(_rt(request), search)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*CSV_COLUMNS, *(f"{c}_major" for c in CSV_MAJOR)])
    for p in rows:
        writer.writerow(
            ["" if getattr(p, c) is None else getattr(p, c) for c in CSV_COLUMNS]
            + [_major(getattr(p, c), p.currency) for c in CSV_MAJOR]
        )
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="payments.csv"'},
    )


def _major(amount: int | None, currency: str) -> str:
    """Minor units as a plain major-unit number for a spreadsheet ("5000.00")."""
    if amount is None:
        return ""
    try:
        return to_decimal_string(amount, currency)
    except MoneyError:
        return ""


@router.get("/payments/{payment_id}", response_class=HTMLResponse)
async def payment_detail(request: Request, payment_id: str) -> Response:
    if (me := await _me(request)) is None:
        return _login()
    trail = await operations.payment_trail(_rt(request), payment_id[:64])
    if trail is None:
        return _page(
            request,
            "payments.html",
            me,
            http_status=404,
            title="Not found",
            nav="Payments",
            rows=[],
            total=0,
            page=1,
            pages=1,
            query="",
            f={"q": payment_id[:64]},
            statuses=[],
            providers=PROVIDERS,
        )
    payment, events, refund_rows = trail.payment, trail.events, trail.refunds
    return _page(
        request,
        "payment.html",
        me,
        title="Payment",
        nav="Payments",
        p=payment,
        events=events,
        refunds=refund_rows,
        fiscal=trail.fiscal,
        invoice=trail.invoice,
        tariff=trail.tariff,
        credit_notes=trail.credit_notes,
        cabinet=_cabinet_refunds(payment),
        sandbox=_rt(request).settings.is_sandbox,
    )


def _cabinet_refunds(payment: Any) -> str | None:
    """Why this payment has no Refund button: its provider refunds it in its own cabinet."""
    declared = plugins.plugin(payment.provider)
    if payment.payment_method_id is not None or declared is None:
        return None
    return declared.cabinet_refunds


@router.post("/payments/{payment_id}/cabinet-refund")
async def cabinet_refund(request: Request, payment_id: str) -> Response:
    """SANDBOX only: what the operator would do in the provider's cabinet, done in its
    emulator, which then tells kassa as the provider does."""
    me, _ = await _form_action(request)
    if me is None:
        return _login()
    back = f"/admin/payments/{quote(payment_id[:64])}"
    found = await operations.payment(_rt(request), payment_id[:64])
    rt = _rt(request)
    if found is None or not rt.settings.is_sandbox or not _cabinet_refunds(found):
        return _back(back, "Only sandbox payments refunded in a cabinet.", error=True)
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
        return _back(back, "The sandbox cabinet could not refund it.", error=True)
    return _back(back, "Refunded in the sandbox cabinet.")


@router.get("/invoices/{invoice_id}.pdf")
async def invoice_pdf(request: Request, invoice_id: str) -> Response:
    if (me := await _me(request)) is None:
        return _login()
    try:
        number, body = await invoices.invoice_pdf(
            _rt(request), me.principal, invoice_id[:64], _speak(request, me)
        )
    except FontMissing as exc:  # said, never printed as '?'
        return Response(exc.detail, status_code=503)
    except KassaError:
        return Response("Not found", status_code=404)
    headers = {"Content-Disposition": f'inline; filename="{number}.pdf"'}
    return Response(body, media_type="application/pdf", headers=headers)


@router.get("/payments/{payment_id}/status.json")
async def payment_status(request: Request, payment_id: str) -> Response:
    me = await _me(request)
    if me is None:
        return JSONResponse({"error": "sign in"}, status_code=401)
    payment = await operations.payment(_rt(request), payment_id[:64])
    if payment is None:
        return JSONResponse({"error": "not found"}, status_code=404)
    _speak(request, me)
    return JSONResponse(
        {
            "status": payment.status,
            "label": i18n.state(payment.status),
            "refunded_amount": payment.refunded_amount,
        }
    )


@router.post("/payments/{payment_id}/refund")
async def refund_payment(request: Request, payment_id: str) -> Response:
    me, form = await _form_action(request)
    if me is None:
        return _login()
    back = f"/admin/payments/{quote(payment_id[:64])}"
    found = await operations.payment(_rt(request), payment_id[:64])
    if found is None:
        return _back("/admin/payments", "No such payment.", error=True)
    typed = form.get("amount", "").strip()
    try:  # typed in the currency's major units, as the page shows it ("5 000,00")
        amount = typed_amount(typed, found.currency) if typed else None
    except AmountRefused as refused:
        return _amount_refused(back, refused)
    reason = form.get("reason", "").strip()[:500] or "refunded from the admin UI"
    try:
        refund = await refunds.create_refund(
            _rt(request), me.principal, found.id, amount, f"{reason} ({me.operator.email})"
        )
    except KassaError as exc:
        return _refused(back, exc)
    given = format_amount(refund.amount, refund.currency)
    status = i18n.state(refund.status)
    return _back(back, "Refunded {amount} ({status}).", amount=given, status=status)


@router.post("/payments/{payment_id}/cancel")
async def cancel_payment(request: Request, payment_id: str) -> Response:
    me, _ = await _form_action(request)
    if me is None:
        return _login()
    back = f"/admin/payments/{quote(payment_id[:64])}"
    try:
        await payments.cancel_payment(_rt(request), me.principal, payment_id[:64])
    except KassaError as exc:
        return _refused(back, exc)
    return _back(back, "Cancelled.")


@router.get("/tariffs", response_class=HTMLResponse)
async def tariff_list(request: Request) -> Response:
    if (me := await _me(request)) is None:
        return _login()
    rows, _ = await tariffs.list_tariffs(_rt(request), me.principal, PageParams(1, 100))
    return _page(request, "tariffs.html", me, title="Tariffs", nav="Tariffs", rows=rows)


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


TARIFF_FORM_HELP = "A name, a price in its currency, days, and 0 to 365 trial days."


@router.post("/tariffs")
async def tariff_create(request: Request) -> Response:
    me, form = await _form_action(request)
    if me is None:
        return _login()
    try:
        fields = _tariff_fields(form)
    except AmountRefused as refused:
        return _amount_refused("/admin/tariffs", refused)
    except ValueError:
        return _back("/admin/tariffs", TARIFF_FORM_HELP, error=True)
    try:
        await tariffs.create_tariff(
            _rt(request), me.principal, {**fields, "description": None, "is_active": True}
        )
    except KassaError as exc:
        return _refused("/admin/tariffs", exc)
    return _back("/admin/tariffs", "Tariff created.")


@router.get("/tariffs/{tariff_id}", response_class=HTMLResponse)
async def tariff_page(request: Request, tariff_id: str) -> Response:
    if (me := await _me(request)) is None:
        return _login()
    try:
        tariff = await tariffs.get_tariff(_rt(request), me.principal, tariff_id[:64])
    except NotFound:
        return _back("/admin/tariffs", "No such tariff.", error=True)
    return _page(request, "tariff.html", me, title=tariff.name, nav="Tariffs", t=tariff)


@router.post("/tariffs/{tariff_id}")
async def tariff_edit(request: Request, tariff_id: str) -> Response:
    me, form = await _form_action(request)
    if me is None:
        return _login()
    back = f"/admin/tariffs/{quote(tariff_id[:64])}"
    try:
        fields = _tariff_fields(form)
    except AmountRefused as refused:
        return _amount_refused(back, refused)
    except ValueError:
        return _back(back, TARIFF_FORM_HELP, error=True)
    try:
        await tariffs.update_tariff(_rt(request), me.principal, tariff_id[:64], fields)
    except KassaError as exc:
        return _refused(back, exc)
    return _back(back, "Tariff saved. Subscriptions renew at the new price from their next period.")


@router.post("/tariffs/{tariff_id}/toggle")
async def tariff_toggle(request: Request, tariff_id: str) -> Response:
    me, _ = await _form_action(request)
    if me is None:
        return _login()
    try:
        tariff = await tariffs.get_tariff(_rt(request), me.principal, tariff_id[:64])
    except NotFound:
        return _back("/admin/tariffs", "No such tariff.", error=True)
    await tariffs.update_tariff(
        _rt(request), me.principal, tariff.id, {"is_active": not tariff.is_active}
    )
    return _back("/admin/tariffs")


@router.get("/shops", response_class=HTMLResponse)
async def shop_list(request: Request) -> Response:
    if (me := await _me(request)) is None:
        return _login()
    rows, _ = await merchants.list_merchants(_rt(request), None, PageParams(1, 100))
    return _page(
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
    me, form = await _form_action(request)
    if me is None:
        return _login()
    provider = form.get("provider", "")
    if provider not in PROVIDERS or not form.get("shop_id"):
        return _back("/admin/shops", "A shop id and a provider are needed.", error=True)
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
            _rt(request), me.principal, form["shop_id"][:100], fields, present
        )
    except KassaError as exc:
        return _refused("/admin/shops", exc)
    return _back("/admin/shops", "Shop {shop} created.", shop=form["shop_id"][:100])


@router.post("/shops/{shop_id}/toggle")
async def shop_toggle(request: Request, shop_id: str) -> Response:
    me, _ = await _form_action(request)
    if me is None:
        return _login()
    try:
        shop = await merchants.get_merchant(_rt(request), shop_id[:100])
        await merchants.update_merchant(
            _rt(request),
            me.principal,
            shop.shop_id,
            MerchantFields(is_active=not shop.is_active),
            {"is_active"},
        )
    except KassaError as exc:
        return _refused("/admin/shops", exc)
    return _back("/admin/shops")


@router.post("/shops/{shop_id}/test-payment")
async def shop_test_payment(request: Request, shop_id: str) -> Response:
    """A real payment through the shop's configuration, for the operator to pay in the
    sandbox; its amount typed in major units, as every amount in the admin."""
    me, form = await _form_action(request)
    if me is None:
        return _login()
    currency = form.get("currency", "").strip().upper()
    try:
        amount = typed_amount(form.get("amount", ""), currency)
    except AmountRefused as refused:
        return _amount_refused("/admin/shops", refused)
    try:
        shop = await merchants.get_merchant(_rt(request), shop_id[:100])
        payment = await payments.create_payment(
            _rt(request),
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
        return _refused("/admin/shops", exc)
    return _back(f"/admin/payments/{payment.id}", "Test payment created: open its checkout page.")


@router.get("/audit", response_class=HTMLResponse)
async def audit_page(request: Request) -> Response:
    if (me := await _me(request)) is None:
        return _login()
    f = {
        k: (request.query_params.get(k) or None)
        for k in ("shop_id", "payment_id", "operation", "provider")
    }
    filters = audit.AuditFilters(**{k: v[:100] if v else None for k, v in f.items()})
    rows, _ = await audit.list_records(_rt(request), filters, PageParams(page=1, page_size=200))
    return _page(
        request,
        "audit.html",
        me,
        title="Audit log",
        nav="Audit log",
        rows=rows,
        f=f,
        operations=OPERATIONS,
        providers=PROVIDERS,
    )


@router.get("/webhooks", response_class=HTMLResponse)
async def webhook_page(request: Request, new_secret: str | None = None) -> Response:
    if (me := await _me(request)) is None:
        return _login()
    rt = _rt(request)
    endpoints, _ = await webhook_endpoints.list_endpoints(rt, PageParams(1, 50))
    rows = []
    for endpoint in endpoints:
        deliveries, _ = await webhook_endpoints.list_deliveries(
            rt, endpoint.id, None, PageParams(1, 20)
        )
        rows.append((endpoint, deliveries))
    return _page(
        request,
        "webhooks.html",
        me,
        title="Webhooks",
        nav="Webhooks",
        rows=rows,
        new_secret=new_secret,
    )


@router.post("/webhooks")
async def webhook_create(request: Request) -> Response:
    me, form = await _form_action(request)
    if me is None:
        return _login()
    url = form.get("url", "")
    if not url.startswith(("http://", "https://")) or len(url) > 2000:
        return _back("/admin/webhooks", "An http(s) URL is needed.", error=True)
    events = [e.strip() for e in form.get("events", "").split(",") if e.strip()]
    try:
        created = await webhook_endpoints.create_endpoint(_rt(request), url, events)
    except KassaError as exc:
        return _refused("/admin/webhooks", exc)
    return await webhook_page(request, new_secret=created.secret)


@router.post("/webhooks/{endpoint_id}/delete")
async def webhook_delete(request: Request, endpoint_id: str) -> Response:
    me, _ = await _form_action(request)
    if me is None:
        return _login()
    try:
        await webhook_endpoints.delete_endpoint(_rt(request), endpoint_id[:64])
    except KassaError as exc:
        return _refused("/admin/webhooks", exc)
    return _back("/admin/webhooks", "Endpoint removed.")


@router.post("/deliveries/{delivery_id}/redeliver")
async def redeliver(request: Request, delivery_id: int) -> Response:
    me, _ = await _form_action(request)
    if me is None:
        return _login()
    try:
        await webhook_endpoints.redeliver(_rt(request), delivery_id)
    except KassaError as exc:
        return _refused("/admin/webhooks", exc)
    return _back("/admin/webhooks", "Queued for redelivery.")
