"""The outbox relay: fans events out to subscribed endpoints and delivers them, signed.

Both steps claim rows with FOR UPDATE SKIP LOCKED (PostgreSQL), so several workers share the
work without taking the same row; on SQLite the write lock serialises them. A claimed
delivery is leased (its next attempt pushed a minute ahead) before the HTTP call, which runs
outside any transaction; a worker that dies mid-call leaves the lease to expire and another
worker retries it. Delivery is at least once: consumers deduplicate by event id.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

import httpx
from sqlalchemy import func, select, update

from kassa.core.logging import get_logger
from kassa.core.observability import OUTBOX_BACKLOG, OUTBOX_DEAD, OUTBOX_DELIVERED, OUTBOX_LAG
from kassa.db.base import utcnow
from kassa.db.models import OutboxEvent, WebhookDelivery, WebhookEndpoint
from kassa.db.sql import insert_ignore
from kassa.domain.backoff import retry_delay
from kassa.events.signing import HEADER, body_of, sign
from kassa.runtime import Runtime
from kassa.services.ops.delivery_client import delivery_client
from kassa.services.ops.destinations import DestinationRefused, allowed_networks
from kassa.services.ops.webhook_endpoints import subscribed

log = get_logger(__name__)
FAN_OUT_BATCH = 200
DELIVERY_BATCH = 50
LEASE = timedelta(seconds=60)
GIVE_UP_AFTER = timedelta(days=3)
DELIVERY_TIMEOUT = 10.0
PARALLEL = 10


async def fan_out(rt: Runtime) -> int:
    """Turn new outbox events into one pending delivery per subscribed endpoint."""
    now = utcnow()
    async with rt.db.transaction() as session:
        events = (
            (
                await session.execute(
                    select(OutboxEvent)
                    .where(OutboxEvent.published_at.is_(None))
                    .order_by(OutboxEvent.seq)
                    .limit(FAN_OUT_BATCH)
                    .with_for_update(skip_locked=True)
                )
            )
            .scalars()
            .all()
        )
        if not events:
            return 0
        endpoints = (
            (
                await session.execute(
                    select(WebhookEndpoint).where(WebhookEndpoint.is_active.is_(True))
                )
            )
            .scalars()
            .all()
        )
        for event in events:
            if rt.events is not None:
                # Published before published_at commits: a failure rolls the batch back
                # and it is published again (at least once).
                await rt.events.publish(
                    event.id,
                    event.type,
                    body_of(event.id, event.type, event.created_at, event.data),
                )
            for endpoint in endpoints:
                if subscribed(endpoint.events, event.type):
                    await insert_ignore(
                        session,
                        WebhookDelivery.__table__,  # type: ignore[arg-type]
                        {
                            "event_seq": event.seq,
                            "endpoint_id": endpoint.id,
                            "status": "pending",
                            "attempts": 0,
                            "next_attempt_at": now,
                            "created_at": now,
                        },
                    )
        # one UPDATE for the batch (the ORM would send one per event)
        await session.execute(
            update(OutboxEvent)
            .where(OutboxEvent.seq.in_([event.seq for event in events]))
            .values(published_at=now)
            .execution_options(synchronize_session=False)
        )
    return len(events)


@dataclass(frozen=True, slots=True)
class _Attempt:
    delivery_id: int
    url: str
    secret: str
    body: bytes
    event_created_at: object


async def _claim(rt: Runtime) -> list[_Attempt]:
    now = utcnow()
    async with rt.db.transaction() as session:
        rows = (
            await session.execute(
                select(WebhookDelivery, OutboxEvent, WebhookEndpoint)
                .join(OutboxEvent, OutboxEvent.seq == WebhookDelivery.event_seq)
                .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
                .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
                .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
                .limit(DELIVERY_BATCH)
                .with_for_update(skip_locked=True, of=WebhookDelivery)
            )
        ).all()
        attempts = []
        for delivery, event, endpoint in rows:
            delivery.next_attempt_at = now + LEASE
            if not endpoint.is_active:
                delivery.status = "cancelled"
                continue
            attempts.append(
                _Attempt(
                    delivery.id,
                    endpoint.url,
                    rt.box.open(endpoint.secret),
                    body_of(event.id, event.type, event.created_at, event.data),
                    event.created_at,
                )
            )
    return attempts


async def _post(http: httpx.AsyncClient, attempt: _Attempt) -> tuple[int | None, str | None]:
    """One delivery; `http` resolves the endpoint's name once and connects only to an
    address it checked (kassa.services.ops.delivery_client)."""
    headers = {
        "Content-Type": "application/json",
        HEADER: sign(attempt.secret, attempt.body),
        "User-Agent": "kassa-webhooks/1",
    }
    try:
        response = await http.post(attempt.url, content=attempt.body, headers=headers)
    except DestinationRefused as exc:
        return None, f"not sent: {exc}"[:300]
    except httpx.InvalidURL:
        return None, "not sent: webhook URLs are http or https with a host"
    except httpx.HTTPError as exc:
        return None, type(exc).__name__
    if 200 <= response.status_code < 300:
        return response.status_code, None
    return response.status_code, f"HTTP {response.status_code}"


async def deliver_due(rt: Runtime) -> int:
    attempts = await _claim(rt)
    if not attempts:
        return 0
    limit = asyncio.Semaphore(PARALLEL)
    http = delivery_client(allowed_networks(rt.settings), DELIVERY_TIMEOUT)

    async def one(attempt: _Attempt) -> tuple[_Attempt, int | None, str | None]:
        async with limit:
            code, error = await _post(http, attempt)
        return attempt, code, error

    async with http:
        results = await asyncio.gather(*(one(a) for a in attempts))
    now = utcnow()
    async with rt.db.transaction() as session:
        for attempt, code, error in results:
            delivery = await session.get(WebhookDelivery, attempt.delivery_id, with_for_update=True)
            if delivery is None or delivery.status != "pending":
                continue
            delivery.attempts += 1
            delivery.last_status_code = code
            delivery.last_error = error
            if error is None:
                delivery.status = "delivered"
                delivery.delivered_at = now
                OUTBOX_DELIVERED.inc()
            elif now - delivery.created_at >= GIVE_UP_AFTER:
                delivery.status = "dead"
                OUTBOX_DEAD.inc()
                log.warning("webhook.dead", delivery_id=delivery.id, url=attempt.url, error=error)
            else:
                delivery.next_attempt_at = now + retry_delay(delivery.attempts)
    return len(attempts)


async def measure(rt: Runtime) -> None:
    """Backlog and lag gauges for /metrics."""
    async with rt.db.transaction() as session:
        backlog = await session.scalar(
            select(func.count())
            .select_from(WebhookDelivery)
            .where(WebhookDelivery.status == "pending")
        )
        oldest = await session.scalar(
            select(func.min(WebhookDelivery.created_at)).where(WebhookDelivery.status == "pending")
        )
    OUTBOX_BACKLOG.set(int(backlog or 0))
    OUTBOX_LAG.set((utcnow() - oldest).total_seconds() if oldest else 0.0)


async def relay_once(rt: Runtime) -> int:
    done = await fan_out(rt) + await deliver_due(rt)
    await measure(rt)
    return done
