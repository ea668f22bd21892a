"""The operator's language, chosen in the page's frame and kept with the operator."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from kassa.admin import i18n
from kassa.admin.common import form_action, runtime, to_login
from kassa.services.accounts import operators

router = APIRouter()


@router.post("/language")
async def language(request: Request) -> Response:
    me, form = await form_action(request)
    if me is None:
        return to_login()
    chosen = form.get("language", "")
    if chosen in i18n.LANGUAGES:
        await operators.set_language(runtime(request).db, me.operator.id, chosen)
    back = request.headers.get("referer") or "/admin"
    return RedirectResponse(back if _same_site(request, back) else "/admin", status_code=303)


def _same_site(request: Request, url: str) -> bool:
    """Only back to a page of this admin UI (a Referer could name anywhere)."""
    public = runtime(request).settings.public_url.rstrip("/")
    return url.startswith(f"{public}/admin") or url.startswith("/admin")
