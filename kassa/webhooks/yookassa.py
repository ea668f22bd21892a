"""POST /webhooks/yookassa: YooKassa signs nothing, so a notification is believed only if it
comes from YooKassa's published addresses (or YOOKASSA_EXTRA_NETWORKS: loopback in the
sandbox), and even then kassa
acts on the payment as the YooKassa API reports it, never on the notification's body."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from kassa.api.client_ip import in_networks, parse_networks
from kassa.api.problems import problem, problem_responses
from kassa.core.logging import get_logger
from kassa.core.runtime import Runtime
from kassa.domain.errors import NotFound, ProviderError
from kassa.services import payments
from kassa.services.context import Actor
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

    payment = await payments.find_by_provider_id(rt, "yookassa", payment_ref)
    if payment is None:
        log.info("yookassa.unknown_payment", object_id=payment_ref[:64])
        return JSONResponse({"received": True, "ignored": "unknown payment"})
    try:
        result = await payments.reread(
            rt, payment, actor=ACTOR, operation="webhook", what="re-read failed"
        )
    except ProviderError:
        # Not acknowledged: YooKassa retries, and the reconciler asks again meanwhile.
        return problem(
            503,
            "provider_error",
            "Provider unavailable",
            "YooKassa could not be asked; retry",
            headers={"Retry-After": "30"},
        )
    except NotFound:
        return JSONResponse({"received": True, "ignored": "unknown payment"})
    assert result is not None  # YooKassa is always asked
    return JSONResponse(
        {"received": True, "outcome": result.outcome.value, "status": result.payment.status}
    )
