"""The database's upkeep as the command line asks for it: migrations, and a connection
for one command's work, opened and closed around it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from kassa.db.migrate import upgrade
from kassa.db.session import Database

T = TypeVar("T")


def migrate(database_url: str) -> None:
    """Apply every Alembic migration not yet applied."""
    upgrade(database_url)


async def with_database(database_url: str, work: Callable[[Database], Awaitable[T]]) -> T:
    db = Database(database_url)
    try:
        return await work(db)
    finally:
        await db.dispose()
