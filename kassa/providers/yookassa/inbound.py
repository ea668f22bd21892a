"""YooKassa's notifications. YooKassa signs nothing, so one is believed only from its
published networks (yookassa.ru/developers/using-api/webhooks: the IPv4 ranges and
`2a02:5180::/32`; YOOKASSA_EXTRA_NETWORKS adds more, loopback in the sandbox), and even
then kassa acts on the payment as the YooKassa API reports it, never on the body."""

from __future__ import annotations

import ipaddress
import json

from kassa.domain.updates import ProviderUpdate
from kassa.providers.base import InboundRequest, ProviderContext, Reply, Reread

NETWORKS = [
    ipaddress.ip_network(n)
    for n in ("185.71.76.0/27", "185.71.77.0/27", "77.75.153.0/25", "77.75.156.11/32",
              "77.75.156.35/32", "77.75.154.128/25", "2a02:5180::/32")
]  # fmt: skip
EVENTS = frozenset(
    {"payment.succeeded", "payment.waiting_for_capture", "payment.canceled", "refund.succeeded"}
)


class YooKassaInbound:
    def __init__(self, ctx: ProviderContext) -> None:
        extra = ctx.settings.value("YOOKASSA_EXTRA_NETWORKS") or ""
        self.networks = NETWORKS + [
            ipaddress.ip_network(n.strip(), strict=False) for n in extra.split(",") if n.strip()
        ]

    def _believed(self, sender: str | None) -> bool:
        try:
            address = ipaddress.ip_address(sender or "")
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address.version == n.version and address in n for n in self.networks)

    def read(self, request: InboundRequest) -> ProviderUpdate | Reread | Reply:
        if not self._believed(request.sender):
            return Reply(
                status=403,
                verified=False,
                problem=(
                    "forbidden",
                    "Not allowed",
                    "notifications are accepted from YooKassa only",
                ),
            )
        try:
            body = json.loads(request.body)
            event = body["event"]
            obj = body["object"]
            object_id = str(obj["id"])
            payment_ref = str(obj["payment_id"]) if event.startswith("refund.") else object_id
        except (ValueError, KeyError, TypeError, AttributeError):
            return Reply(
                status=400,
                problem=("validation_error", "Invalid notification", "not a YooKassa notification"),
            )
        if event not in EVENTS:
            return Reply(body={"received": True, "ignored": str(event)[:60]})
        return Reread(payment_ref)
