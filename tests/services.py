"""Exit 0 when the PostgreSQL and Redis given on the command line answer (used by `make test`)."""

from __future__ import annotations

import asyncio
import sys

from redis.asyncio import Redis
from sqlalchemy import text

from kassa.db.session import Database


async def answers(database_url: str, redis_url: str) -> bool:
    db = Database(database_url)
    try:
        async with db.engine.connect() as conn:
            await asyncio.wait_for(conn.execute(text("SELECT 1")), timeout=5)
    except Exception as exc:
        print(f"database: {type(exc).__name__}", file=sys.stderr)
        return False
    finally:
        await db.dispose()
    redis = Redis.from_url(redis_url, socket_connect_timeout=3)
    try:
        await redis.ping()
    except Exception as exc:
        print(f"redis: {type(exc).__name__}", file=sys.stderr)
        return False
    finally:
        await redis.aclose()
    return True


if __name__ == "__main__":
    sys.exit(0 if asyncio.run(answers(sys.argv[1], sys.argv[2])) else 1)
