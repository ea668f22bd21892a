"""Downstream webhook endpoints and their deliveries (admins)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

from kassa.http.deps import CurrentAdmin, Paging, RuntimeDep
from kassa.http.idempotency import IdempotentDep
from kassa.http.problems import PROBLEM_RESPONSES
from kassa.services.ops import webhook_endpoints
from kassa.services.schemas import Out, Page

router = APIRouter(prefix="/admin", tags=["admin: webhooks"], responses=PROBLEM_RESPONSES)


class EndpointCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: AnyHttpUrl
    events: list[str] = Field(default_factory=lambda: ["*"], max_length=20)
    idempotency_key: str | None = Field(default=None, max_length=255)


class EndpointOut(Out):
    id: str
    url: str
    events: list[str]
    created_at: datetime


class EndpointCreated(EndpointOut):
    secret: str = Field(description="the signing secret; shown only in this answer")


class DeliveryOut(BaseModel):
    id: int
    event_id: str
    event_type: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


@router.get("/webhook-endpoints", response_model=Page[EndpointOut])
async def list_endpoints(rt: RuntimeDep, _admin: CurrentAdmin, paging: Paging) -> Page[EndpointOut]:
    rows, total = await webhook_endpoints.list_endpoints(rt, paging)
    return Page(
        items=[EndpointOut.model_validate(r) for r in rows],
        total=total,
        page=paging.page,
        page_size=paging.page_size,
    )


@router.post("/webhook-endpoints", status_code=201, response_model=EndpointCreated)
async def create_endpoint(
    body: EndpointCreate, rt: RuntimeDep, admin: CurrentAdmin, idem: IdempotentDep
) -> Response:
    async def handler() -> EndpointCreated:
        created = await webhook_endpoints.create_endpoint(rt, str(body.url), body.events)
        return EndpointCreated(
            id=created.endpoint.id,
            url=created.endpoint.url,
            events=created.endpoint.events,
            created_at=created.endpoint.created_at,
            secret=created.secret,
        )

    return await idem.run(rt, admin, 201, handler)


@router.delete("/webhook-endpoints/{endpoint_id}", status_code=204)
async def delete_endpoint(
    endpoint_id: Annotated[str, Path(max_length=64)], rt: RuntimeDep, _admin: CurrentAdmin
) -> Response:
    await webhook_endpoints.delete_endpoint(rt, endpoint_id)
    return Response(status_code=204)


@router.get("/webhook-endpoints/{endpoint_id}/deliveries", response_model=Page[DeliveryOut])
async def list_deliveries(
    endpoint_id: Annotated[str, Path(max_length=64)],
    rt: RuntimeDep,
    _admin: CurrentAdmin,
    paging: Paging,
    status: Annotated[Literal["pending", "delivered", "dead", "cancelled"] | None, Query()] = None,
) -> Page[DeliveryOut]:
    rows, total = await webhook_endpoints.list_deliveries(rt, endpoint_id, status, paging)
    items = [
        DeliveryOut(
            id=d.id,
            event_id=e.id,
            event_type=e.type,
            status=d.status,
            attempts=d.attempts,
            next_attempt_at=d.next_attempt_at,
            last_status_code=d.last_status_code,
            last_error=d.last_error,
            created_at=d.created_at,
            delivered_at=d.delivered_at,
        )
        for d, e in rows
    ]
    return Page(items=items, total=total, page=paging.page, page_size=paging.page_size)


@router.post("/webhook-deliveries/{delivery_id}/redeliver", response_model=dict[str, object])
async def redeliver(
    delivery_id: Annotated[int, Path(ge=1, le=2**62)], rt: RuntimeDep, _admin: CurrentAdmin
) -> dict[str, object]:
    delivery = await webhook_endpoints.redeliver(rt, delivery_id)
    return {"id": delivery.id, "status": delivery.status}
