"""How fast /admin/statistics is over a million payments on PostgreSQL.

    python -m bench.statistics [ROWS]

Fills a scratch database with ROWS payments (default 1 000 000) of mixed providers,
statuses and currencies, then times the statistics queries a few ways.
"""

from __future__ import annotations

import asyncio
import sys
import time

import asyncpg

from kassa.db.migrate import upgrade_async
from kassa.db.session import Database
from kassa.services.ops.statistics import compute

ADMIN = "postgres://postgres@127.0.0.1:5432/test"
NAME = "kassa_stats_bench"
URL = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{NAME}"

FILL = """
INSERT INTO payments (id, user_id, provider, status, amount, currency, refunded_amount, purpose,
                      metadata, created_at, updated_at, paid_at, failure_code, check_attempts)
SELECT 'pay_' || md5(g::text), 'user-' || (g % 50000),
       (ARRAY['payme','kaspi','stripe','yookassa'])[1 + g % 4],
       (ARRAY['succeeded','succeeded','succeeded','failed','cancelled','pending','refunded','partially_refunded'])[1 + g % 8],
       1000 + (g % 997) * 100, (ARRAY['UZS','KZT','USD','RUB'])[1 + g % 4],
       CASE WHEN g % 8 = 6 THEN 1000 + (g % 997) * 100 WHEN g % 8 = 7 THEN 500 ELSE 0 END,
       'one_off', '{}', now() - (g % 90) * interval '1 day' - (g % 86400) * interval '1 second',
       now(), CASE WHEN g % 8 IN (0,1,2,6,7) THEN now() - (g % 90) * interval '1 day' + interval '40 seconds' END,
       CASE WHEN g % 8 = 3 THEN (ARRAY['card_declined','insufficient_funds','expired'])[1 + g % 3] END, 0
FROM generate_series(1, $1) AS g
"""


async def main(rows: int) -> None:
    admin = await asyncpg.connect(ADMIN)
    await admin.execute(f"DROP DATABASE IF EXISTS {NAME} WITH (FORCE)")
    await admin.execute(f"CREATE DATABASE {NAME}")
    await admin.close()
    await upgrade_async(URL)
    conn = await asyncpg.connect(URL.replace("postgresql+asyncpg", "postgres"))
    started = time.perf_counter()
    await conn.execute(FILL, rows)
    await conn.execute("ANALYZE payments")
    await conn.close()
    print(f"filled {rows} payments in {time.perf_counter() - started:.1f}s")
    db = Database(URL)
    try:
        for label, kwargs in (("all", {}), ("provider=stripe", {"provider": "stripe"})):
            timings = []
            for _ in range(3):
                began = time.perf_counter()
                async with db.transaction() as session:
                    stats = await compute(session, **kwargs)
                timings.append(time.perf_counter() - began)
            print(f"statistics {label}: best {min(timings) * 1000:.0f} ms, worst {max(timings) * 1000:.0f} ms "
                  f"(total {stats.total}, success rate {stats.success_rate})")
    finally:
        await db.dispose()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000))
