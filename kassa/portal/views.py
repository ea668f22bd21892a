"""The customer portal: server-rendered pages for one customer, opened with a signed link
from `POST /api/v1/portal-sessions`. The link's token moves into an HttpOnly, SameSite=Strict
cookie (and out of the address bar); forms carry a token derived from it, so another site
can neither read the pages nor post to them."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from kassa.core.security import InvalidToken, PortalGrant, read_portal_token
from kassa.domain import refusals
from kassa.domain.errors import KassaError, NotFound
from kassa.domain.money import shown
from kassa.portal import failures, flash, i18n
from kassa.runtime import Runtime
from kassa.services.accounts import payment_methods
from kassa.services.billing import invoices, pay_now, portal, subscriptions
from kassa.services.billing.invoice_pdf import FontMissing

COOKIE = "kassa_portal"
LANGUAGE_COOKIE = "kassa_portal_language"
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
# every page's messages are signed with the key bound here (kassa.portal.flash)
router = APIRouter(
    prefix="/portal", include_in_schema=False, dependencies=[Depends(flash.bind_key)]
)


templates.env.globals["money"] = shown
templates.env.globals["_"] = i18n.gettext
templates.env.globals["state"] = i18n.state
templates.env.globals["long_date"] = i18n.long_date


def _rt(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _grant(request: Request) -> tuple[PortalGrant, str] | None:
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    try:
        return read_portal_token(_rt(request).settings.signing_key, token), token
    except InvalidToken:
        return None


def _form_token(request: Request, token: str) -> str:
    key = _rt(request).settings.signing_key.encode()
    return hmac.new(key, f"portal-form:{token}".encode(), hashlib.sha256).hexdigest()[:32]


def _speak(request: Request) -> str:
    """The customer's language from here on: asked for in the address (a link from
    `POST /portal-sessions`, the switch on the page), else kept in the cookie, else the
    browser's."""
    asked = request.query_params.get("lang")
    kept = asked if asked in i18n.LANGUAGES else request.cookies.get(LANGUAGE_COOKIE)
    lang = i18n.choose(kept, request.headers.get("accept-language"))
    i18n.current.set(lang)
    return lang


def _keep_language(request: Request, response: Response) -> Response:
    """Remember a language asked for in the address for the portal's next pages."""
    asked = request.query_params.get("lang")
    if asked in i18n.LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE, asked, httponly=True, samesite="strict", path="/portal",
            max_age=365 * 86400, secure=_rt(request).settings.public_url.startswith("https://"),
        )  # fmt: skip
    return response


def _render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    lang = _speak(request)
    page = templates.TemplateResponse(
        request,
        name,
        {"lang": lang, "languages": i18n.LANGUAGES, **context},
        status_code=status_code,
    )
    _keep_language(request, page)
    return page


def _expired(request: Request) -> HTMLResponse:
    return _render(request, "expired.html", {"title": i18n.gettext("Link expired")}, 401)


def _back(message: str, error: bool = False, **values: object) -> RedirectResponse:
    """Back to the portal with a message in the customer's language (`values` fill its
    `{name}`s), signed so the page tells it from text someone else put in a link."""
    said = i18n.gettext(message)
    if values:
        said = said.format(**values)
    signed = flash.query(said, error)
    return RedirectResponse(f"/portal?{signed}" if signed else "/portal", status_code=303)


def _refused(exc: KassaError) -> RedirectResponse:
    """What a service refused, in its own words under a heading in the customer's language."""
    return _back(_said(exc), True)


def _said(exc: KassaError) -> str:
    """The refusal in the customer's language (kassa.domain.refusals): the detail where it
    is known in that language, else the problem's title; never English under a heading."""
    said = refusals.detail(exc.detail) or refusals.title(exc.code, exc.title)
    return f"{i18n.gettext('That did not work:')} {said}"


async def _posted(request: Request) -> tuple[PortalGrant, dict[str, str]] | None:
    _speak(request)
    found = _grant(request)
    form = {k: str(v) for k, v in (await request.form()).items()}
    if found is None:
        return None
    grant, token = found
    if not hmac.compare_digest(
        form.get("form_token", "").encode(), _form_token(request, token).encode()
    ):
        return None
    return grant, form


@router.get("/enter")
async def enter(request: Request, token: str = "") -> Response:
    try:
        grant = read_portal_token(_rt(request).settings.signing_key, token[:4096])
    except InvalidToken:
        return _expired(request)
    asked = request.query_params.get("lang")
    where = f"/portal?lang={asked}" if asked in i18n.LANGUAGES else "/portal"
    response = RedirectResponse(where, status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="strict",
        path="/portal",
        expires=grant.expires_at,
        secure=_rt(request).settings.public_url.startswith("https://"),
    )
    return response


