"""The `kassa` command: serve, migrate, worker, token, api-key."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any

import typer

from kassa.core.security import mint_token
from kassa.core.settings import Settings, load_settings

# Plain tracebacks: Typer's pretty ones need rich, which kassa.core.logging keeps out.
app = typer.Typer(
    help="kassa: self-hosted payments",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
api_key_app = typer.Typer(help="service API keys", no_args_is_help=True)
app.add_typer(api_key_app, name="api-key")
admin_app = typer.Typer(help="operator logins for the admin UI", no_args_is_help=True)
app.add_typer(admin_app, name="admin")


def _settings() -> Settings:
    from kassa.providers import plugins  # noqa: F401  (the settings its packages declare)

    try:
        return load_settings()
    except ValueError as exc:  # a ConfigurationError names settings, never their values
        typer.echo(f"kassa: configuration error: {exc}", err=True)
        raise typer.Exit(2) from exc


@app.command()
def migrate() -> None:
    """Apply database migrations and exit."""
    from kassa.services.ops.upkeep import migrate as apply_migrations

    settings = _settings()
    apply_migrations(settings.database_url, settings.at_rest_key)
    typer.echo("migrations applied")


def public_url_for(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host  # noqa: S104 - not a bind
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def _migrate_apart() -> None:
    """Migrations applied by `kassa migrate` in a process of its own, which then exits:
    with one API process uvicorn serves in this very process, which would otherwise carry
    Alembic, Mako and the migration scripts for good (8 MB of its resident memory)."""
    done = subprocess.run(
        [sys.executable, "-m", "kassa", "migrate"], stdout=subprocess.DEVNULL, check=False
    )
    if done.returncode != 0:
        typer.echo("kassa: migrations failed (see above); not serving", err=True)
        raise typer.Exit(done.returncode)


@app.command()
def serve(
    host: Annotated[str, typer.Option(envvar="HOST", help="address to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="PORT", help="port to bind")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="API processes")] = 1,
    no_jobs: Annotated[bool, typer.Option("--no-jobs", help="run no background jobs")] = False,
) -> None:
    """Apply migrations, then serve the API (and, unless --no-jobs, the background jobs)."""
    import uvicorn

    settings = _settings()
    _migrate_apart()
    os.environ["KASSA_SERVE_JOBS"] = "0" if no_jobs else "1"
    if "public_url" not in settings.model_fields_set:
        # Providers and browsers must reach this very address and port (the checkout links,
        # the sandboxes' callbacks): PUBLIC_URL follows --host/--port unless it is set.
        os.environ["PUBLIC_URL"] = public_url_for(host, port)
    uvicorn.run(
        "kassa.app:serve_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
        proxy_headers=False,
    )


@app.command()
def worker() -> None:
    """Run the background jobs until interrupted."""
    from kassa.core.logging import configure_logging
    from kassa.fast.collector import freeze_what_start_up_made
    from kassa.jobs.runner import run_jobs
    from kassa.runtime import Runtime
    from kassa.services.ops.server_advice import advise

    settings = _settings()
    from kassa.providers import plugins

    secrets = plugins.log_secrets(settings)
    configure_logging(settings.log_level, json=settings.log_json, secrets=secrets)

    async def main() -> None:
        rt = Runtime.build(settings)
        if "collector" in settings.fast:
            freeze_what_start_up_made()
        await advise(rt.db)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await run_jobs(rt, stop)
        finally:
            await rt.close()

    # uvloop, as `kassa serve` runs under uvicorn: the jobs spend their time on sockets
    # (PostgreSQL, providers, webhooks), and asyncio's own transports wrote them in Python
    # (a third of a worker under a renewal backlog)
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        runner.run(main())


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:  # uvicorn[standard] brings it wherever it builds (not on Windows)
        return None
    return uvloop.new_event_loop


@app.command()
def openapi() -> None:
    """Print the HTTP API's OpenAPI document (what the client libraries are generated from).
    The sandbox's routes are left out: they are not part of any deployment's API."""
    import json

    from kassa.app import create_app

    settings = Settings(
        _env_file=None,
        sandbox=False,
        secret_key="openapi-document-only-0123456789abcdef",  # noqa: S106 - signs nothing
        database_url="sqlite+aiosqlite:///:memory:",
        log_level="ERROR",
    )
    typer.echo(json.dumps(create_app(settings).openapi(), indent=2, sort_keys=True))


@app.command()
def token(
    sub: Annotated[str, typer.Argument(help="user id")],
    role: Annotated[str, typer.Option(help="user or admin")] = "user",
    org: Annotated[list[str] | None, typer.Option(help="organisation id (repeatable)")] = None,
    minutes: Annotated[int | None, typer.Option(help="lifetime; default from settings")] = None,
) -> None:
    """Print a signed access token for SUB."""
    if role not in ("user", "admin"):
        typer.echo("kassa: --role must be user or admin", err=True)
        raise typer.Exit(2)
    settings = _settings()
    lifetime = timedelta(minutes=minutes or settings.access_token_expire_minutes)
    typer.echo(
        mint_token(settings.signing_key, sub, role=role, orgs=org or [], expires_in=lifetime)
    )


@api_key_app.command("create")
def api_key_create(
    name: Annotated[str, typer.Argument(help="the service's name")],
    rate_limit: Annotated[
        int | None,
        typer.Option(
            "--rate-limit",
            min=1,
            help="requests a minute for this key (default: RATE_LIMIT_SERVICE_PER_MINUTE)",
        ),
    ] = None,
) -> None:
    """Print a new service API key (shown once; only its digest is stored)."""
    from kassa.services.accounts.api_keys import create_api_key
    from kassa.services.ops.upkeep import migrate, with_database

    settings = _settings()
    migrate(settings.database_url, settings.at_rest_key)

    async def main() -> str:
        async def create(db: Any) -> str:
            _, key = await create_api_key(db, name, rate_limit_per_minute=rate_limit)
            return key

        return await with_database(settings.database_url, create)

    typer.echo(asyncio.run(main()))


@admin_app.command("create")
def admin_create(
    email: Annotated[str, typer.Argument(help="the operator's e-mail")],
    password: Annotated[
        str | None, typer.Option(help="read from the terminal when not given", show_default=False)
    ] = None,
) -> None:
    """Create an operator login for the admin UI."""
    from kassa.domain.errors import ValidationFailed
    from kassa.services.accounts.operators import create_operator
    from kassa.services.ops.upkeep import migrate, with_database

    settings = _settings()
    migrate(settings.database_url, settings.at_rest_key)
    secret = password or typer.prompt("Password", hide_input=True, confirmation_prompt=True)

    try:
        asyncio.run(
            with_database(settings.database_url, lambda db: create_operator(db, email, secret))
        )
    except ValidationFailed as exc:
        typer.echo(f"kassa: {exc.detail}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"operator {email} created")
