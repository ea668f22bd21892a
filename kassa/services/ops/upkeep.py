"""The database's upkeep as the command line asks for it: migrations, and a connection
for one command's work, opened and closed around it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from kassa.db.migrate import upgrade
from kassa.db.session import Database

T = TypeVar("T")


def migrate(database_url: str, at_rest_key: str | None = None) -> None:
    """Apply every Alembic migration not yet applied (`at_rest_key`: for the ones that seal
    values again, the key kassa seals with)."""
    upgrade(database_url, at_rest_key=at_rest_key)


async def with_database(database_url: str, work: Callable[[Database], Awaitable[T]]) -> T:
    db = Database(database_url)
    try:
        return await work(db)
    finally:
        await db.dispose()
