"""Portal sessions: a signed, expiring link to the customer portal (`/portal`)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from kassa.http.deps import CurrentPrincipal, RuntimeDep
from kassa.http.idempotency import IdempotentDep
from kassa.http.problems import PROBLEM_RESPONSES
from kassa.services.billing import portal

router = APIRouter(prefix="/portal-sessions", tags=["portal"], responses=PROBLEM_RESPONSES)


class PortalSessionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user_id: str | None = Field(default=None, max_length=200, description="services only")
    return_url: HttpUrl | None = None
    language: Literal["en", "ru", "uz", "kk"] | None = Field(
        default=None,
        description="the portal's language (uz: Uzbek in Latin script, kk: Kazakh); "
        "unset: the customer's browser's",
    )


class PortalSessionOut(BaseModel):
    url: str
    expires_at: datetime


@router.post("", status_code=201, response_model=PortalSessionOut)
async def create_portal_session(
    body: PortalSessionCreate, rt: RuntimeDep, principal: CurrentPrincipal, idem: IdempotentDep
) -> Response:
    async def handler() -> PortalSessionOut:
        back = str(body.return_url) if body.return_url else None
        url, expires = portal.link(rt, principal, body.user_id, back, body.language)
        return PortalSessionOut(url=url, expires_at=expires)

    return await idem.run(rt, principal, 201, handler)
