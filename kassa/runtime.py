"""The long-lived parts a running kassa shares: settings, database, providers, Redis."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from kassa.core.crypto import SecretBox
from kassa.core.rate_limits import RateLimiter
from kassa.core.settings import Settings
from kassa.db.session import Database
from kassa.domain.billing import BillingPolicy
from kassa.events.broker import EventSink, sink_for
from kassa.providers.registry import ProviderRegistry, build_registry


@dataclass
class Runtime:
    settings: Settings
    db: Database
    http: httpx.AsyncClient
    providers: ProviderRegistry
    box: SecretBox
    redis: Any | None = None  # redis.asyncio.Redis when REDIS_URL is set
    events: EventSink | None = None  # the broker sink when EVENTS_BROKER_URL is set
    limiter: RateLimiter = field(default_factory=RateLimiter)

    @classmethod
    def build(cls, settings: Settings, *, http: httpx.AsyncClient | None = None) -> Runtime:
        client = http or httpx.AsyncClient(
            timeout=httpx.Timeout(settings.provider_timeout_seconds),
            follow_redirects=False,
            # every connection it opens is kept (httpx keeps 20 by default): a burst of
            # callbacks or deliveries above 20 otherwise closes and reopens a TCP connection
            # per request, each a handshake of kernel time on both ends
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=100),
        )
        redis = None
        if settings.redis_url:
            from redis.asyncio import Redis

            redis = Redis.from_url(
                settings.redis_url,
                socket_timeout=2,
                socket_connect_timeout=2,
                decode_responses=True,
            )
        box = SecretBox(settings.at_rest_key)
        policy = BillingPolicy(
            lead=settings.renewal_lead,
            retries=settings.dunning_steps,
            sandbox_clock=settings.is_sandbox,
        )
        return cls(
            settings=settings,
            db=Database(
                settings.database_url,
                pool_size=settings.database_pool_size,
                info={BillingPolicy.INFO_KEY: policy, SecretBox.INFO_KEY: box},
                fast=settings.fast,
            ),
            http=client,
            providers=build_registry(settings, client),
            box=box,
            redis=redis,
            events=sink_for(settings.events_broker_url),
            limiter=RateLimiter(redis),
        )

    async def close(self) -> None:
        await self.providers.aclose()
        await self.http.aclose()
        if self.redis is not None:
            await self.redis.aclose()
        if self.events is not None:
            await self.events.close()
        await self.db.dispose()
