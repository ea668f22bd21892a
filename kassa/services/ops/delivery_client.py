"""The HTTP client downstream webhooks are sent with: it connects only to an address it
has just resolved and checked (kassa.services.ops.destinations), never to one a second DNS
lookup gives. Checking a name and then letting the client resolve it again would let a
name that answers a public address first and loopback a moment later (DNS rebinding)
reach kassa's own network. The URL keeps its name, so the Host header, TLS SNI and the
certificate check are the name's, and connections are pooled per name."""

from __future__ import annotations

import functools
import ssl
from collections.abc import Iterable

import httpcore
import httpx

from kassa.services.ops.destinations import DestinationRefused, Network, checked_addresses


class _CheckedConnects(httpcore.AsyncNetworkBackend):
    """httpcore's network, each TCP connection made to a checked address of its host."""

    def __init__(self, allowed: list[Network]) -> None:
        self._allowed = allowed
        self._network = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        failed: Exception | None = None
        for address in await checked_addresses(host, port, self._allowed):
            try:  # each address in turn, as a resolving connect would
                return await self._network.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failed = exc
        assert failed is not None  # checked_addresses gives at least one
        raise failed

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise DestinationRefused("webhooks are sent over TCP only")

    async def sleep(self, seconds: float) -> None:
        await self._network.sleep(seconds)


class _CheckedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport (its request and error mapping) over a pool on that network."""

    def __init__(self, allowed: list[Network]) -> None:
        super().__init__(verify=_tls())
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=_tls(), network_backend=_CheckedConnects(allowed)
        )


@functools.cache
def _tls() -> ssl.SSLContext:
    """httpx's default verification (certifi's roots), built once: loading the roots
    takes milliseconds, and a client is made for each batch of deliveries."""
    return httpx.create_ssl_context()


def delivery_client(allowed: list[Network], timeout: float) -> httpx.AsyncClient:
    """A client for one batch of deliveries; redirects are not followed (a 3xx is a
    failed delivery, never a second destination)."""
    return httpx.AsyncClient(
        transport=_CheckedTransport(allowed),
        timeout=timeout,
        follow_redirects=False,
    )
