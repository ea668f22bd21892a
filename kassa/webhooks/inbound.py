"""POST /webhooks/<name> for every provider whose package declares an inbound side (an
inverted provider: Payme's Merchant API, Click's SHOP API call kassa). The route only hands
the raw request over: verifying, reading and answering are the provider's, carrying the call
out is the engine's. The routes are made from the plug-in list, so a new provider needs none."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from kassa.api.problems import problem, problem_responses
from kassa.core.logging import get_logger
from kassa.core.runtime import Runtime
from kassa.providers import plugins
from kassa.providers.base import InboundRequest, NotConfigured
from kassa.services import inbound
from kassa.webhooks.guard import unverified

router = APIRouter(tags=["webhooks"])
log = get_logger(__name__)


async def _handle(request: Request, provider: str) -> Response:
    rt: Runtime = request.app.state.runtime
    call = InboundRequest(
        body=await request.body(), headers=dict(request.headers), method=request.method
    )
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


def _route(provider: str) -> Callable[[Request], Awaitable[Response]]:
    async def provider_call(request: Request) -> Response:
        return await _handle(request, provider)

    return provider_call


for _plugin in plugins.all_plugins():
    if _plugin.inbound is None:
        continue
    _path = f"/webhooks/{_plugin.name}"
    router.add_api_route(
        _path,
        _route(_plugin.name),
        methods=["POST"],
        summary=f"{_plugin.name}: the provider's calls to kassa, answered in its own protocol",
        responses=problem_responses(503),
        operation_id=f"webhook_{_plugin.name}",
    )
    # Some providers answer even a wrong method in their protocol (Payme: -32300).
    router.add_api_route(
        _path, _route(_plugin.name), methods=["GET", "PUT", "PATCH", "DELETE"],
        include_in_schema=False,
    )  # fmt: skip
