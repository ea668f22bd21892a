"""What every admin page shares: the templates, the signed-in operator, the CSRF check of a
form, and the way back to a page with a message in the operator's language."""

from __future__ import annotations

import hmac
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from kassa.admin import flash, i18n
from kassa.domain import figures
from kassa.domain.errors import KassaError
from kassa.domain.money import shown
from kassa.providers import plugins
from kassa.runtime import Runtime
from kassa.services.accounts.operators import SignedIn, session_for
from kassa.services.billing import lifecycle as billing

COOKIE = "kassa_admin"
# Everything the UI says of a provider comes from its plug-in declaration.
PROVIDERS = plugins.names()
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


def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


async def signed_in(request: Request) -> SignedIn | None:
    """The operator whose session cookie this request carries, if it is still open."""
    return await session_for(runtime(request).db, request.cookies.get(COOKIE))


def render(
    request: Request, name: str, me: SignedIn | None, http_status: int = 200, **context: Any
) -> HTMLResponse:
    message, is_error = flash.read(request)  # only a message this admin composed
    lang = speak(request, me)  # the template renders now, in this language
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


def back_to(
    path: str, message: str | None = None, error: bool = False, **values: object
) -> RedirectResponse:
    """Back to a page with a message in the operator's language (set by `form_action`):
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


def refusal(path: str, exc: KassaError) -> RedirectResponse:
    """Back with what a service refused: its words as the API says them in English, else
    the detail in the operator's language under its title, or the title alone where the
    detail is not known in it (kassa.domain.refusals): never English under a heading."""
    said = i18n.refusal(exc.code, exc.title, exc.detail)
    return back_to(path, said, error=True)  # composed already: no catalogue entry is its key


def to_login() -> RedirectResponse:
    return RedirectResponse("/admin/login", status_code=303)


async def form_action(request: Request) -> tuple[SignedIn | None, dict[str, str]]:
    """The signed-in operator for a POST, only with the session's CSRF token."""
    me = await signed_in(request)
    form = {k: str(v) for k, v in (await request.form()).items()}
    if me is None or not same(form.get("csrf", ""), me.csrf_token):
        return None, form
    speak(request, me)
    return me, form


def speak(request: Request, me: SignedIn | None) -> str:
    """Pages and messages from here on in the operator's language."""
    lang = i18n.choose(me.operator.language if me else None, request.headers.get("accept-language"))
    i18n.current.set(lang)
    return lang


def same(given: str, expected: str) -> bool:
    """Constant-time comparison of any text (compare_digest refuses non-ASCII str)."""
    return hmac.compare_digest(given.encode(), expected.encode())
