"""Calls of inverted providers (they call kassa: Click's SHOP API) as one path: the
provider's package reads its wire protocol into an engine call, the engine carries it
out (`inverted`), and the package writes the engine's outcome back in its protocol."""

from __future__ import annotations

import importlib
from dataclasses import replace
from functools import cache

from kassa.core.logging import describe_exception, get_logger
from kassa.core.runtime import Runtime
from kassa.domain.inverted import InvertedCall, Outcome, Refusal
from kassa.providers import plugins
from kassa.providers.base import (
    InboundFactory,
    InboundRequest,
    ProviderContext,
    Reply,
)
from kassa.services import inverted, provider_keys

log = get_logger(__name__)


@cache
def _factory(path: str) -> InboundFactory:
    module, _, attribute = path.partition(":")
    factory: InboundFactory = getattr(importlib.import_module(module), attribute)
    return factory


async def handle(rt: Runtime, provider: str, request: InboundRequest) -> Reply:
    """The provider's answer to its call. Raises NotConfigured when its credentials are
    missing (the caller answers 503: the provider retries)."""
    found = plugins.plugin(provider)
    assert found is not None and found.inbound is not None
    credentials = rt.providers.default_credentials(provider)
    try:
        rotated = await provider_keys.rotated_key(rt, provider)
        unavailable = False
    except Exception as exc:  # the database is down: answered below, once the call is read
        log.error("inbound.keys_unavailable", provider=provider, **describe_exception(exc))
        rotated, unavailable = None, True
    if rotated is not None:
        credentials = replace(credentials, values={**credentials.values, "secret_key": rotated})
    side = _factory(found.inbound)(ProviderContext(rt.settings, credentials, rt.http))
    call = side.read(request)
    if isinstance(call, Reply):
        return call
    if unavailable:
        return side.failed(call)
    try:
        if call.kind == "rotate_key":
            outcome = await _rotate(rt, call, credentials.values.get("secret_key"))
        else:
            outcome = await inverted.execute(
                rt, call, timeout_ms=side.timeout_ms, timeout_reason=side.timeout_reason
            )
    except Exception as exc:
        # the provider's protocol answers even a fault of ours in its own words
        log.error("inbound.failed", provider=provider, **describe_exception(exc))
        return side.failed(call)
    return side.answer(call, outcome)


async def _rotate(rt: Runtime, call: InvertedCall, current: str | None) -> Outcome:
    key = str(call.data["key"])
    if key == current:
        return Outcome(refusal=Refusal.KEY_UNCHANGED)
    await provider_keys.rotate(rt, call.provider, str(call.data.get("account", "")), key)
    return Outcome()
