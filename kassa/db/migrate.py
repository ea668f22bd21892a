"""Applying Alembic migrations programmatically (`kassa migrate`, `kassa serve`)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str, at_rest_key: str | None = None) -> Config:
    """`at_rest_key`: the key sealed values are opened and sealed again with, for the
    migrations that rewrite them (else they read the settings when they need it)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["database_url"] = database_url
    config.attributes["at_rest_key"] = at_rest_key
    return config


def upgrade(database_url: str, revision: str = "head", at_rest_key: str | None = None) -> None:
    command.upgrade(alembic_config(database_url, at_rest_key), revision)


async def upgrade_async(
    database_url: str, revision: str = "head", at_rest_key: str | None = None
) -> None:
    """Alembic runs its own event loop; keep it off the caller's."""
    await asyncio.to_thread(upgrade, database_url, revision, at_rest_key)
