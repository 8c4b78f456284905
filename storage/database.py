"""Connecting to the database: an SQLite file by default, PostgreSQL by URL; migrations.

SQLite runs in WAL mode with a busy timeout, and every write transaction starts with
BEGIN IMMEDIATE, so writers queue up instead of failing on a stale snapshot. A database file kracht
creates is 0600 in a 0700 folder, and SQLite gives its -wal and -shm files the same mode.
"""

from __future__ import annotations

import contextlib
import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import sqlalchemy as sa
from sqlalchemy import event

from kracht.storage import hot
from kracht.storage.private import create_file, make_folders

if TYPE_CHECKING:
    from sqlmodel import Session

T = TypeVar("T")
DEFAULT_PATH = "kracht.db"
BUSY_TIMEOUT_MS = 30_000
GENESIS = "0" * 64


def resolve_url(db: str | None = None) -> str:
    """`--db` wins over `KRACHT_DB`; a plain path means an SQLite file; default ./kracht.db."""
    value = db or os.environ.get("KRACHT_DB") or DEFAULT_PATH
    if "://" not in value:
        return f"sqlite:///{Path(value).expanduser()}"
    if value.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + value.split("://", 1)[1]
    return value


SUPPORTED = (
    "kracht works with an SQLite file (a path or sqlite:///PATH) "
    "or PostgreSQL (postgresql://USER@HOST/DATABASE)"
)


def unsupported(url: str) -> str | None:
    """Why kracht cannot use this database URL (from `resolve_url`), or None when it can."""
    if url.startswith("sqlite:///"):
        return None
    if url.startswith("postgresql+psycopg://"):
        try:
            sa.make_url(url).port  # noqa: B018 - parsing it is the check: a port that is no number
        except (ValueError, sa.exc.ArgumentError):
            return "cannot read the database URL postgresql://...: check its host, port and name"
        return None
    try:
        shown = describe(url)
    except Exception:  # noqa: BLE001 - any URL SQLAlchemy cannot parse: show its scheme only
        shown = url.split("://", 1)[0] + "://..."
    return f"cannot use the database {shown}: {SUPPORTED}"


def describe(url: str) -> str:
    """The URL without a password, for messages."""
    return sa.make_url(url).render_as_string(hide_password=True)


@cache
def engine_for(url: str) -> sa.Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "do_connect", _sqlite_owner_only)
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    engine = sa.create_engine(url, pool_pre_ping=True)
    event.listen(engine, "begin", _server_on_begin)
    return engine


@cache
def _writer_for(url: str) -> sa.Engine:
    """The engine whose transactions begin as writes (BEGIN IMMEDIATE on SQLite), made once."""
    return engine_for(url).execution_options(kracht_write=True)


@cache
def _reader_for(url: str) -> sa.Engine:
    """The engine whose transactions are refused every write by the database, made once."""
    return engine_for(url).execution_options(kracht_read=True)


def _sqlite_owner_only(_dialect, _record, cargs, _cparams) -> None:  # type: ignore[no-untyped-def]
    """Before SQLite opens a file that is not there yet, create it empty and 0600: SQLite then
    takes the file as a new database and creates its -wal and -shm files with the same mode.
    A file that cannot be created is left for SQLite to name when it opens it."""
    filename = str(cargs[0]) if cargs else ""
    if filename and filename != ":memory:" and not filename.startswith("file:"):
        with suppress(OSError):
            create_file(Path(filename))


def _sqlite_on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, see _sqlite_on_begin
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_on_begin(connection: sa.Connection) -> None:
    """A write begins IMMEDIATE (it takes the write lock at once, so it never fails to upgrade
    later); a unit's read is refused any write by SQLite itself (`query_only`, switched only
    when the pooled connection's last transaction was of another kind)."""
    options = connection.get_execution_options()
    write, read = bool(options.get("kracht_write")), bool(options.get("kracht_read"))
    held = connection.connection.info
    if held.get("kracht_read_only", False) is not read:
        hot.begin(connection, f"PRAGMA query_only={int(read)}")
        held["kracht_read_only"] = read
    hot.begin(connection, "BEGIN IMMEDIATE" if write else "BEGIN")


