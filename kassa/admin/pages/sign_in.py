"""Signing in and out. The sign-in form carries a CSRF token of its own, matched against a
cookie, since there is no session yet to carry one."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from kassa.admin.common import (
    COOKIE,
    back_to,
    form_action,
    render,
    runtime,
    same,
    speak,
    to_login,
)
from kassa.http.client_ip import sender_address, trusted_networks
from kassa.services.accounts.operators import LoginRefused, log_in, log_out

LOGIN_CSRF_COOKIE = "kassa_login_csrf"
router = APIRouter()


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request) -> Response:
    """The sign-in form carries a CSRF token that must match a cookie of its own (there is
    no session yet), so another site cannot sign a browser in to an account of its choice."""
    token = secrets.token_urlsafe(32)
    page = render(request, "login.html", None, title="Log in", login_csrf=token)
    page.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        path="/admin/login",
        max_age=3600,
        secure=runtime(request).settings.public_url.startswith("https://"),
    )
    return page


@router.post("/login")
async def login(request: Request) -> Response:
    form = await request.form()
    speak(request, None)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not same(str(form.get("csrf", "")), expected):
        return back_to("/admin/login", "The sign-in form expired; please try again.", error=True)
    try:
        token, _ = await log_in(
            runtime(request).db,
            str(form.get("email", ""))[:254],
            str(form.get("password", ""))[:200],
            _sender(request),
        )
    except LoginRefused:
        message = "Wrong e-mail or password. After several failures, wait a little and retry."
        return back_to("/admin/login", message, error=True)
    response = back_to("/admin")
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="strict",
        path="/admin",
        max_age=8 * 3600,
        secure=runtime(request).settings.public_url.startswith("https://"),
    )
    return response


def _sender(request: Request) -> str:
    """The address failures are counted against (behind a trusted proxy, the client's)."""
    address = sender_address(
        request.client.host if request.client else None,
        request.headers.get("x-forwarded-for"),
        trusted_networks(runtime(request).settings.trusted_proxies),
    )
    return str(address or "-")


@router.post("/logout")
async def logout(request: Request) -> Response:
    me, _ = await form_action(request)
    if me is not None:
        await log_out(runtime(request).db, request.cookies.get(COOKIE))
    response = to_login()
    response.delete_cookie(COOKIE, path="/admin")
    return response
