"""Statements PostgreSQL runs through asyncpg itself, not through SQLAlchemy's execution.

Measured on this project's hot paths (one process, PostgreSQL on the same machine), a
statement sent through an ORM session cost 220 to 310 µs of client CPU and the same statement
through asyncpg 95 µs: SQLAlchemy's execution context, result metadata and ORM loading,
not the database, took the difference. The statements that run on every payment (a move's
batch of writes, the lock of a payment, a read a provider asks for on every call) are
therefore compiled once by SQLAlchemy for PostgreSQL — the same SQL it sends, the same bind
and result processors — and handed to asyncpg on the connection SQLAlchemy holds, inside
the transaction SQLAlchemy's adapter began. Rows come back as SQLAlchemy's would: entities
in the session's identity map (refreshed when the statement asks `populate_existing`),
columns by name; errors as SQLAlchemy raises them (an `IntegrityError` stays one), and a
connection that died is invalidated.

Anything else takes the ordinary path: SQLite, an ORM write still to flush, writes still
queued (`kassa.fast.batch` sends them before a read), a statement with a list to expand, a
SQLAlchemy whose adapter lacks what this relies on, or FAST_PATHS without `driver` (then
every statement is SQLAlchemy's; `Database` asks before its own calls of `alone`). A
shortcut for the same statement, never a second behaviour; both suites run every path on
both databases, with FAST_PATHS on and off.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Executable, inspect
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError, MultipleResultsFound
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapper, Session
from sqlalchemy.orm.attributes import instance_state, set_committed_value
from sqlalchemy.util import greenlet_spawn

from kassa.fast import switch

QUEUE_KEY = "kassa.batch"  # where kassa.fast.batch queues writes (a read must not pass them)
# set on a session whose reads are done: it only queues writes now (kassa.fast.batch's
# compare-and-set), and a statement it tried to run would not be guarded by the check
READS_DONE_KEY = "kassa.reads_done"
# (the session's transaction, its connection), kept by `driver_of`: asking the session for
# its connection on every statement is a greenlet's round trip through SQLAlchemy's Session
# (and, before the first, a transaction begun in Python): 75-90 µs of the 370 a reading
# session and one statement took (`Database.reading` hands its connection over so)
HELD_KEY = "kassa.connection"


class NeedsLock(Exception):
    """Raised when code running without a lock (its reads done, its writes queued to be
    sent only if what it read is unchanged) tries to run a statement: the caller carries
    the work out again the ordinary way, under the row's lock."""


_Process = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Entity:
    """An ORM entity among a row's columns: its mapper, and (position, attribute, result
    processor) for each of its columns."""

    mapper: Mapper[Any]
    columns: tuple[tuple[int, str, _Process], ...]
    key_positions: tuple[int, ...]


@dataclass(frozen=True)
class _Compiled:
    """A statement as asyncpg takes it: SQL with $n placeholders; each parameter's name,
    bind processor and the value the statement itself carries; how to build a row."""

    sql: str
    names: tuple[str, ...]
    processors: tuple[_Process, ...]
    carried: dict[str, Any]
    outputs: tuple[_Entity | tuple[int, _Process], ...]
    row: Any  # a namedtuple class
    populate_existing: bool

    def arguments(self, params: dict[str, Any]) -> list[Any]:
        # one loop, no generator: a create's statement has 53 parameters, each a resumption
        carried = self.carried
        found: list[Any] = []
        for name, process in zip(self.names, self.processors, strict=True):
            value = params[name] if name in params else carried[name]
            found.append(value if process is None else process(value))
        return found


_COMPILED: dict[tuple[str, int], _Compiled | None] = {}  # by id of a kept statement
_KEPT: list[Executable] = []  # the statements compiled: their ids stay theirs


def compiled(statement: Executable, dialect: Dialect) -> _Compiled | None:
    """The statement compiled once for `dialect` (kept by identity: pass only statements
    built once and kept); None when it needs SQLAlchemy each time (a list to expand)."""
    key = (dialect.name, id(statement))
    if key not in _COMPILED:
        _COMPILED[key] = _compile(statement, dialect)
        _KEPT.append(statement)
    return _COMPILED[key]


def _compile(statement: Executable, dialect: Dialect) -> _Compiled | None:
    form = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
    if dialect.paramstyle != "numeric_dollar" or form.positiontup is None:
        return None  # not asyncpg's placeholders
    binds = form.binds
    if any(bind.expanding or bind.callable is not None for bind in binds.values()):
        return None  # values SQLAlchemy works out at each execution
    names = tuple(form.positiontup)
    processors = form._bind_processors  # exactly what SQLAlchemy applies to each value
    carried = {name: binds[name].value for name in names if not binds[name].required}
    outputs, fields = _outputs(statement, form._result_columns, dialect)
    return _Compiled(
        sql=form.string,
        names=names,
        processors=tuple(processors.get(name) for name in names),
        carried=carried,
        outputs=outputs,
        row=namedtuple("Row", fields, rename=True),
        populate_existing=bool(statement.get_execution_options().get("populate_existing")),
    )


