"""Calls of inverted providers (they call kassa: Click's SHOP API) as one path: the
provider's package reads its wire protocol into an engine call, the engine carries it
out (`inverted`), and the package writes the engine's outcome back in its protocol."""

from __future__ import annotations

import importlib
from functools import cache

from kassa.core.runtime import Runtime
from kassa.providers import plugins
from kassa.providers.base import (
    InboundFactory,
    InboundRequest,
    ProviderContext,
    Reply,
)
from kassa.services import inverted


@cache
def _factory(path: str) -> InboundFactory:
    module, _, attribute = path.partition(":")
    factory: InboundFactory = getattr(importlib.import_module(module), attribute)
    return factory


def accepts(provider: str) -> bool:
    found = plugins.plugin(provider)
    return found is not None and found.inbound is not None


async def handle(rt: Runtime, provider: str, request: InboundRequest) -> Reply:
    """The provider's answer to its call. Raises NotConfigured when its credentials are
    missing (the caller answers 503: the provider retries)."""
    found = plugins.plugin(provider)
    assert found is not None and found.inbound is not None
    credentials = rt.providers.default_credentials(provider)
    side = _factory(found.inbound)(ProviderContext(rt.settings, credentials, rt.http))
    call = side.read(request)
    if isinstance(call, Reply):
        return call
    outcome = await inverted.execute(rt, call, timeout_ms=side.timeout_ms)
    return side.answer(call, outcome)
