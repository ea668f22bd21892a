"""POST /webhooks/yookassa: YooKassa signs nothing, so a notification is believed only if it
comes from YooKassa's published addresses (loopback too in SANDBOX), and even then kassa
acts on the payment as the YooKassa API reports it, never on the notification's body."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select

from kassa.api.client_ip import in_networks, parse_networks
from kassa.api.problems import problem, problem_responses
from kassa.core.logging import get_logger
from kassa.core.runtime import Runtime
from kassa.db.models import Payment
from kassa.domain.errors import NotFound
from kassa.providers.base import ProviderFailure
from kassa.services import audit, merchants
from kassa.services.context import Actor
from kassa.services.updates import apply_update
from kassa.webhooks.guard import resolved_sender, unverified

router = APIRouter(tags=["webhooks"])
WEBHOOK_ERRORS = problem_responses(400, 403, 429, 503)
log = get_logger(__name__)
ACTOR = Actor.provider("yookassa")
# YooKassa's published notification sources.
YOOKASSA_NETWORKS = parse_networks(
    [
        "185.71.76.0/27",
        "185.71.77.0/27",
        "77.75.153.0/25",
        "77.75.156.11/32",
        "77.75.156.35/32",
        "77.75.154.128/25",
        # YooKassa's documentation lists the whole /32 ("IP addresses and subnets" of the
        # notifications page, https://yookassa.ru/developers/using-api/webhooks); the SDK's
        # SecurityHelper knows only four /64s inside it.
        "2a02:5180::/32",
    ]
)
EVENTS = frozenset(
    {"payment.succeeded", "payment.waiting_for_capture", "payment.canceled", "refund.succeeded"}
)


@router.post(
    "/webhooks/yookassa",
    summary="YooKassa notifications (sender IP checked, object re-read)",
    responses=WEBHOOK_ERRORS,
)
async def yookassa_webhook(request: Request) -> Response:
    rt: Runtime = request.app.state.runtime
    sender = resolved_sender(rt, request)
    allowed = YOOKASSA_NETWORKS + parse_networks(rt.settings.yookassa_extra_networks)
    if sender is None or not in_networks(sender, allowed):
        log.warning("yookassa.foreign_sender", sender=str(sender))
        return await unverified(
            rt,
            request,
            "yookassa",
            problem(
                403, "forbidden", "Not allowed", "notifications are accepted from YooKassa only"
            ),
        )
    try:
        body = json.loads(await request.body())
        event = body["event"]
        obj = body["object"]
        object_id = str(obj["id"])
        payment_ref = str(obj["payment_id"]) if event.startswith("refund.") else object_id
    except (ValueError, KeyError, TypeError, AttributeError):
        return problem(
            400, "validation_error", "Invalid notification", "not a YooKassa notification"
        )
    if event not in EVENTS:
        return JSONResponse({"received": True, "ignored": str(event)[:60]})

    async with rt.db.transaction() as session:
        payment = await session.scalar(
            select(Payment).where(
                Payment.provider == "yookassa", Payment.provider_payment_id == payment_ref
            )
        )
    if payment is None:
        log.info("yookassa.unknown_payment", object_id=payment_ref[:64])
        return JSONResponse({"received": True, "ignored": "unknown payment"})
    from kassa.providers.yookassa.provider import YooKassaProvider  # its SDK loads on first use

    try:
        provider = rt.providers.get(
            "yookassa", await merchants.credentials_for(rt, "yookassa", payment.shop_id)
        )
        assert isinstance(provider, YooKassaProvider)
        update = await provider.read(payment_ref, "notification")
    except ProviderFailure as exc:
        # Not acknowledged: YooKassa retries, and the reconciler asks again meanwhile.
        async with rt.db.transaction() as session:
            audit.record(
                session,
                actor=ACTOR,
                operation="webhook",
                payment=payment,
                error_message=f"re-read failed: {exc.message}"[:500],
            )
        return problem(
            503,
            "provider_error",
            "Provider unavailable",
            "YooKassa could not be asked; retry",
            headers={"Retry-After": "30"},
        )
    try:
        async with rt.db.transaction() as session:
            result = await apply_update(session, update, actor=ACTOR, operation="webhook")
    except NotFound:
        return JSONResponse({"received": True, "ignored": "unknown payment"})
    return JSONResponse(
        {"received": True, "outcome": result.outcome.value, "status": result.payment.status}
    )