def _outputs(
    statement: Executable, result_columns: Sequence[Any], dialect: Dialect
) -> tuple[tuple[_Entity | tuple[int, _Process], ...], list[str]]:
    """Which result columns make which element of a row: an ORM entity's columns make its
    object, any other column its value."""
    described = getattr(statement, "column_descriptions", None) or []
    entities = {
        inspect(item["entity"]).local_table: item for item in described if item.get("entity")
    }
    order: list[Any] = []  # entity tables and (position, processor) of plain columns
    fields: list[str] = []
    gathered: dict[Any, list[tuple[int, str, _Process]]] = {}
    for position, entry in enumerate(result_columns):
        column = next((o for o in entry.objects if isinstance(o, Column)), None)
        # the column type's processor, as SQLAlchemy applies it (kassa's types do not
        # depend on the driver's type code, which SQLAlchemy would also pass)
        process = entry.type._cached_result_processor(dialect, None)
        if column is None or column.table not in entities:
            order.append((position, process))
            fields.append(entry.keyname)
            continue
        if column.table not in gathered:
            gathered[column.table] = []
            order.append(column.table)
            fields.append(entities[column.table]["name"])
        mapper = inspect(entities[column.table]["entity"])
        gathered[column.table].append(
            (position, mapper.get_property_by_column(column).key, process)
        )
    outputs: list[_Entity | tuple[int, _Process]] = []
    for item in order:
        if isinstance(item, tuple):
            outputs.append(item)
            continue
        mapper = inspect(entities[item]["entity"])
        at = {attribute: position for position, attribute, _ in gathered[item]}
        keys = tuple(at[mapper.get_property_by_column(c).key] for c in mapper.primary_key)
        outputs.append(_Entity(mapper, tuple(gathered[item]), keys))
    return tuple(outputs), fields


async def driver_of(session: AsyncSession) -> tuple[Connection, Any] | None:
    """The session's connection and SQLAlchemy's adapter of its asyncpg connection, with a
    transaction begun unless it is autocommit; None when statements must go through
    SQLAlchemy (not PostgreSQL, an adapter without what this relies on, or a process
    without the `driver` piece of FAST_PATHS)."""
    bind = session.bind
    if bind is None or bind.dialect.name != "postgresql":
        return None
    if not switch.uses(session.info, "driver"):
        return None
    transaction = session.sync_session.get_transaction()
    held = session.info.get(HELD_KEY)
    if held is not None and held[0] is transaction:
        connection = held[1]
    else:
        connection = (await session.connection()).sync_connection
        assert connection is not None  # a session's connection is started
        session.info[HELD_KEY] = (session.sync_session.get_transaction(), connection)
    adapted = raw_of(connection)
    if adapted is None:
        return None
    if adapted._transaction is None and not adapted.autocommit:
        # what SQLAlchemy's adapter does before the first statement of a transaction
        async with adapted._execute_mutex:
            await adapted._start_transaction()
    return connection, adapted


def raw_of(connection: Connection) -> Any | None:
    """SQLAlchemy's adapter of the connection's asyncpg connection, read without a
    greenlet (`AsyncConnection.get_raw_connection` spends one, 12 µs, on every call); None
    when the connection was invalidated (getting another is I/O, SQLAlchemy's to do) or
    the adapter is not one this module knows."""
    if connection.invalidated:
        return None
    adapted: Any = connection.connection.dbapi_connection
    return adapted if _usable(adapted) else None


_ADAPTER = ("_transaction", "autocommit", "_start_transaction", "_execute_mutex",
            "_handle_exception", "driver_connection")  # fmt: skip


def _usable(adapted: Any) -> bool:
    """SQLAlchemy's asyncpg adapter as this module knows it; another version's adapter
    without these leaves every statement to SQLAlchemy."""
    return all(hasattr(adapted, name) for name in _ADAPTER)


async def rows(
    session: AsyncSession, statement: Executable, params: dict[str, Any]
) -> Sequence[Any]:
    """The statement's rows: through asyncpg when it may, else through the session. Each
    row is a tuple whose elements are also named (entities by class, columns by label)."""
    if session.info.get(READS_DONE_KEY):
        raise NeedsLock("a read after the unlocked reads")
    if not (session.info.get(QUEUE_KEY) or session.new or session.dirty or session.deleted):
        driver = await driver_of(session)
        if driver is not None:
            form = compiled(statement, driver[0].dialect)
            if form is not None:
                found = await fetch(*driver, form, params)
                return [_row(session.sync_session, form, record) for record in found]
    return (await session.execute(statement, params)).all()


