"""POST /webhooks/<name> for every provider whose package declares an inbound side: Payme's
Merchant API and Click's SHOP API (they call kassa), Stripe's events and YooKassa's
notifications. The route only hands the raw request over (with its resolved sender):
verifying and reading are the provider's package's, the rest the services'. A call that does
not verify is counted against its sender. The routes are made from the plug-in list."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from kassa.core.logging import get_logger
from kassa.http.problems import problem, problem_responses
from kassa.providers import plugins
from kassa.providers.base import InboundRequest, NotConfigured
from kassa.runtime import Runtime
from kassa.services.payments import inbound
from kassa.webhooks.guard import resolved_sender, unverified

router = APIRouter(tags=["webhooks"])
log = get_logger(__name__)


async def _handle(request: Request, provider: str) -> Response:
    rt: Runtime = request.app.state.runtime
    sender = resolved_sender(rt, request)
    call = InboundRequest(
        body=await request.body(),
        headers=dict(request.headers),
        method=request.method,
        sender=str(sender) if sender is not None else None,
    )
    try:
        reply = await inbound.handle(rt, provider, call)
    except NotConfigured as exc:
        log.error("inbound.not_configured", provider=provider, error=exc.message)
        return problem(503, "service_unavailable", "Not configured", exc.message)
    answer: Response = JSONResponse(reply.body, status_code=reply.status)
    if reply.problem is not None:
        headers = {"Retry-After": "30"} if reply.status == 503 else None
        answer = problem(reply.status, *reply.problem, headers=headers)
    if not reply.verified:
        log.warning("inbound.unverified", provider=provider, sender=call.sender)
        answer = await unverified(rt, request, provider, answer, throttle=reply.throttle)
    return answer


def _route(provider: str) -> Callable[[Request], Awaitable[Response]]:
    async def provider_call(request: Request) -> Response:
        return await _handle(request, provider)

    return provider_call


for _plugin in plugins.all_plugins():
    if _plugin.inbound is None:
        continue
    _path = f"/webhooks/{_plugin.name}"
    # A provider's calls are served by a plain route: the call is handed over raw, so
    # FastAPI's handling (solving dependencies, reading body fields, a response model)
    # has nothing to do here, and cost 2 % of a Payme call's instructions. The route
    # after it, never reached by a POST, is the one the OpenAPI document describes.
    router.add_route(_path, _route(_plugin.name), methods=["POST"], include_in_schema=False)
    router.add_api_route(
        _path,
        _route(_plugin.name),
        methods=["POST"],
        summary=f"{_plugin.name}: the provider's calls and events, verified as it signs them",
        responses=problem_responses(400, 403, 429, 503),
        operation_id=f"webhook_{_plugin.name}",
    )
    # Some providers answer even a wrong method in their protocol (Payme: -32300).
    router.add_api_route(
        _path, _route(_plugin.name), methods=["GET", "PUT", "PATCH", "DELETE"],
        include_in_schema=False,
    )  # fmt: skip
