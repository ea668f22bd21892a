"""Stripe's events, verified as Stripe signs them: the SDK's `WebhookSignature.verify_header`
against the raw body (`Stripe-Signature`, 300 s tolerance; docs.stripe.com/webhooks/signature),
which is the check `Webhook.construct_event` makes before it builds its StripeObject; kassa
reads the verified JSON itself (building that object was a tenth of the API's time under a
renewal backlog). A body that does not verify changes nothing and is answered 400."""

from __future__ import annotations

import json
from typing import Any

from kassa.domain.updates import ProviderUpdate
from kassa.providers.base import InboundRequest, ProviderContext, Reply, Reread
from kassa.providers.stripe.mapping import event_update

TOLERANCE = 300


class StripeInbound:
    def __init__(self, ctx: ProviderContext) -> None:
        self.secret = ctx.credentials.values.get("webhook_secret")

    def read(self, request: InboundRequest) -> ProviderUpdate | Reread | Reply:
        import stripe  # the SDK loads on first use

        try:
            if not self.secret:  # nothing to verify with: no body can be Stripe's
                raise ValueError("no webhook secret")
            stripe.WebhookSignature.verify_header(
                request.body, request.headers.get("stripe-signature") or "", self.secret,
                tolerance=TOLERANCE,
            )  # fmt: skip
            event: Any = json.loads(request.body)
        except (stripe.SignatureVerificationError, ValueError, UnicodeDecodeError):
            return Reply(
                status=400,
                verified=False,
                problem=(
                    "validation_error",
                    "Invalid signature",
                    "the Stripe-Signature header does not verify this body",
                ),
            )
        if not isinstance(event, dict) or not isinstance(event.get("data"), dict):
            return Reply(
                status=400, problem=("validation_error", "Invalid event", "not a Stripe event")
            )
        try:
            update = event_update(event)
        except (KeyError, TypeError, ValueError):
            return Reply(body={"received": True, "ignored": "malformed"})
        if update is None:
            return Reply(body={"received": True, "ignored": event.get("type")})
        return update
