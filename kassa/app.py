"""The ASGI application: routers, middleware, error handlers and lifespan."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from kassa import __version__
from kassa.admin import routes as admin
from kassa.api import (
    accounts,
    admin_merchants,
    admin_promo_codes,
    admin_sellers,
    admin_statistics,
    admin_webhooks,
    health,
    payment_methods,
    payments,
    portal_sessions,
    sandbox_clock,
    subscriptions,
    tariffs,
)
from kassa.api.sandbox_controls import SandboxControls
from kassa.core.logging import configure_logging, get_logger, logs_at
from kassa.core.settings import Settings, load_settings
from kassa.fast.collector import freeze_what_start_up_made
from kassa.home import api_docs, start_page
from kassa.http import errors
from kassa.http.input_guard import InputGuard
from kassa.http.middleware import BodyLimit, ErrorShield, RateLimit, RequestContext, SecurityHeaders
from kassa.jobs.runner import run_jobs
from kassa.portal import views as portal_views
from kassa.providers import plugins
from kassa.runtime import Runtime
from kassa.sandbox.base import EmulatorContext
from kassa.sandbox.mount import mount_sandboxes
from kassa.services.billing import invoice_pdf
from kassa.services.ops.server_advice import advise
from kassa.services.schemas import Problem
from kassa.webhooks import router as webhooks_router

log = get_logger(__name__)
API_PREFIX = "/api/v1"


def create_app(
    settings: Settings | None = None,
    *,
    runtime: Runtime | None = None,
    run_jobs_inline: bool = False,
    freeze_at_start: bool = False,
) -> FastAPI:
    """`freeze_at_start`: the process serves this app until it ends (`kassa serve`), so what
    start-up made is frozen for the garbage collector (`kassa.fast.collector`), when
    FAST_PATHS has its `collector`."""
    settings = settings or (runtime.settings if runtime else load_settings())
    configure_logging(
        settings.log_level, json=settings.log_json, secrets=plugins.log_secrets(settings)
    )
    rt = runtime or Runtime.build(settings)
    emulators = (
        {p.name: p.emulator for p in plugins.all_plugins() if p.emulator}
        if settings.is_sandbox
        else {}
    )
    sandboxes: list[EmulatorContext] = []  # the emulators' connections, closed at the end

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        jobs = asyncio.create_task(run_jobs(rt, stop)) if run_jobs_inline else None
        if freeze_at_start and "collector" in settings.fast:
            freeze_what_start_up_made()
        # in the background: a database still starting must not hold up serving
        advice = asyncio.create_task(advise(rt.db))
        log.info(
            "kassa.started",
            database=rt.db.dialect,
            sandbox=settings.is_sandbox,
            providers=rt.providers.names(),
            not_configured=rt.providers.unconfigured(),
            jobs=run_jobs_inline,
        )
        if (missing_font := invoice_pdf.unprintable()) is not None:
            log.error("documents.font_missing", detail=missing_font)
        try:
            yield
        finally:
            stop.set()
            advice.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await advice
            if jobs is not None:
                with contextlib.suppress(Exception):
                    await jobs
            for sandbox in sandboxes:
                await sandbox.aclose()
            if runtime is None:
                await rt.close()

    app = FastAPI(
        title="kassa",
        version=__version__,
        description="Self-hosted payments: tariffs, wallets and invoices over Payme, "
        "Click, Kaspi Pay, Stripe and YooKassa.",
        lifespan=lifespan,
        # served from kassa's own files instead (kassa.home.api_docs): FastAPI's load a CDN's
        docs_url=None,
        redoc_url=None,
        # kassa's metrics are Prometheus's and its logs structlog's; FastAPI's own
        # OpenTelemetry, left on, asks the global providers on every request
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.runtime = rt
    app.state.settings = settings
    app.state.fast_paths = settings.fast  # read by kassa.fast.fast_path's routes
    errors.install(app)
    # Routes are matched in order, router by router: the busiest paths (providers' calls,
    # then payments) come first, so they are not matched against every other route first.
    app.include_router(webhooks_router)
    if settings.is_sandbox:
        # the emulators (each one Mount, one regex to pass) are as busy as kassa's own API
        # when they are on: a Stripe call matched after every other route costs ~0.2 ms
        app.include_router(sandbox_clock.router)
        sandboxes.append(mount_sandboxes(app, settings, emulators))
    for router in (
        payments.router,
        tariffs.router,
        payment_methods.router,
        accounts.router,
        subscriptions.router,
        admin_promo_codes.router,
        admin_sellers.router,
        portal_sessions.router,
        admin_webhooks.router,
        admin_merchants.router,
        admin_statistics.router,
    ):
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(health.router)
    app.include_router(start_page.router(list(emulators)))
    api_docs.install(app)
    app.include_router(admin.router)
    app.include_router(portal_views.router)
    app.mount("/admin/static", admin.static_files(), name="admin-static")
    _register_problem_schema(app)

    if settings.cors_origin_list:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origin_list,
            allow_credentials=False,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "Idempotency-Key",
                "X-API-Key",
                "X-Idempotency-Key",
                "X-Request-ID",
            ],
        )
    if settings.is_sandbox:  # the clock and the emulators' switches: this machine or an admin
        app.add_middleware(SandboxControls, settings=settings)
    app.add_middleware(ErrorShield)
    app.add_middleware(RateLimit, settings=settings, limiter=rt.limiter, db=rt.db)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(InputGuard)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestContext, log_requests=logs_at(settings.log_level, "INFO"))
    return app


def _register_problem_schema(app: FastAPI) -> None:
    """Put the Problem shape into /openapi.json so error responses can refer to it."""
    original = app.openapi

    def openapi() -> dict[str, object]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Problem"] = Problem.model_json_schema()
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def serve_app() -> FastAPI:
    """The factory `kassa serve` hands to uvicorn (one call per worker process)."""
    import os

    return create_app(
        load_settings(),
        run_jobs_inline=os.environ.get("KASSA_SERVE_JOBS") == "1",
        freeze_at_start=True,
    )