async def alone(
    connection: Connection, statement: Executable, params: dict[str, Any]
) -> Sequence[Any] | None:
    """A statement of plain columns run by itself on a connection outside any transaction,
    through asyncpg (no session, no BEGIN: PostgreSQL commits it on its own); None when
    SQLAlchemy must run it (not PostgreSQL, entities to make, a list to expand)."""
    if connection.dialect.name != "postgresql":
        return None
    form = compiled(statement, connection.dialect)
    if form is None or any(isinstance(output, _Entity) for output in form.outputs):
        return None
    adapted = raw_of(connection)
    if adapted is None or adapted._transaction is not None:
        return None  # in a transaction SQLAlchemy began, or an adapter unlike this one
    return [_row(None, form, record) for record in await fetch(connection, adapted, form, params)]


def one_or_none(found: Sequence[Any]) -> Any | None:
    """The one row, or None; more than one is an error, as in SQLAlchemy."""
    if len(found) > 1:
        raise MultipleResultsFound("Multiple rows were found when one or none was required")
    return found[0] if found else None


def mapping(form: _Compiled, record: Any) -> dict[str, Any]:
    """A row of plain columns (no entities) by column name."""
    return _row(None, form, record)._asdict()  # type: ignore[no-any-return]


def _row(session: Session | None, form: _Compiled, record: Any) -> Any:
    values: list[Any] = []
    for output in form.outputs:
        if isinstance(output, _Entity):
            assert session is not None, "entities are made in a session"
            values.append(_entity(session, form, output, record))
        else:
            position, process = output
            value = record[position]
            values.append(value if process is None else process(value))
    return form.row._make(values)


def _entity(session: Session, form: _Compiled, entity: _Entity, record: Any) -> Any:
    """The row's object of `entity`: the one the session holds, refreshed when the
    statement says so, else a new one made persistent in the session as a load makes it;
    None for an outer join's missing row."""
    key_values = [record[position] for position in entity.key_positions]
    if any(value is None for value in key_values):
        return None
    values = {}
    for position, attribute, process in entity.columns:
        value = record[position]
        values[attribute] = value if process is None else process(value)
    identity = entity.mapper.identity_key_from_primary_key(tuple(key_values))
    held = session.identity_map.get(identity)
    if held is not None:
        if form.populate_existing:
            for attribute, value in values.items():
                set_committed_value(held, attribute, value)
        return held
    return as_loaded(session, entity.mapper, identity, values)


def as_loaded(session: Session, mapper: Mapper[Any], identity: Any, values: dict[str, Any]) -> Any:
    """A new object of `values`, persistent in the session as SQLAlchemy's own loading
    makes one from a row (sqlalchemy.orm.loading, `_instance`): its identity key set,
    attached, in the identity map, no history, no statement sent. The public way there
    (`make_transient_to_detached`, then `Session.add`) computes the key again, marks the
    columns it was not given as expired, begins the session's transaction in Python, fires
    the attach events and walks the mapper's cascades, for objects no listener of kassa's
    watches: 3.7 % of a payment's instructions (bench/instructions.py)."""
    made = mapper.class_manager.new_instance()
    made.__dict__.update(values)
    state = instance_state(made)
    state.key = identity
    state.session_id = session.hash_key
    session.identity_map._add_unpresent(state, identity)
    return made


async def fetch(
    connection: Connection, adapted: Any, form: _Compiled, params: dict[str, Any]
) -> Sequence[Any]:
    """Runs the statement on the driver; asyncpg's errors become SQLAlchemy's."""
    arguments = form.arguments(params)
    # the engine's listeners see the statement as they see SQLAlchemy's (tracing, counts)
    dispatch = connection.dispatch  # the connection's listeners and its engine's
    if dispatch.before_cursor_execute:
        dispatch.before_cursor_execute(connection, None, form.sql, arguments, None, False)
    try:
        found = await adapted.driver_connection.fetch(form.sql, *arguments)
    except Exception as error:
        translated = await _translated(connection, adapted, form.sql, arguments, error)
        if translated is error:
            raise
        raise translated from error
    if dispatch.after_cursor_execute:
        dispatch.after_cursor_execute(connection, None, form.sql, arguments, None, False)
    return found  # type: ignore[no-any-return]


async def _translated(
    connection: Connection, adapted: Any, sql: str, arguments: list[Any], error: Exception
) -> BaseException:
    """The error SQLAlchemy would raise: its adapter's DB-API error wrapped in
    `sqlalchemy.exc.DBAPIError`'s subclass, the connection invalidated if it died."""
    dialect = connection.dialect
    dbapi_error = dialect.loaded_dbapi.Error
    try:
        adapted._handle_exception(error)
    except dbapi_error as translated:
        lost = dialect.is_disconnect(translated, adapted, None)
        if lost:
            await greenlet_spawn(connection.invalidate)  # closing the dead one may be I/O
        return DBAPIError.instance(
            sql,
            arguments,
            translated,
            dbapi_error,
            hide_parameters=connection.engine.hide_parameters,
            connection_invalidated=lost,
            dialect=dialect,
        )
    except Exception as other:  # not a database error: as it came
        return other
    return error
