"""Who may work the sandbox's controls: the clock (`/sandbox/clock`), every emulator's
switches (`/sandbox/<provider>/_…`: faults, cabinet and dashboard refunds, statuses set by
hand) and its index page (`/sandbox/<provider>/`: every payment it holds, the customers'
phone numbers among them). They answer a caller on this machine (loopback, by kassa's
own reading of the sender's address) or one with an admin token: a kassa listening beyond
loopback (the container image binds 0.0.0.0) must not let anyone who reaches it move
billing time, make a provider fail or read every sandbox payment. The emulators' checkout
pages (Pay, Decline) stay open: they are what a customer's browser uses."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from kassa.core.security import InvalidToken, read_token
from kassa.core.settings import Settings
from kassa.http.client_ip import in_networks, parse_address, sender_address, trusted_networks
from kassa.http.problems import problem

# headers a proxy adds: behind one kassa was not told to believe (TRUSTED_PROXIES), the
# peer is the proxy on loopback while the caller is whoever reached the proxy
_FORWARDING = (b"x-forwarded-for", b"forwarded", b"x-real-ip")


def is_control(path: str) -> bool:
    """`/sandbox/clock…`, an emulator's index (`/sandbox/<provider>/`), or a path under it
    whose first segment starts with `_` (the emulators' convention for what no provider's
    API has)."""
    if not path.startswith("/sandbox/"):
        return False
    provider, _, rest = path.removeprefix("/sandbox/").partition("/")
    rest = rest.lstrip("/")
    return provider == "clock" or not rest or rest.startswith("_")


class SandboxControls:
    """Refuses the controls to anyone but a loopback caller or an admin's token."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_control(scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if self._from_loopback(scope, headers):
            await self.app(scope, receive, send)
            return
        auth = headers.get(b"authorization", b"").decode("latin-1")
        if not auth.lower().startswith("bearer "):
            refusal = problem(
                401,
                "unauthorized",
                "Unauthorized",
                "the sandbox's controls answer callers on this machine or an admin token",
            )
        else:
            try:
                if read_token(self.settings.signing_key, auth[7:].strip()).is_admin:
                    await self.app(scope, receive, send)
                    return
                refusal = problem(
                    403, "forbidden", "Forbidden", "the sandbox's controls need an admin token"
                )
            except InvalidToken:
                refusal = problem(401, "unauthorized", "Unauthorized", "invalid token")
        await refusal(scope, receive, send)

    def _from_loopback(self, scope: Scope, headers: dict[bytes, bytes]) -> bool:
        trusted = trusted_networks(self.settings.trusted_proxies)
        client = scope.get("client")
        peer = client[0] if client else None
        forwarded_for = headers.get(b"x-forwarded-for")
        address = sender_address(
            peer, forwarded_for.decode("latin-1") if forwarded_for else None, trusted
        )
        if address is None or not address.is_loopback:
            return False
        peer_address = parse_address(peer or "")
        believed = peer_address is not None and in_networks(peer_address, trusted)
        return believed or not any(name in headers for name in _FORWARDING)