def _server_on_begin(connection: sa.Connection) -> None:
    """A unit's read transaction on a database server is READ ONLY: the server refuses it any
    write."""
    if connection.get_execution_options().get("kracht_read"):
        hot.begin(connection, "SET TRANSACTION READ ONLY")


@contextmanager
def session(url: str, write: bool = False, *, read_only: bool = False) -> Iterator[Session]:
    """One transaction: commits when the block ends, rolls back on any exception. `write`
    takes the write lock at the start (SQLite); `read_only` has the database refuse any write."""
    from sqlmodel import Session

    bound = _writer_for(url) if write else _reader_for(url) if read_only else engine_for(url)
    with Session(bound, expire_on_commit=False) as db:
        with db.begin():
            yield db


RETRIED = ("40001", "40P01")  # PostgreSQL's serialization_failure and deadlock_detected
ATTEMPTS = 5


def transaction(
    url: str, work: Callable[[Session], T], *, write: bool = True, attempts: int = ATTEMPTS
) -> T:
    """`work` in one transaction (see `session`), run again from the start when PostgreSQL
    aborts it as a serialisation failure or a deadlock: up to `attempts` times, with a short
    random pause between. Any other error, and the last attempt's, goes to the caller. A
    transaction that is not a write is read-only (the database refuses it any write)."""

    def once() -> T:
        with session(url, write=write, read_only=not write) as db:
            return work(db)

    return retrying(once, attempts)


def retrying(call: Callable[[], T], attempts: int = ATTEMPTS) -> T:
    """`call()`, again after a serialisation failure or deadlock, as `transaction` does; for a
    call that opens its own single transaction."""
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except sa.exc.DBAPIError as error:
            if attempt == attempts or not retryable(error):
                raise
        time.sleep(random.uniform(0, 0.01 * 2**attempt))  # noqa: S311 - jitter, not secrecy
    raise AssertionError("attempts must be at least 1")


def retryable(error: BaseException) -> bool:
    """Whether the database aborted the transaction only to keep concurrent ones consistent."""
    return isinstance(error, sa.exc.DBAPIError) and getattr(error.orig, "sqlstate", None) in RETRIED


def is_sqlite(db: Session) -> bool:
    return db.get_bind().dialect.name == "sqlite"


def alembic_config(url: str):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(url: str) -> str:
    """Create or upgrade the schema to the newest migration; returns the revision."""
    from alembic import command

    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        make_folders(path.parent)
        with suppress(OSError):  # SQLite names the problem when it opens the file
            create_file(path)
    command.upgrade(alembic_config(url), "head")
    return current_revision(url) or "none"


def current_revision(url: str) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine_for(url).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return str(script.get_current_head())


class Database:
    """One database, as the edges hold it: its URL and engine, for opening sessions and
    transactions (a unit of work's, and the second one a refusal is audited in)."""

    def __init__(self, url: str) -> None:
        self.url = url

    @property
    def engine(self) -> sa.Engine:
        return engine_for(self.url)

    def session(self, write: bool = False) -> contextlib.AbstractContextManager[Session]:
        """One transaction: see `session`."""
        return session(self.url, write=write)

    def transaction(self, work: Callable[[Session], T], *, write: bool = True) -> T:
        """`work` in one transaction, run again after a deadlock: see `transaction`."""
        return transaction(self.url, work, write=write)

    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")


def person_emails_in(path: Path) -> set[str] | None:
    """The people's e-mail addresses in the SQLite file at `path`, read only; None when it is
    not a kracht database."""
    import sqlite3

    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return {row[0] for row in connection.execute("SELECT email FROM person")}
        finally:
            connection.close()
    except sqlite3.DatabaseError:
        return None
