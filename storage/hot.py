"""The lifecycle step's fixed statements, sent straight to the DBAPI cursor of the unit's
connection: one code path for SQLite and PostgreSQL.

A `Hot` statement is a SQLAlchemy Core statement compiled once per dialect (qmark for sqlite3,
pyformat for psycopg), with its bind and result processors taken from its column types, so
values go in and come out exactly as SQLAlchemy's own execution would store and read them. It
runs inside the session's transaction (pending ORM changes flushed first, as `repository.core`
does), skips SQLAlchemy's execution context, and still does what that context does for a
caller: the engine's `before_cursor_execute` and `after_cursor_execute` listeners see every
statement with the parameters sent (context None; a listener's return value is not used), and
a driver error is raised as SQLAlchemy's DBAPIError of its kind (a lost connection is
invalidated first). Only statements whose every value is given qualify: one needing a Python
column default or an expanding IN refuses to compile.
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

if TYPE_CHECKING:
    from sqlmodel import Session

Processor = Callable[[Any], Any] | None
Params = Mapping[str, Any]


class Compiled:
    """One statement compiled for one dialect: the SQL, how to build its parameters, and how to
    read its rows."""

    __slots__ = ("binds", "positional", "processed", "result", "sql")

    def __init__(self, statement: sa.Executable, keys: tuple[str, ...], dialect: sa.Dialect):
        compiled = statement.compile(dialect=dialect, column_keys=list(keys) or None)
        if compiled.insert_prefetch or compiled.update_prefetch:  # type: ignore[attr-defined]
            raise ValueError(f"a hot statement gives every value itself: {compiled}")
        by_name = {name: bind for bind, name in compiled.bind_names.items()}
        names = compiled.positiontup if compiled.positional else list(by_name)
        binds = []
        for name in names or ():
            bind = by_name[name]
            if bind.expanding:
                raise ValueError(f"a hot statement has no expanding IN: {name} in {compiled}")
            constant = None if bind.required else bind.effective_value
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            binds.append((name, bind.required, constant, process))
        self.sql: str = compiled.string
        self.positional: bool = bool(compiled.positional)
        self.binds: tuple[tuple[str, bool, Any, Processor], ...] = tuple(binds)
        columns = getattr(statement, "exported_columns", ())  # selected, or RETURNING
        self.result: tuple[Processor, ...] = tuple(
            c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns
        )
        self.processed: tuple[tuple[int, Callable[[Any], Any]], ...] = tuple(
            (index, process) for index, process in enumerate(self.result) if process is not None
        )  # the columns whose values are converted, by position

    def parameters(self, given: Params) -> Any:
        """The parameters as the driver takes them: a tuple (qmark) or a dict (pyformat)."""
        values = []
        for name, required, constant, process in self.binds:
            value = given[name] if required or name in given else constant
            values.append(value if process is None or value is None else process(value))
        if self.positional:
            return tuple(values)
        return dict(zip((b[0] for b in self.binds), values, strict=True))


class Hot:
    """A fixed Core statement for the DBAPI cursor; `keys` are the columns an INSERT or UPDATE
    writes (as SQLAlchemy's own execution takes them from the first parameter set)."""

    __slots__ = ("_compiled", "keys", "statement")

    def __init__(self, statement: sa.Executable, keys: Iterable[str] = ()) -> None:
        self.statement, self.keys = statement, tuple(keys)
        self._compiled: dict[sa.Dialect, Compiled] = {}

    def compiled(self, dialect: sa.Dialect) -> Compiled:
        found = self._compiled.get(dialect)
        if found is None:
            found = self._compiled[dialect] = Compiled(self.statement, self.keys, dialect)
        return found


class Listing:
    """Every column of one table's rows that a fixed statement selects, read as named tuples
    with the columns' names (and `pk` for `id`): an ORM table's rows read for showing them,
    without building ORM objects. `where` and `order_by` as for `select`."""

    __slots__ = ("hot", "row")

    def __init__(
        self, model: Any, *where: Any, order_by: Sequence[Any] = (), joined: Any = None
    ) -> None:
        table = model.__table__
        self.row = row_type(model.__name__, [c.key for c in table.columns])
        statement = sa.select(*table.columns)
        if joined is not None:
            statement = statement.select_from(joined)
        self.hot = Hot(statement.where(*where).order_by(*order_by))

    def read(self, db: Session, params: Params | None = None) -> list[Any]:
        make = self.row._make
        return [make(found) for found in rows(db, self.hot, params)]


def row_type(name: str, columns: Sequence[str]) -> Any:
    """A named tuple type for the rows of `name`, with `pk` for its `id` when it has one."""
    base = collections.namedtuple(f"{name}Row", columns)  # type: ignore[misc]  # noqa: PYI024
    extra: dict[str, Any] = {"__slots__": ()}
    if "id" in columns:
        extra["pk"] = property(lambda self: self.id, doc="the row's id")
    return type(base.__name__, (base,), extra)


def connection(db: Session) -> sa.Connection:
    """The session's connection in its transaction, with its pending ORM changes written."""
    if db.new or db.dirty or db.deleted:  # no autoflush below the session
        db.flush()
    return db.connection()


def rows(db: Session, hot: Hot, params: Params | None = None) -> list[tuple[Any, ...]]:
    """The rows of a hot SELECT (or an INSERT/UPDATE ... RETURNING), as tuples."""
    conn = connection(db)
    compiled = hot.compiled(conn.dialect)
    cursor = _send(conn, compiled, compiled.parameters(params or {}), many=False)
    try:
        found = cursor.fetchall()
    finally:
        cursor.close()
    processed = compiled.processed
    if not processed:
        return [tuple(row) for row in found]
    result = []
    for row in found:
        values = list(row)
        for index, process in processed:
            values[index] = process(values[index])
        result.append(tuple(values))
    return result


def raw_rows(db: Session, hot: Hot, params: Params | None = None) -> list[Any]:
    """The rows of a hot SELECT exactly as the driver returns them: no conversion at all, for
    columns whose values the driver already gives as Python wants them (integers, text,
    bytes). The fastest read there is, for the audit chain's proof pass."""
    conn = connection(db)
    compiled = hot.compiled(conn.dialect)
    cursor = _send(conn, compiled, compiled.parameters(params or {}), many=False)
    try:
        return cursor.fetchall()  # type: ignore[no-any-return]
    finally:
        cursor.close()


def write(db: Session, hot: Hot, params: Params | Sequence[Params]) -> int:
    """Run a hot INSERT, UPDATE or DELETE, once or (a list of parameter sets) for each: the
    rows it matched."""
    conn = connection(db)
    compiled = hot.compiled(conn.dialect)
    many = not isinstance(params, Mapping)
    sent = [compiled.parameters(p) for p in params] if many else compiled.parameters(params)  # type: ignore[union-attr, arg-type]
    cursor = _send(conn, compiled, sent, many=many)
    try:
        return int(cursor.rowcount)
    finally:
        cursor.close()


def begin(conn: sa.Connection, sql: str) -> None:
    """Send the statement that opens a transaction (BEGIN IMMEDIATE, from the engine's `begin`
    event), as every hot statement is sent."""
    _send_sql(conn, sql, (), many=False).close()


def _send(conn: sa.Connection, compiled: Compiled, params: Any, *, many: bool) -> Any:
    return _send_sql(conn, compiled.sql, params, many=many)


def _send_sql(conn: sa.Connection, sql: str, params: Any, *, many: bool) -> Any:
    """Execute on a fresh DBAPI cursor of `conn`, announced to the engine's cursor listeners."""
    dbapi_connection = conn.connection.dbapi_connection
    assert dbapi_connection is not None
    cursor = dbapi_connection.cursor()
    dispatch = conn.dispatch
    if dispatch.before_cursor_execute:
        dispatch.before_cursor_execute(conn, cursor, sql, params, None, many)
    try:
        if many:
            cursor.executemany(sql, params)
        else:
            cursor.execute(sql, params)
    except conn.dialect.loaded_dbapi.Error as error:
        cursor.close()
        if conn.dialect.is_disconnect(error, dbapi_connection, cursor):
            conn.invalidate(error)
        raise sa.exc.DBAPIError.instance(
            sql, params, error, conn.dialect.loaded_dbapi.Error, dialect=conn.dialect
        ) from error
    if dispatch.after_cursor_execute:
        dispatch.after_cursor_execute(conn, cursor, sql, params, None, many)
    return cursor
