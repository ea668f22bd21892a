"""ASGI middleware: request ids, body limits, access logs and metrics, security headers."""

from __future__ import annotations

import random
import re
import time
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kassa.core.context import request_id_var
from kassa.core.logging import describe_exception, get_logger
from kassa.core.observability import REQUEST_LATENCY, REQUESTS, labelled
from kassa.core.security import VERIFIED_PRINCIPAL, InvalidToken, read_token
from kassa.http.problems import problem
from kassa.services.accounts.api_keys import service_key

log = get_logger("kassa.http")
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestContext:
    """Gives each request an id (kept from X-Request-ID when sane), logs and measures it.
    `log_requests`: whether the configured level lets a request's line out; when it does
    not, the line is not built (structlog makes a logger for every call, filtered or not)."""

    def __init__(self, app: ASGIApp, log_requests: bool = True) -> None:
        self.app = app
        self.log_requests = log_requests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID_RE.match(incoming) else _new_request_id()
        token = request_id_var.set(request_id)
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            template = _route_template(scope)
            labelled(REQUESTS, scope["method"], template, str(status)).inc()
            labelled(REQUEST_LATENCY, scope["method"], template).observe(elapsed)
            if self.log_requests and template not in ("/metrics", "/health"):
                log.info(
                    "http.request",
                    method=scope["method"],
                    route=template,
                    status=status,
                    ms=round(elapsed * 1000, 2),
                )
            structlog.contextvars.unbind_contextvars("request_id")
            request_id_var.reset(token)


def _new_request_id() -> str:
    """32 hex digits, as a uuid4's: an id to quote and find in the logs, never a secret,
    so Python's generator serves (a uuid4 reads the kernel's random source each time)."""
    return f"{random.getrandbits(128):032x}"


def _route_template(scope: Scope) -> str:
    """The matched route's template (`/api/v1/payments/{payment_id}`), never the raw
    path, so metrics keep a bounded number of labels."""
    effective = (scope.get("fastapi") or {}).get("effective_route_context")  # included routers
    template = getattr(effective, "path_format", None)
    if template is None:
        route = scope.get("route")
        template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return str(template) if template else "unmatched"


class ErrorShield:
    """The last line: an unexpected fault becomes a problem answer and one log line
    (type and place, no trace), and is not re-raised to the server's own logger."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            log.error("request.failed", path=scope.get("path"), **describe_exception(exc))
            if not started:
                response = problem(
                    500,
                    "internal_error",
                    "Internal error",
                    "an unexpected error occurred; quote the request id",
                )
                await response(scope, receive, send)


class BodyLimit:
    """Refuses bodies over the limit with 413, by Content-Length or as they stream."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(scope, receive, send)
            return
        seen = 0
        refused = False
        response_started = False

        async def limited_receive() -> Message:
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    # Answer now and tell the app the client is gone; whatever it tries
                    # to send afterwards is dropped.
                    refused = True
                    if not response_started:
                        await self._refuse(scope, receive, send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if refused:
                return
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        await self.app(scope, limited_receive, guarded_send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(
            413,
            "payload_too_large",
            "Payload too large",
            f"request bodies are limited to {self.max_bytes} bytes",
        )
        await response(scope, receive, send)


SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


ADMIN_HEADERS: list[tuple[bytes, bytes]] = [
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        b"img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    (b"cache-control", b"no-store"),
]


# The customer portal's pages: no script at all; its forms post to the portal, whose "Pay
# now" answers with a redirect to the provider's checkout page, which form-action governs
# too (CSP Level 3, "form-action": redirects after a submission are checked), so any https
# page may follow a form: Payme's, Click's, Stripe's, YooKassa's, a shop's own.
PORTAL_HEADERS: list[tuple[bytes, bytes]] = [
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'none'; style-src 'self' 'unsafe-inline'; "
        b"img-src 'self' data:; form-action 'self' https:; frame-ancestors 'none'; "
        b"base-uri 'none'",
    ),
    (b"cache-control", b"no-store"),
]


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[Any] = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in SECURITY_HEADERS if h[0] not in present)
                if scope["path"].startswith("/admin"):
                    headers.extend(h for h in ADMIN_HEADERS if h[0] not in present)
                elif scope["path"].startswith("/portal"):
                    headers.extend(h for h in PORTAL_HEADERS if h[0] not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


_UNLIMITED_PREFIXES = ("/health", "/ready", "/metrics", "/sandbox", "/webhooks", "/admin/static")


class RateLimit:
    """Per caller: a known API key (its own limit, else the service setting), else the
    verified token's subject, else the sender's address. Credentials that do not verify
    count against the address, so inventing keys or tokens buys no fresh budget. Webhooks
    are limited by their own failure counters, the admin sign-in by address."""

    def __init__(self, app: ASGIApp, settings: Any, limiter: Any, db: Any) -> None:
        self.app = app
        self.settings = settings
        self.limiter = limiter
        self.db = db

    async def _caller(self, scope: Scope) -> tuple[str, int]:
        headers = dict(scope["headers"])
        api_key = headers.get(b"x-api-key")
        if api_key:
            try:
                found = await service_key(self.db, api_key.decode("latin-1")[:200])
            except Exception:  # the endpoint answers the outage (503); count by address here
                found = None
            if found is not None:
                scope[VERIFIED_PRINCIPAL] = found.principal
                limit = found.rate_limit_per_minute or self.settings.rate_limit_service_per_minute
                return f"key:{found.digest[:24]}", limit
        else:
            auth = headers.get(b"authorization", b"").decode("latin-1")
            if auth.lower().startswith("bearer "):
                try:
                    principal = read_token(self.settings.signing_key, auth[7:].strip())
                    scope[VERIFIED_PRINCIPAL] = principal  # no second decode in the endpoint
                    return f"user:{principal.subject}", self.settings.rate_limit_per_minute
                except InvalidToken:
                    pass
        client = scope.get("client")
        return f"ip:{client[0] if client else '-'}", self.settings.rate_limit_anonymous_per_minute

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not path or path.startswith(_UNLIMITED_PREFIXES):
            await self.app(scope, receive, send)
            return
        if path == "/admin/login" and scope["method"] == "POST":
            client = scope.get("client")
            key, limit = (
                f"login:{client[0] if client else '-'}",
                self.settings.login_attempts_per_minute,
            )
        else:
            key, limit = await self._caller(scope)
        verdict = await self.limiter.hit(key, limit)
        if not verdict.allowed:
            response = problem(
                429,
                "rate_limited",
                "Too many requests",
                f"limit of {limit} requests a minute reached",
                headers={"Retry-After": str(verdict.retry_after)},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
