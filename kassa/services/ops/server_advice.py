"""What kassa needs of its PostgreSQL server beyond a connection, checked as a process
starts and said once in its log, where an operator looks when payments slow down.

Autovacuum: kassa keeps prepared statements per connection and PostgreSQL keeps each
backend's foreign-key checks' plans; both are made again only when ANALYZE updates a
table's statistics. Plans made while a table was nearly empty scan the whole table, and
without autovacuum they stay while it grows (docs/scaling.md, "Statistics")."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from kassa.core.logging import get_logger
from kassa.db.session import Database

log = get_logger(__name__)

AUTOVACUUM_OFF = "database.autovacuum_off"
ADVICE_SECONDS = 5.0  # a server that does not answer by then is readiness's business


async def advise(db: Database) -> list[str]:
    """The warnings logged about the server's settings (their event names); none on
    SQLite, or when the server does not answer (readiness reports that)."""
    if db.dialect != "postgresql":
        return []
    try:
        async with asyncio.timeout(ADVICE_SECONDS), db.engine.connect() as connection:
            autovacuum = (
                await connection.execute(text("SELECT current_setting('autovacuum')"))
            ).scalar_one()
    except Exception as exc:  # the database may be starting too; this is advice only
        log.debug("database.advice_skipped", error=type(exc).__name__)
        return []
    found = []
    if autovacuum != "on":
        log.warning(
            AUTOVACUUM_OFF,
            advice="turn autovacuum on, or run ANALYZE regularly: statistics from nearly "
            "empty tables keep plans that scan whole tables as they grow",
        )
        found.append(AUTOVACUUM_OFF)
    return found
