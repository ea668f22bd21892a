"""Writes of one transaction sent to the database together.

A payment's move writes up to eight rows (the payment, the provider's transaction, the
event claim, the audit record, outbox events, the invoice and its counter) and reads none
of them back. Sent one by one, each is a round trip to PostgreSQL while the payment's row,
and for a payment that succeeds the year's invoice counter, stay locked. Queued here, they
leave as one statement of data-modifying CTEs at the end of the transaction (or when the
caller needs something they return): one round trip. SQLite, in process, runs them one by
one in the order they were queued. Either way they run inside the caller's transaction, so
atomicity is unchanged.

What may be queued is bounded by PostgreSQL's rule for such statements: no part sees what
another wrote. So only writes whose values are known in Python are queued, updates of one
row are merged into one UPDATE, and nothing the transaction reads later depends on them
(`Database.transaction` sends the queue after the ORM's own flush, just before COMMIT).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row, Table, event, insert, literal_column, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.dml import Insert, Update
from sqlalchemy.sql.selectable import TextualSelect

_KEY = "kassa.batch"


@dataclass
class _RowUpdate:
    table: Table
    key: dict[str, Any]
    values: dict[str, Any]

    def statement(self) -> Update:
        where = [self.table.c[name] == value for name, value in self.key.items()]
        values = {**_defaults(self.table, self.values, "onupdate"), **self.values}
        return update(self.table).where(*where).values(**values)


def _defaults(table: Table, given: dict[str, Any], kind: str) -> dict[str, Any]:
    """The Python-side defaults of the columns not given, filled in here: left to the
    compiler, two parts writing one table would both name their bind after the column."""
    found: dict[str, Any] = {}
    for column in table.columns:
        default = getattr(column, kind)
        if column.name in given or default is None:
            continue
        if default.is_callable:
            found[column.name] = default.arg(None)
        elif default.is_scalar:
            found[column.name] = default.arg
    return found


@dataclass
class Batch:
    """The session's queue: statements in order, updates merged per row."""

    parts: list[Insert | TextualSelect | _RowUpdate] = field(default_factory=list)
    names: dict[int, str] = field(default_factory=dict)  # parts others refer to by name
    returning: int | None = None  # the index of the one part whose RETURNING is wanted

    def insert(self, table: Table, values: dict[str, Any], *, returning: Any = None) -> None:
        """INSERT of one row; `returning` names columns the caller gets from `send`."""
        statement = insert(table).values(**{**_defaults(table, values, "default"), **values})
        if returning is not None:
            statement = statement.returning(*returning)
        self.add(statement, returning=returning is not None)

    def add(
        self, statement: Insert | TextualSelect, *, returning: bool = False, name: str = ""
    ) -> None:
        """`name`: what later parts (PostgreSQL only) call this one's RETURNING rows."""
        if returning:
            assert self.returning is None, "one part of a batch returns rows"
            self.returning = len(self.parts)
        if name:
            assert name not in self.names.values(), name
            self.names[len(self.parts)] = name
        self.parts.append(statement)

    def named(self, prefix: str) -> int:
        """How many parts already carry a name starting with `prefix`."""
        return sum(1 for name in self.names.values() if name.startswith(prefix))

    def set(self, table: Table, key: dict[str, Any], values: dict[str, Any]) -> None:
        for part in self.parts:
            if isinstance(part, _RowUpdate) and part.table is table and part.key == key:
                part.values.update(values)
                return
        self.parts.append(_RowUpdate(table, dict(key), dict(values)))

    def __bool__(self) -> bool:
        return bool(self.parts)


def batch_of(session: AsyncSession) -> Batch:
    """The session's queue, made on first use."""
    found = session.info.get(_KEY)
    if found is None:
        found = session.info[_KEY] = Batch()
    assert isinstance(found, Batch)
    return found


def add_new(session: AsyncSession, row: Any) -> None:
    """Queues the INSERT of a new ORM object, which stays outside the session: the
    columns it was given, and the defaults, which it is given too."""
    mapper, table = row.__mapper__, row.__table__
    given = {
        prop.columns[0].name: row.__dict__[prop.key]
        for prop in mapper.column_attrs
        if prop.key in row.__dict__
    }
    defaults = _defaults(table, given, "default")
    for name, value in defaults.items():
        setattr(row, mapper.get_property_by_column(table.c[name]).key, value)
    batch_of(session).insert(table, {**given, **defaults})


def assign(session: AsyncSession, row: Any, **values: Any) -> None:
    """Changes a loaded ORM row in memory (as if already written, so the ORM writes
    nothing) and queues its UPDATE by primary key."""
    table = row.__table__
    for name, value in values.items():
        set_committed_value(row, name, value)
    columns = {row.__mapper__.get_property(name).columns[0].name: v for name, v in values.items()}
    key = {column.name: getattr(row, column.key) for column in table.primary_key.columns}
    batch_of(session).set(table, key, columns)


async def send(session: AsyncSession) -> Row[Any] | None:
    """Sends the queue now; the row returned by the part queued with `returning`."""
    if not session.info.get(_KEY):
        return None
    return await session.run_sync(_send)


def _send(session: Session) -> Row[Any] | None:
    batch = session.info.pop(_KEY, None)
    if not batch:
        return None
    if session.new or session.dirty or session.deleted:
        session.flush()  # the ORM's own writes first, as at COMMIT
    statements = [p.statement() if isinstance(p, _RowUpdate) else p for p in batch.parts]
    if session.get_bind().dialect.name != "postgresql" or len(statements) == 1:
        found = None
        for index, statement in enumerate(statements):
            result = session.execute(statement)
            if index == batch.returning:
                found = result.one()
        return found
    ctes = [
        statement.cte(batch.names.get(index, f"w{index}"))
        for index, statement in enumerate(statements)
    ]
    if batch.returning is None:
        session.execute(select(literal_column("1")).add_cte(*ctes))
        return None
    wanted = ctes[batch.returning]
    others = [cte for index, cte in enumerate(ctes) if index != batch.returning]
    return session.execute(select(wanted).add_cte(*others)).one()


@event.listens_for(Session, "do_orm_execute")
def _before_orm_statement(state: ORMExecuteState) -> None:
    """Whatever the ORM is about to read or change sees the queued writes: the queue is
    sent first (a refund seen before the success reads the invoice that success queued)."""
    if state.session.info.get(_KEY):
        _send(state.session)
