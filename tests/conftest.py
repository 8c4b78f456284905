"""Real parts: a fresh SQLite file per test, and a fresh PostgreSQL database where one is reachable.

PostgreSQL is found through KRACHT_TEST_PG (default: the local server, database `test`). Where none
answers, its tests skip with the reason; under CI=true they fail instead: CI starts the server.
A real browser (Chromium, tests/browser.py) is there for any test that asks for `page`.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import chromium, page  # noqa: F401 - the real browser's fixtures, for every test

PG_ADMIN_URL = os.environ.get("KRACHT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(autouse=True, scope="session")
def results_have_their_declared_shape() -> Iterator[None]:
    """Every result a service returns through a unit of work, in every test, is checked against
    the service's return annotation (basics/shapes.py): a key missing, added or of another type
    fails the test that produced it."""
    from kracht.workflow import unit as units

    checked = units.Units._run

    def run(self, who, service, args, kwargs, *, dry_run):  # type: ignore[no-untyped-def]
        result = checked(self, who, service, args, kwargs, dry_run=dry_run)
        found = shape_problems(service, result)
        assert not found, f"{service.__module__}.{service.__name__}: " + "; ".join(found)
        return result

    patch = pytest.MonkeyPatch()
    patch.setattr(units.Units, "_run", run)
    yield
    patch.undo()


def shape_problems(service: object, result: object) -> list[str]:
    """How `result` differs from what `service` declares it returns."""
    import typing

    from kracht.basics import shapes

    declared = typing.get_type_hints(service).get("return", typing.Any)
    return shapes.problems(result, declared)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from kracht.storage.database import migrate

    path = tmp_path_factory.mktemp("template") / "kracht.db"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "kracht.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


def _pg_admin():  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    try:
        admin = _pg_admin()
    except Exception as error:  # noqa: BLE001 - any failure to connect means "no server here"
        reason = f"no PostgreSQL reachable at {PG_ADMIN_URL} ({type(error).__name__})"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; under CI the PostgreSQL tests must run, not skip")
        pytest.skip(reason)
    name = f"kracht_tpl_{uuid.uuid4().hex[:8]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    from kracht.storage.database import engine_for, migrate

    url = _with_database(name)
    migrate(url)
    engine_for(url).dispose()
    yield name
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def _with_database(name: str) -> str:
    import sqlalchemy as sa

    url = sa.make_url(PG_ADMIN_URL).set(drivername="postgresql+psycopg", database=name)
    return url.render_as_string(hide_password=False)


@pytest.fixture
def pg_url(pg_template: str) -> Iterator[str]:
    name = f"kracht_t_{uuid.uuid4().hex[:10]}"
    with _pg_admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    url = _with_database(name)
    yield url
    from kracht.storage.database import engine_for

    engine_for(url).dispose()
    with _pg_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """The same test on SQLite and on PostgreSQL."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def module_db_url(
    request: pytest.FixtureRequest, sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """One fresh database for a whole test module (a world built once and only read), on
    SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("module") / "kracht.db"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    template = request.getfixturevalue("pg_template")
    name = f"kracht_m_{uuid.uuid4().hex[:10]}"
    with _pg_admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    url = _with_database(name)
    yield url
    from kracht.storage.database import engine_for

    engine_for(url).dispose()
    with _pg_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def world(sqlite_url: str):  # type: ignore[no-untyped-def]
    """A seeded SQLite database: people in every role, organisations, both programmes."""
    from tests.factories import seed

    return seed(sqlite_url)


@pytest.fixture
def any_world(db_url: str):  # type: ignore[no-untyped-def]
    """A seeded database, on SQLite and on PostgreSQL."""
    from tests.factories import seed

    return seed(db_url)
