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
row are merged into one UPDATE, and whatever the ORM reads or changes next sees them (the
queue is sent first).

Statements are built once per shape (which tables, which columns, in which order) with
named parameters and kept: building and compiling a statement per call cost more Python
than the round trips saved.

Without the `batch` piece of FAST_PATHS, PostgreSQL is served as SQLite is: each queued
write is its own statement, in order, in the same transaction, sent before the session's
next statement (not only one that touches the queued tables) and before COMMIT; and
`queues_together` tells callers with a form of their own for the batch (the invoice's
number) to use their ordinary one. A compare-and-set still queues: its guarded statement
is its piece (`compare_and_set`), not this one.

Compare-and-set (PostgreSQL): code that read its rows without a lock names them and the
values it read (`expect_unchanged`), queues its writes, and sends them with
`send_if_unchanged` as one statement that needs no transaction around it: its first CTE
locks the rows it names and yields a row only if they still hold those values (PostgreSQL
re-checks a row that changed while it waited for the lock), and every write is gated on that
row. Either all of them happen or none does; the caller then carries the work out again
under the lock. Two round trips, where BEGIN, lock, writes and COMMIT are four.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import (
    CTE,
    ClauseElement,
    ColumnElement,
    Executable,
    Row,
    Select,
    Table,
    TextClause,
    bindparam,
    event,
    func,
    insert,
    inspect,
    literal_column,
    select,
    true,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.base import NO_VALUE
from sqlalchemy.sql.dml import Insert, Update
from sqlalchemy.sql.selectable import TextualSelect
from sqlalchemy.sql.util import find_tables

from kassa.fast import switch
from kassa.fast.driver import (
    QUEUE_KEY,
    READS_DONE_KEY,
    NeedsLock,
    alone,
    as_loaded,
    compiled,
    driver_of,
    fetch,
    mapping,
)

_KEY = QUEUE_KEY
UNCHANGED = "unchanged"  # the name of a compare-and-set's guarding CTE, for hand-written SQL
_APPLIED = "kassa_applied"
_Shape = tuple[Any, ...]
_STATEMENTS: dict[tuple[str, _Shape], Executable] = {}  # (dialect, shape) → statement


@dataclass
class _Insert:
    table: Table
    values: dict[str, Any]
    returning: tuple[str, ...] = ()

    @property
    def shape(self) -> _Shape:
        return ("insert", self.table.name, tuple(self.values), self.returning)

    def build(self, prefix: str, guard: CTE | None = None) -> Insert:
        columns = self.table.c
        binds = {
            name: bindparam(f"{prefix}{name}", type_=columns[name].type) for name in self.values
        }
        if guard is None:
            statement = insert(self.table).values(binds)
        else:  # one row from the guard, or none
            selected = select(*binds.values()).select_from(guard)
            statement = insert(self.table).from_select(list(binds), selected)
        if self.returning:
            statement = statement.returning(*(columns[name] for name in self.returning))
        return statement

    def params(self, prefix: str) -> dict[str, Any]:
        return {f"{prefix}{name}": value for name, value in self.values.items()}


@dataclass
class _Keyed:
    """A row by its key, and values of some of its columns: its parameters are named
    `{prefix}key_{column}` and `{prefix}{column}`."""

    table: Table
    key: dict[str, Any]
    values: dict[str, Any]

    def by_key(self, prefix: str) -> list[ColumnElement[bool]]:
        columns = self.table.c
        return [
            columns[name] == bindparam(f"{prefix}key_{name}", type_=columns[name].type)
            for name in self.key
        ]

    def params(self, prefix: str) -> dict[str, Any]:
        found = {f"{prefix}key_{name}": value for name, value in self.key.items()}
        found.update({f"{prefix}{name}": value for name, value in self.values.items()})
        return found


@dataclass
class _RowUpdate(_Keyed):
    @property
    def shape(self) -> _Shape:
        return ("update", self.table.name, tuple(self.key), tuple(self.values))

    def build(self, prefix: str, guard: CTE | None = None) -> Update:
        columns = self.table.c
        where = self.by_key(prefix)
        if guard is not None:
            where.append(select(literal_column("1")).select_from(guard).exists())
        values = {
            name: bindparam(f"{prefix}{name}", type_=columns[name].type) for name in self.values
        }
        return update(self.table).where(*where).values(values)


@dataclass
class _Text:
    """Hand-written SQL (PostgreSQL only) whose parameters are already unique names;
    `guarded` is its form for a compare-and-set, which writes nothing unless the CTE named
    `UNCHANGED` yields its row (None: it has no such form)."""

    sql: str
    returned: tuple[ColumnElement[Any], ...]
    values: dict[str, Any]
    guarded: str | None = None

    @property
    def shape(self) -> _Shape:
        return ("text", self.sql, self.guarded)

    def build(self, _prefix: str, guard: CTE | None = None) -> TextualSelect:
        if guard is None:
            return TextClause(self.sql).columns(*self.returned)
        if self.guarded is None:
            raise NeedsLock("hand-written SQL without a guarded form")
        return TextClause(self.guarded).columns(*self.returned)

    def params(self, _prefix: str) -> dict[str, Any]:
        return self.values


_Part = _Insert | _RowUpdate | _Text


@dataclass
class _Expected(_Keyed):
    """A row read without a lock, by its key, and the values of it the writes rely on."""

    @property
    def shape(self) -> _Shape:
        return ("expected", self.table.name, tuple(self.key), tuple(self.values))

    def conditions(self, prefix: str) -> list[ColumnElement[bool]]:
        columns = self.table.c
        found = self.by_key(prefix)
        found.extend(
            columns[name].is_not_distinct_from(
                bindparam(f"{prefix}{name}", type_=columns[name].type)
            )
            for name in self.values
        )
        return found


def _defaults(table: Table, given: dict[str, Any], kind: str) -> dict[str, Any]:
    """The Python-side defaults (or on-update values) of the columns not given: the
    statement names every column it writes, so its shape does not depend on them."""
    found: dict[str, Any] = {}
    for name, default in _column_defaults(table, kind):
        if name not in given:
            found[name] = default.arg(None) if default.is_callable else default.arg
    return found


@cache
def _column_defaults(table: Table, kind: str) -> tuple[tuple[str, Any], ...]:
    """The columns with a Python-side default (`kind`: "default" or "onupdate")."""
    found = []
    for column in table.columns:
        default = getattr(column, kind)
        if default is not None and (default.is_callable or default.is_scalar):
            found.append((column.name, default))
    return tuple(found)


@dataclass
class Batch:
    """The session's queue: statements in order, updates merged per row."""

    parts: list[_Part] = field(default_factory=list)
    names: dict[int, str] = field(default_factory=dict)  # parts others refer to by name
    returning: int | None = None  # the index of the one part whose RETURNING is wanted
    expected: list[_Expected] = field(default_factory=list)  # a compare-and-set's rows

    def insert(
        self, table: Table, values: dict[str, Any], *, returning: tuple[str, ...] = ()
    ) -> None:
        """INSERT of one row; `returning` names columns the caller gets from `send`."""
        if returning:
            self._returns()
        self.parts.append(
            _Insert(table, {**_defaults(table, values, "default"), **values}, returning)
        )

    def text(
        self,
        sql: str,
        values: dict[str, Any],
        *,
        name: str,
        returned: tuple[ColumnElement[Any], ...],
        guarded: str | None = None,
    ) -> None:
        """A part later parts refer to as `name` (PostgreSQL only); `guarded`, its form
        for a compare-and-set (it selects from the CTE named `UNCHANGED`)."""
        assert name not in self.names.values(), name
        self.names[len(self.parts)] = name
        self.parts.append(_Text(sql, returned, values, guarded))

    def set(self, table: Table, key: dict[str, Any], values: dict[str, Any]) -> None:
        for part in self.parts:
            if isinstance(part, _RowUpdate) and part.table is table and part.key == key:
                part.values.update(values)
                return
        values = {**_defaults(table, values, "onupdate"), **values}
        self.parts.append(_RowUpdate(table, dict(key), values))

    def named(self, prefix: str) -> int:
        """How many parts already carry a name starting with `prefix`."""
        return sum(1 for name in self.names.values() if name.startswith(prefix))

    def _returns(self) -> None:
        assert self.returning is None, "one part of a batch returns rows"
        self.returning = len(self.parts)

    def __bool__(self) -> bool:
        return bool(self.parts)


def queues_together(session: AsyncSession) -> bool:
    """Whether the session's queue leaves as one statement: on PostgreSQL with the `batch`
    piece, and always in a compare-and-set (whose reads are done)."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    return switch.uses(session.info, "batch") or bool(session.info.get(READS_DONE_KEY))


def batch_of(session: AsyncSession) -> Batch:
    """The session's queue, made on first use."""
    found = session.info.get(_KEY)
    if found is None:
        found = session.info[_KEY] = Batch()
    assert isinstance(found, Batch)
    return found


@cache
def _columns_of(mapper: Any) -> tuple[tuple[str, str], ...]:
    """(attribute, column name) of each of the mapper's columns, walked once, not for
    every row queued."""
    return tuple((prop.key, prop.columns[0].name) for prop in mapper.column_attrs)


def add_new(session: AsyncSession, row: Any) -> None:
    """Queues the INSERT of a new ORM object, which stays outside the session: the
    columns it was given, and the defaults, which it is given too."""
    mapper, table = row.__mapper__, row.__table__
    values = row.__dict__
    given = {name: values[key] for key, name in _columns_of(mapper) if key in values}
    defaults = _defaults(table, given, "default")
    for name, value in defaults.items():
        setattr(row, mapper.get_property_by_column(table.c[name]).key, value)
    batch_of(session).insert(table, {**given, **defaults})


def adopt(session: AsyncSession, row: Any) -> Any | None:
    """A copy of a row the caller itself wrote in an earlier transaction (one `add_new`
    wrote, or one it loaded and changed), persistent in this session as if just loaded, no
    statement sent: what a compare-and-set decides on instead of reading the row again
    (`expect_unchanged` with these values then checks it still is so). None when the copy
    cannot be told without a read: a loaded row with a column not loaded, or a new one
    without a value the database gives it (a server default)."""
    state = inspect(row)
    mapper = state.mapper
    values = {}
    for prop in mapper.column_attrs:
        if prop.key in row.__dict__:
            values[prop.key] = row.__dict__[prop.key]
            continue
        column = prop.columns[0]
        if not state.transient or column.server_default is not None or column.primary_key:
            return None
        values[prop.key] = None  # left out of its INSERT: NULL
    sync = session.sync_session
    identity = mapper.identity_key_from_primary_key(
        tuple(values[mapper.get_property_by_column(column).key] for column in mapper.primary_key)
    )
    if sync.identity_map.get(identity) is not None:
        return None  # the session holds the row already (as it read it)
    return as_loaded(sync, mapper, identity, values)


def assign(session: AsyncSession, row: Any, **values: Any) -> None:
    """Changes a loaded ORM row in memory (as if already written, so the ORM writes
    nothing) and queues its UPDATE by primary key."""
    table = row.__table__
    for name, value in values.items():
        set_committed_value(row, name, value)
    columns = {row.__mapper__.get_property(name).columns[0].name: v for name, v in values.items()}
    key = {column.name: getattr(row, column.key) for column in table.primary_key.columns}
    batch_of(session).set(table, key, columns)


def queue_changes(session: AsyncSession, row: Any) -> None:
    """What the code changed on a loaded ORM row, queued as its UPDATE (`assign`) instead
    of left for the ORM's flush: code that sets attributes one by one, then lets the
    transaction's one statement write them."""
    state = inspect(row)
    columns = state.mapper.column_attrs
    # what was set since the row was loaded keeps its loaded value here: only those
    # attributes are looked at (a history of every attribute cost a renewal 0.15 ms)
    changed = {}
    for key, loaded in state.committed_state.items():
        if key in columns:
            value = state.dict.get(key)
            if loaded is NO_VALUE or value != loaded:
                changed[key] = value
    if changed:
        assign(session, row, **changed)


def expect_unchanged(
    session: AsyncSession, table: Table, key: dict[str, Any], values: dict[str, Any]
) -> None:
    """Names a row the session read without a lock and the values its queued writes rely
    on; the session's reads are done (a statement now raises `NeedsLock`), and its writes
    leave with `send_if_unchanged`."""
    batch_of(session).expected.append(_Expected(table, dict(key), dict(values)))
    session.info[READS_DONE_KEY] = True


def orm_writes(session: AsyncSession) -> bool:
    """Whether the ORM has writes of its own to flush, which a compare-and-set cannot carry:
    an object set attribute by attribute and then queued (`queue_changes`) counts as dirty
    to `session.dirty`, though nothing of it is left to write."""
    return bool(
        session.new or session.deleted or any(session.is_modified(row) for row in session.dirty)
    )


async def send_if_unchanged(session: AsyncSession) -> tuple[bool, Mapping[str, Any] | None]:
    """Sends the queue as one compare-and-set statement on the session's connection, which
    is outside any transaction (PostgreSQL): whether the expected rows were unchanged, so
    that every write happened (else none did), and the row returned by the part queued with
    `returning`. Nothing queued: (True, None), nothing sent."""
    session.info.pop(READS_DONE_KEY, None)
    batch: Batch | None = session.info.pop(_KEY, None)
    if batch is None or not batch.parts:
        return True, None
    assert batch.expected, "a compare-and-set names the rows it read"
    statement, params = _one_statement("postgresql", batch)
    connection = session.bind
    assert isinstance(connection, AsyncConnection) and connection.sync_connection is not None
    found: Any = None
    if not switch.uses(session.info, "driver"):  # the same statement, SQLAlchemy's to run
        found = (await connection.execute(statement, params)).all()
    else:
        found = await alone(connection.sync_connection, statement, params)
    if found is None:
        raise NeedsLock("statements go through SQLAlchemy here")
    if not found or not found[0][0]:
        return False, None
    if batch.returning is None:
        return True, None
    row = found[0]._asdict()
    del row[_APPLIED]
    return True, row


async def send(session: AsyncSession) -> Mapping[str, Any] | None:
    """Sends the queue now; the row returned by the part queued with `returning`. On
    PostgreSQL the statement goes to asyncpg directly (`kassa.fast.driver`) once SQLAlchemy
    holds the connection in the right state and the ORM has nothing of its own to write
    (without the `batch` piece, each part its own statement)."""
    batch = session.info.get(_KEY)
    if not batch:
        return None
    if not (session.new or session.dirty or session.deleted):
        driver = await driver_of(session)
        if driver is not None:
            dialect = driver[0].dialect
            if switch.uses(session.info, "batch"):
                statements = [_one_statement(dialect.name, batch)]
                wanted = None if batch.returning is None else 0
            else:
                statements = [_part_statement(dialect.name, part) for part in batch.parts]
                wanted = batch.returning
            forms = [compiled(statement, dialect) for statement, _ in statements]
            if all(form is not None for form in forms):
                del session.info[_KEY]
                returned = None
                for index, (form, (_, params)) in enumerate(zip(forms, statements, strict=True)):
                    assert form is not None
                    rows = await fetch(*driver, form, params)
                    if index == wanted:
                        returned = mapping(form, rows[0])
                return returned
    found = await session.run_sync(_send)
    return dict(found._mapping) if found is not None else None


def _part_statement(dialect: str, part: _Part) -> tuple[Executable, dict[str, Any]]:
    """One part as a statement of its own, and its parameters."""
    return _statement(dialect, part.shape, lambda: part.build("b_")), part.params("b_")


def take(session: AsyncSession, dialect: str) -> tuple[Executable, dict[str, Any]] | None:
    """The queue as one statement and its parameters, taken out of the session, for a
    caller that runs it by itself (PostgreSQL: one statement is atomic)."""
    found: Batch | None = session.info.pop(_KEY, None)
    return _one_statement(dialect, found) if found else None


def _statement(dialect: str, shape: _Shape, build: Any) -> Executable:
    key = (dialect, shape)
    found = _STATEMENTS.get(key)
    if found is None:
        found = _STATEMENTS[key] = build()
    return found


def _send(session: Session) -> Row[Any] | None:
    batch: Batch | None = session.info.pop(_KEY, None)
    if not batch:
        return None
    if session.new or session.dirty or session.deleted:
        session.flush()  # the ORM's own writes first, as at COMMIT
    dialect = session.get_bind().dialect.name
    parts = batch.parts
    if dialect != "postgresql" or len(parts) == 1 or not switch.uses(session.info, "batch"):
        found = None
        for index, part in enumerate(parts):
            result = session.execute(*_part_statement(dialect, part))
            if index == batch.returning:
                found = result.one()
        return found
    statement, params = _one_statement(dialect, batch)
    result = session.execute(statement, params)
    return result.one() if batch.returning is not None else None


def _one_statement(dialect: str, batch: Batch) -> tuple[Executable, dict[str, Any]]:
    """PostgreSQL's form of the queue: one statement (its parts as CTEs when several, and
    always for a compare-and-set)."""
    parts = batch.parts
    if batch.expected:
        return _guarded_statement(dialect, batch)
    if len(parts) == 1:
        return _part_statement(dialect, parts[0])
    params: dict[str, Any] = {}
    for index, part in enumerate(parts):
        params.update(part.params(f"b{index}_"))
    shape = (tuple(part.shape for part in parts), tuple(batch.names.items()), batch.returning)
    return _statement(dialect, shape, lambda: _together(batch)), params


def _guarded_statement(dialect: str, batch: Batch) -> tuple[Executable, dict[str, Any]]:
    params: dict[str, Any] = {}
    for index, expected in enumerate(batch.expected):
        params.update(expected.params(f"g{index}_"))
    for index, part in enumerate(batch.parts):
        params.update(part.params(f"b{index}_"))
    shape = (
        tuple(expected.shape for expected in batch.expected),
        tuple(part.shape for part in batch.parts),
        tuple(batch.names.items()),
        batch.returning,
    )
    return _statement(dialect, shape, lambda: _guarded(batch)), params


def _together(batch: Batch) -> Executable:
    """The parts as one statement: each a CTE; the outer SELECT reads the returning one."""
    ctes = [
        part.build(f"b{index}_").cte(batch.names.get(index, f"w{index}"))
        for index, part in enumerate(batch.parts)
    ]
    if batch.returning is None:
        return select(literal_column("1")).add_cte(*ctes)
    wanted = ctes[batch.returning]
    others = [cte for index, cte in enumerate(ctes) if index != batch.returning]
    return select(wanted).add_cte(*others)


def _guard(expected: list[_Expected]) -> Select[Any]:
    """The rows read without a lock, locked now: one row if all still hold the values
    read, none otherwise (a row changed while this waited is checked as it is now)."""
    tables = [item.table for item in expected]
    assert len(set(tables)) == len(tables), "one expectation a table"
    conditions = [c for i, item in enumerate(expected) for c in item.conditions(f"g{i}_")]
    # one row of each table, each by its key: a product on purpose, joined ON true so that
    # SQLAlchemy's linter (which executes it without the `driver` piece) sees it is meant
    source: Any = tables[0]
    for table in tables[1:]:
        source = source.join(table, true())
    return (
        select(literal_column("1").label("held"))
        .select_from(source)
        .where(*conditions)
        .with_for_update()
    )


def _guarded(batch: Batch) -> Executable:
    """The compare-and-set: the guard first (materialised: evaluated, and its locks
    taken, once), every part writing only with its row, and whether it had one."""
    guard = _guard(batch.expected).cte(UNCHANGED).prefix_with("MATERIALIZED")
    ctes = [
        part.build(f"b{index}_", guard).cte(batch.names.get(index, f"w{index}"))
        for index, part in enumerate(batch.parts)
    ]
    applied = select(func.count()).select_from(guard).scalar_subquery().label(_APPLIED)
    if batch.returning is None:
        return select(applied).add_cte(guard, *ctes)
    wanted = ctes[batch.returning]
    others = [cte for index, cte in enumerate(ctes) if index != batch.returning]
    return select(applied, *wanted.c).add_cte(guard, *others)


@event.listens_for(Session, "do_orm_execute")
def _before_orm_statement(state: ORMExecuteState) -> None:
    """Whatever the ORM is about to read or change sees the queued writes: the queue is
    sent first (a refund seen before the success reads the invoice that success queued).
    A read of tables the queue does not write cannot see its writes, and waits for them
    to leave with the rest (a succeeding renewal reads its tariff and its subscription).
    A session whose unlocked reads are done runs no statement: its writes would not be
    guarded by them. Without the `batch` piece every statement waits for the queue."""
    info = state.session.info
    if info.get(READS_DONE_KEY):
        raise NeedsLock("a statement after the unlocked reads")
    batch = info.get(_KEY)
    if batch and (not switch.uses(info, "batch") or not _reads_around(state, batch)):
        _send(state.session)


def _reads_around(state: ORMExecuteState, batch: Batch) -> bool:
    """A SELECT that touches none of the queue's tables, with no ORM write of its own to
    flush first (autoflush could otherwise write a row that refers to a queued one)."""
    session = state.session
    if not state.is_select or session.new or session.dirty or session.deleted:
        return False
    if any(isinstance(part, _Text) for part in batch.parts):
        return False  # hand-written SQL: which tables it writes is not known here
    queued = {part.table.name for part in batch.parts if not isinstance(part, _Text)}
    statement = state.statement
    assert isinstance(statement, ClauseElement)
    return not any(table.name in queued for table in find_tables(statement))
