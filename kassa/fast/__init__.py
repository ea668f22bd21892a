"""kassa's throughput machinery, in one room behind one switch (FAST_PATHS).

Each piece is a shortcut beside a library kassa otherwise uses as documented, and each has
a plain equivalent with the same behaviour, which `FAST_PATHS` chooses instead
(`kassa.fast.switch`): both test suites run both ways, and `make bench` measures each piece
off alone (BENCH_VARIANTS), so a piece that no longer earns its keep can be deleted.

- `driver`: statements sent through asyncpg itself under SQLAlchemy's adapter (SQLAlchemy
  internals; the reason SQLAlchemy is pinned below 2.2). Off: SQLAlchemy executes them.
- `batch`: a transaction's writes sent together, as one statement on PostgreSQL. Off: each
  write its own statement, in order, in the same transaction, before the next read.
- `compare_and_set`: lock-free reads, then writes guarded by what was read (PostgreSQL).
  Off: the ordinary path, under the payment's row lock.
- `fast_path`: an endpoint's arguments read without FastAPI's dependency solving. Off:
  FastAPI solves every request.
- `collector`: start-up's objects frozen for the garbage collector. Off: Python's defaults.

This package imports nothing at import (kassa.core.settings reads its switch).
"""
