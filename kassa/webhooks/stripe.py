"""POST /webhooks/stripe: events verified with `stripe.Webhook.construct_event` against the
raw body (300 s tolerance), then handed to apply_update. A bad signature changes nothing."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from kassa.api.problems import problem, problem_responses
from kassa.core.logging import get_logger
from kassa.core.runtime import Runtime
from kassa.domain.errors import NotFound
from kassa.providers.stripe.mapping import event_update
from kassa.services.context import Actor
from kassa.services.updates import apply_update
from kassa.webhooks.guard import unverified

router = APIRouter(tags=["webhooks"])
WEBHOOK_ERRORS = problem_responses(400, 429)
log = get_logger(__name__)
ACTOR = Actor.provider("stripe")
TOLERANCE = 300


@router.post(
    responses=WEBHOOK_ERRORS,
    path="/webhooks/stripe",
    summary="Stripe events (Stripe-Signature verified)",
)
async def stripe_webhook(request: Request) -> Response:
    rt: Runtime = request.app.state.runtime
    import stripe  # the SDK loads on first use

    payload = await request.body()
    secret = rt.settings.stripe_webhook_secret
    try:
        stripe.Webhook.construct_event(
            payload,
            request.headers.get("stripe-signature"),
            secret.get_secret_value() if secret else None,
            tolerance=TOLERANCE,
        )
        event = json.loads(payload)
    except (stripe.SignatureVerificationError, ValueError, UnicodeDecodeError):
        log.warning("stripe.unverified", client=request.client.host if request.client else None)
        return await unverified(
            rt,
            request,
            "stripe",
            problem(
                400,
                "validation_error",
                "Invalid signature",
                "the Stripe-Signature header does not verify this body",
            ),
        )
    if not isinstance(event, dict) or not isinstance(event.get("data"), dict):
        return problem(400, "validation_error", "Invalid event", "not a Stripe event")
    try:
        update = event_update(event)
    except (KeyError, TypeError, ValueError):
        log.warning("stripe.malformed_event", event_id=str(event.get("id"))[:80])
        return JSONResponse({"received": True, "ignored": "malformed"})
    if update is None:
        return JSONResponse({"received": True, "ignored": event.get("type")})
    try:
        async with rt.db.transaction() as session:
            result = await apply_update(session, update, actor=ACTOR, operation="webhook")
    except NotFound:
        log.info("stripe.unknown_payment", event_id=update.event_id)
        return JSONResponse({"received": True, "ignored": "unknown payment"})
    return JSONResponse({"received": True, "outcome": result.outcome.value})
