"""The sender's address: the peer, or, behind a configured trusted proxy, the last address
in X-Forwarded-For that is not one of our proxies. IPv4-mapped IPv6 addresses are unwrapped
(a dual-stack server sees `::ffff:185.71.76.1`)."""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_networks(spec: str | Iterable[str]) -> list[Network]:
    items = spec.split(",") if isinstance(spec, str) else spec
    return [ipaddress.ip_network(item.strip(), strict=False) for item in items if item.strip()]


@functools.lru_cache(maxsize=8)
def trusted_networks(spec: str) -> tuple[Network, ...]:
    """`TRUSTED_PROXIES` parsed once, not on every call that asks who sent it."""
    return tuple(parse_networks(spec))


@functools.lru_cache(maxsize=1024)
def parse_address(text: str) -> Address | None:
    """Cached: a provider calls from a few addresses, and parsing one cost 2.5 % of the
    API process's handling of Stripe's events under a renewal backlog (py-spy). The
    addresses are immutable; the cache is bounded however many senders there are."""
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def in_networks(address: Address, networks: Iterable[Network]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def sender_address(
    peer: str | None, forwarded_for: str | None, trusted: Iterable[Network]
) -> Address | None:
    address = parse_address(peer or "")
    if address is None or not in_networks(address, trusted) or not forwarded_for:
        return address
    for hop in reversed(forwarded_for.split(",")):
        hop_address = parse_address(hop)
        if hop_address is None:
            return None
        if not in_networks(hop_address, trusted):
            return hop_address
    return address
