"""`/`: where a newcomer starts. With the sandboxes on it is a short page naming what kassa
serves (API docs, admin, portal, each provider's sandbox); without them (production) a
plain 200 that tells a passer-by nothing and a load balancer that kassa answers."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response
from fastapi.templating import Jinja2Templates

from kassa.services.billing.portal import LINK_LIFETIME

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
# Swagger UI's deep link to the operation that opens a customer's portal
PORTAL_SESSIONS_DOCS = "/docs#/portal/create_portal_session_api_v1_portal_sessions_post"


def router(sandboxes: Sequence[str]) -> APIRouter:
    """`sandboxes`: the providers whose emulators are mounted (none in production)."""
    start = APIRouter(include_in_schema=False)

    @start.get("/", response_model=None)
    async def start_page(request: Request) -> Response:
        if not sandboxes:
            return PlainTextResponse("kassa\n")
        return TEMPLATES.TemplateResponse(
            request,
            "start.html",
            {
                "sandboxes": sorted(sandboxes),
                "portal_docs": PORTAL_SESSIONS_DOCS,
                "portal_hours": LINK_LIFETIME.total_seconds() // 3600,
                "token_minutes": request.app.state.settings.access_token_expire_minutes,
            },
        )

    return start
