"""POST /webhooks/<provider> for every provider whose package declares an inbound side (an
inverted provider: it calls kassa to prepare and complete payments). The route only hands
the raw request over: verifying, reading and answering are the provider's, carrying the
call out is the engine's."""

from __future__ import annotations

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, Response

from kassa.api.problems import problem, problem_responses
from kassa.core.logging import get_logger
from kassa.core.runtime import Runtime
from kassa.providers.base import InboundRequest, NotConfigured
from kassa.services import inbound
from kassa.webhooks.guard import unverified

router = APIRouter(tags=["webhooks"])
log = get_logger(__name__)


@router.post(
    "/webhooks/{provider}",
    summary="Calls of inverted providers (Click's Prepare and Complete, form-encoded)",
    responses=problem_responses(404, 422, 503),
)
async def provider_call(
    request: Request, provider: str = Path(max_length=20, pattern="^[a-z]+$")
) -> Response:
    rt: Runtime = request.app.state.runtime
    if not inbound.accepts(provider):
        return problem(404, "not_found", "Not found", f"no provider {provider!r} calls kassa")
    call = InboundRequest(body=await request.body(), headers=dict(request.headers))
    try:
        reply = await inbound.handle(rt, provider, call)
    except NotConfigured as exc:
        log.error("inbound.not_configured", provider=provider, error=exc.message)
        return problem(503, "service_unavailable", "Not configured", exc.message)
    answer = JSONResponse(reply.body, status_code=reply.status)
    if not reply.verified:
        # the provider's protocol answers every call itself: counted, never throttled
        await unverified(rt, request, provider, answer, throttle=False)
    return answer
