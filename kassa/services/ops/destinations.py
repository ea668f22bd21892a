"""Where kassa may send downstream webhooks: public addresses only, unless named.

An admin's endpoint URL is an instruction to kassa's relay to connect somewhere; pointed at
loopback, a private network, link-local (cloud metadata at 169.254.169.254) or the like it
would make kassa a scanner of its own network (the deliveries list shows each port's
error). Such addresses are refused at registration and again at each delivery, after DNS
resolution (a name may resolve elsewhere later), unless `WEBHOOK_ALLOWED_NETWORKS` names
them (sandbox mode adds loopback, so a developer's receiver on 127.0.0.1 works). A delivery
resolves the name once and connects to the address it checked (DNS rebinding: a second
lookup at connect time could answer with an internal address).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from kassa.core.settings import Settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
RESOLVE_TIMEOUT_SECONDS = 3.0
_SHARED_ADDRESS_SPACE = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT


class DestinationRefused(ValueError):
    """The URL leads to an address kassa does not send webhooks to."""


class Unresolvable(DestinationRefused):
    """The URL's host name does not resolve (now)."""


def _unwrap(address: Address) -> Address:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _internal(address: Address) -> bool:
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_unspecified
        or address.is_multicast
        or address.is_reserved
        or (address.version == 4 and address in _SHARED_ADDRESS_SPACE)
    )


def allowed_networks(settings: Settings) -> list[Network]:
    named = [
        ipaddress.ip_network(item.strip(), strict=False)
        for item in settings.webhook_allowed_networks.split(",")
        if item.strip()
    ]
    return named


def refusal(address: Address, allowed: list[Network]) -> str | None:
    address = _unwrap(address)
    if not _internal(address):
        return None
    if any(address.version == net.version and address in net for net in allowed):
        return None
    return f"{address} is an internal address (loopback, private, link-local or reserved)"


async def resolve(host: str, port: int) -> list[Address]:
    loop = asyncio.get_running_loop()
    infos = await asyncio.wait_for(
        loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), RESOLVE_TIMEOUT_SECONDS
    )
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


async def checked_addresses(host: str, port: int, allowed: list[Network]) -> list[Address]:
    """`host` resolved once, every address it gave checked: these are the addresses a
    delivery may connect to (kassa.services.ops.delivery_client). DestinationRefused for a
    name that does not resolve or gives an internal address not allowed."""
    try:
        addresses = await resolve(host, port)
    except (OSError, TimeoutError, ValueError, UnicodeError) as exc:
        raise Unresolvable(f"{host} does not resolve") from exc
    if not addresses:
        raise Unresolvable(f"{host} does not resolve")
    for address in addresses:
        reason = refusal(address, allowed)
        if reason is not None:
            raise DestinationRefused(f"{host}: {reason}; WEBHOOK_ALLOWED_NETWORKS may name it")
    return list(dict.fromkeys(addresses))


def _host_and_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    host = (parts.hostname or "").strip()
    if parts.scheme not in ("http", "https") or not host:
        raise DestinationRefused("webhook URLs are http or https with a host")
    return host, parts.port or (443 if parts.scheme == "https" else 80)


async def check_destination(url: str, settings: Settings, *, must_resolve: bool) -> None:
    """Raises DestinationRefused for a URL whose host is, or resolves to, an internal
    address not allowed. A name that does not resolve passes when `must_resolve` is false
    (registration: it is checked again when a delivery connects), and is refused
    otherwise."""
    host, port = _host_and_port(url)
    try:
        await checked_addresses(host, port, allowed_networks(settings))
    except Unresolvable:
        if must_resolve:
            raise