@router.get("", response_class=HTMLResponse)
async def home(request: Request) -> Response:
    found = _grant(request)
    if found is None:
        return _expired(request)
    grant, token = found
    message, is_error = flash.read(request)  # only a message this portal composed
    return await _home(request, grant, token, message, is_error)


async def _home(
    request: Request,
    grant: PortalGrant,
    token: str,
    message: str | None,
    is_error: bool,
    status_code: int = 200,
) -> HTMLResponse:
    seen = await portal.overview(_rt(request), grant)
    _speak(request)
    context: dict[str, Any] = {
        "title": i18n.gettext("Your subscriptions"),
        "grant": grant,
        "o": seen,
        "form_token": _form_token(request, token),
        "attempt": pay_now.new_attempt(),  # this rendering's Pay now forms: one payment each
        "flash": message,
        "flash_error": is_error,
    }
    return _render(request, "home.html", context, status_code)


@router.get("/invoices/{invoice_id}.pdf")
async def invoice_pdf(request: Request, invoice_id: str) -> Response:
    found = _grant(request)
    if found is None:
        return _expired(request)
    try:
        number, body = await invoices.invoice_pdf(
            _rt(request), portal.principal_of(found[0]), invoice_id[:64], _speak(request)
        )
    except FontMissing as exc:  # said, never printed as '?'
        return Response(exc.detail, status_code=503)
    except KassaError:
        return Response("Not found", status_code=404)
    headers = {"Content-Disposition": f'inline; filename="{number}.pdf"'}
    return Response(body, media_type="application/pdf", headers=headers)


@router.post("/subscriptions/{subscription_id}/renewal")
async def renewal_switch(request: Request, subscription_id: str) -> Response:
    posted = await _posted(request)
    if posted is None:
        return _expired(request)
    grant, form = posted
    on = form.get("auto_renew") == "on"
    try:
        await subscriptions.change(
            _rt(request), portal.principal_of(grant), subscription_id[:64], auto_renew=on
        )
    except KassaError as exc:
        return _refused(exc)
    return _back("Renewal turned on." if on else "Renewal turned off: it ends with its period.")


@router.post("/subscriptions/{subscription_id}/pay")
async def pay(request: Request, subscription_id: str) -> Response:
    """Pay now: with the card chosen (`method_id`; empty: on the provider's page), which
    renewals then use when `use_for_renewals` is ticked."""
    posted = await _posted(request)
    if posted is None:
        return _expired(request)
    grant, form = posted
    method_id = form.get("method_id", "").strip()[:64] or None
    keep = method_id is not None and form.get("use_for_renewals") == "on"
    try:
        payment = await portal.pay_now(
            _rt(request), grant, subscription_id[:64], method_id,
            attempt=form.get("attempt", "")[:64], keep_card=keep,
        )  # fmt: skip
    except NotFound as exc:  # another's subscription or card: as if it did not exist
        found = _grant(request)
        assert found is not None
        return await _home(request, grant, found[1], _said(exc), True, status_code=404)
    except KassaError as exc:
        return _refused(exc)
    if payment.status == "succeeded":
        if keep:
            return _back("Paid: your subscription is renewed, and renews with this card.")
        return _back("Paid: your subscription is renewed.")
    if payment.status in ("failed", "cancelled"):
        return _back(failures.why(payment.failure_code), True)
    if payment.checkout_url:
        return RedirectResponse(payment.checkout_url, status_code=303)
    return _back("The payment is on its way: confirm it where your provider asks you to.")


@router.post("/cards/{method_id}/default")
async def card_default(request: Request, method_id: str) -> Response:
    posted = await _posted(request)
    if posted is None:
        return _expired(request)
    try:
        await payment_methods.set_default(
            _rt(request), portal.principal_of(posted[0]), method_id[:64]
        )
    except KassaError as exc:
        return _refused(exc)
    return _back("Default card changed.")


@router.post("/cards/{method_id}/remove")
async def card_remove(request: Request, method_id: str) -> Response:
    posted = await _posted(request)
    if posted is None:
        return _expired(request)
    try:
        await payment_methods.detach(_rt(request), portal.principal_of(posted[0]), method_id[:64])
    except KassaError as exc:
        return _refused(exc)
    return _back("Card removed. Renewals that used it will ask you to pay.")
