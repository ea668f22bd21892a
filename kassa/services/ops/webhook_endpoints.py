"""Downstream subscribers: admins register URLs; each gets its own signing secret."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from kassa.db.base import utcnow
from kassa.db.models import OutboxEvent, WebhookDelivery, WebhookEndpoint
from kassa.db.pagination import paginate
from kassa.domain.errors import NotFound, ValidationFailed
from kassa.domain.paging import PageParams
from kassa.events.signing import new_secret
from kassa.runtime import Runtime
from kassa.services.ops.destinations import DestinationRefused, check_destination
from kassa.services.ops.outbox import EVENT_TYPES

ALL_EVENTS = "*"


@dataclass(frozen=True, slots=True)
class NewEndpoint:
    endpoint: WebhookEndpoint
    secret: str  # shown once, in the answer to the POST


def subscribed(endpoint_events: list[str], event_type: str) -> bool:
    return ALL_EVENTS in endpoint_events or event_type in endpoint_events


async def create_endpoint(rt: Runtime, url: str, events: list[str]) -> NewEndpoint:
    unknown = sorted(set(events) - EVENT_TYPES - {ALL_EVENTS})
    if unknown:
        raise ValidationFailed(f"unknown event types: {', '.join(unknown)}")
    try:
        await check_destination(url, rt.settings, must_resolve=False)
    except DestinationRefused as exc:
        raise ValidationFailed(f"url: {exc}") from exc
    secret = new_secret()
    endpoint = WebhookEndpoint(
        url=url,
        events=sorted(set(events)) or [ALL_EVENTS],
        secret=rt.box.seal(secret),
        is_active=True,
    )
    async with rt.db.transaction() as session:
        session.add(endpoint)
    return NewEndpoint(endpoint, secret)


async def list_endpoints(rt: Runtime, page: PageParams) -> tuple[list[WebhookEndpoint], int]:
    query = select(WebhookEndpoint).where(WebhookEndpoint.is_active.is_(True))
    query = query.order_by(WebhookEndpoint.created_at.desc(), WebhookEndpoint.id)
    async with rt.db.reading() as session:
        return await paginate(session, query, page)


async def delete_endpoint(rt: Runtime, endpoint_id: str) -> None:
    """Deactivated, not erased: its delivery history stays readable."""
    async with rt.db.transaction() as session:
        endpoint = await session.get(WebhookEndpoint, endpoint_id)
        if endpoint is None or not endpoint.is_active:
            raise NotFound("webhook endpoint not found")
        endpoint.is_active = False


async def list_deliveries(
    rt: Runtime, endpoint_id: str, status: str | None, page: PageParams
) -> tuple[list[tuple[WebhookDelivery, OutboxEvent]], int]:
    query = (
        select(WebhookDelivery, OutboxEvent)
        .join(OutboxEvent, OutboxEvent.seq == WebhookDelivery.event_seq)
        .where(WebhookDelivery.endpoint_id == endpoint_id)
        .order_by(WebhookDelivery.id.desc())
    )
    if status:
        query = query.where(WebhookDelivery.status == status)
    async with rt.db.transaction() as session:
        if await session.get(WebhookEndpoint, endpoint_id) is None:
            raise NotFound("webhook endpoint not found")
        total = await session.scalar(select(func.count()).select_from(query.subquery()))
        rows = (await session.execute(query.limit(page.page_size).offset(page.offset))).all()
    return [(d, e) for d, e in rows], int(total or 0)


async def redeliver(rt: Runtime, delivery_id: int) -> WebhookDelivery:
    async with rt.db.transaction() as session:
        delivery = await session.get(WebhookDelivery, delivery_id, with_for_update=True)
        if delivery is None:
            raise NotFound("delivery not found")
        delivery.status = "pending"
        delivery.next_attempt_at = utcnow()
        await session.flush()
        return delivery
