"""The lock order every transaction keeps on PostgreSQL: a payment, then a subscription's
period, then the subscription (docs/architecture.md). Two transactions taking two such rows
in opposite orders can deadlock; this watches every statement the suite's processes send
(SQLAlchemy's and kassa.fast.driver's alike: the driver tells the engine's listeners) and
records a transaction that first locks a table ranked before one it locked already.

A row is locked by SELECT … FOR UPDATE (all the tables of its FROM list, in that order, or
those named after OF) and by UPDATE or DELETE of it. Within one statement the locks are
taken in the order they are written, as PostgreSQL takes a joined row set's locks in the
order of its FROM list. A statement on an autocommit connection (a compare-and-set, one
statement of queued writes) is a transaction by itself."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

RANK = {"payments": 0, "subscriptions": 1, "subscription_periods": 2}
_NAMES = "|".join(RANK)
_WRITE = re.compile(rf'\b(?:UPDATE|DELETE\s+FROM)\s+"?({_NAMES})"?\s', re.IGNORECASE)
_FOR_UPDATE = re.compile(
    r"\bFOR\s+(?:NO\s+KEY\s+)?UPDATE\b(?:\s+OF\s+((?:\"?\w+\"?\s*,\s*)*\"?\w+\"?))?",
    re.IGNORECASE,
)
_FROM = re.compile(r"\bFROM\b", re.IGNORECASE)
_TABLE = re.compile(rf'(?<![\w.])"?({_NAMES})"?(?![\w(])', re.IGNORECASE)


def locked_tables(statement: str) -> list[str]:
    """The ranked tables a statement locks rows of, in the order it takes them."""
    sites: list[tuple[int, str]] = [
        (m.start(), m.group(1).lower()) for m in _WRITE.finditer(statement)
    ]
    for found in _FOR_UPDATE.finditer(statement):
        starts = [m.start() for m in _FROM.finditer(statement, 0, found.start())]
        if not starts:
            continue
        clause = statement[starts[-1] : found.start()]
        named = [m.group(1).lower() for m in _TABLE.finditer(clause)]
        if found.group(1):
            only = {name.strip().strip('"').lower() for name in found.group(1).split(",")}
            named = [name for name in named if name in only]
        sites.extend((starts[-1] + index, name) for index, name in enumerate(named))
    return [name for _, name in sorted(sites)]


@dataclass
class LockOrder:
    """Locks per open transaction (by connection), and the transactions that broke the order."""

    held: dict[int, list[str]] = field(default_factory=dict)
    broken: list[str] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)  # every lock, in order

    def _take(self, held: list[str], tables: list[str], statement: str) -> None:
        self.seen.extend(tables)
        for table in tables:
            if table in held:
                continue
            later = [other for other in held if RANK[other] > RANK[table]]
            if later:
                self.broken.append(
                    f"{table} locked after {', '.join(later)}: {' '.join(statement.split())[:300]}"
                )
            held.append(table)

    def on_execute(self, conn: Any, _c: Any, statement: str, *_rest: Any) -> None:
        tables = locked_tables(statement)
        if not tables:
            return
        autocommit = conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT"
        held = [] if autocommit else self.held.setdefault(id(conn), [])
        self._take(held, tables, statement)

    def on_end(self, conn: Any, *_rest: Any) -> None:
        self.held.pop(id(conn), None)

    def watch(self) -> None:
        event.listen(Engine, "before_cursor_execute", self.on_execute)
        for name in ("begin", "commit", "rollback"):
            event.listen(Engine, name, self.on_end)

    def stop(self) -> None:
        event.remove(Engine, "before_cursor_execute", self.on_execute)
        for name in ("begin", "commit", "rollback"):
            event.remove(Engine, name, self.on_end)
