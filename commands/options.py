"""What every command shares: the settings the root group passes down, `--json`, and rendering
as JSON or an aligned table."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from kracht.basics.errors import InvalidInput, KrachtError

if TYPE_CHECKING:
    from kracht.workflow.unit import Units

T = TypeVar("T")
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class Settings:
    """What the root group passes down: the database, who acts, the settings file; and the
    edge every command runs its service through (one unit of work each)."""

    def __init__(self, db: str | None, actor: str | None, config: str | None = None) -> None:
        self.db, self.actor, self.config = db, actor, config
        self._units: Units | None = None

    def units(self, must_exist: bool = True) -> Units:
        """Units of work on the database, with the deployment settings, for the CLI."""
        if self._units is None:
            from kracht.notifications.settings import load
            from kracht.workflow.unit import Units

            self._units = Units(self.url(must_exist), load(self.config), channel="cli")
        return self._units

    def run(self, service: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`service` in one unit of work, as the person `--as` names."""
        return self.units().run(self.actor, service, *args, **kwargs)

    def try_out(self, service: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`service` in one unit of work that is rolled back: a dry run."""
        return self.units().try_out(self.actor, service, *args, **kwargs)

    def url(self, must_exist: bool = True) -> str:
        """The database URL; refused early when kracht cannot use it, before anything is opened
        (so `kracht init` never writes into a file that is not an SQLite database)."""
        from kracht.storage.database import resolve_url, unsupported

        url = resolve_url(self.db)
        problem = unsupported(url)
        if problem:
            raise InvalidInput(problem)
        if url.startswith("sqlite:///"):
            path = Path(url.removeprefix("sqlite:///"))
            if path.is_symlink() and not path.exists():
                raise InvalidInput(
                    f"{path} is a symbolic link to nothing; name the database file itself"
                )
            if not path.exists():
                if must_exist:
                    raise KrachtError(f"no kracht database at {path}; create it with `kracht init`")
                _creatable(path)
            elif path.is_dir():
                raise InvalidInput(f"{path} is a folder, not a kracht database")
            elif not path.is_file():
                raise InvalidInput(f"{path} is not a regular file, so not a kracht database")
            elif not _is_sqlite_file(path):
                raise InvalidInput(f"{path} is not a kracht database (it is not an SQLite file)")
        return url


def _creatable(path: Path) -> None:
    """Refuse a new database file whose folder cannot be made (a file in the way, no access);
    the folders made are 0700 (storage.private)."""
    from kracht.storage.private import make_folders

    try:
        make_folders(path.parent)
    except (FileExistsError, NotADirectoryError):
        raise InvalidInput(
            f"cannot create a database at {path}: a file stands where its folder should be"
        ) from None
    except OSError as error:
        reason = error.strerror or str(error)
        raise InvalidInput(f"cannot create a database at {path}: {reason}") from None


SQLITE_HEADER = b"SQLite format 3\x00"


def _is_sqlite_file(path: Path) -> bool:
    """An SQLite database file, or an empty file (which SQLite treats as an empty database);
    a file kracht cannot read is left for SQLite to name."""
    try:
        with path.open("rb") as file:
            head = file.read(len(SQLITE_HEADER))
    except OSError:
        return True
    return head in (b"", SQLITE_HEADER)


pass_settings = click.make_pass_decorator(Settings)


class IdType(click.ParamType):
    """An id on the command line: a whole number from 1 to MAX_ID, refused in one line."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.name = f"{what.upper().replace(' ', '_')}_ID"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        from kracht.basics.inputs import parse_id

        try:
            return parse_id(value, self.what)
        except InvalidInput as error:
            self.fail(str(error).removeprefix(f"{self.what} id: "), param, ctx)


class CountType(click.ParamType):
    """A whole number within a range (hours, months, a year, inhabitants, a version)."""

    name = "integer"

    def __init__(self, what: str, low: int, high: int) -> None:
        self.what, self.low, self.high = what, low, high

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        from kracht.basics.inputs import parse_count

        try:
            return parse_count(value, self.what, self.low, self.high)
        except InvalidInput as error:
            self.fail(str(error).removeprefix(f"{self.what}: "), param, ctx)


class FileType(click.Path):
    """A file to write or read: a name ending in a slash means a folder, and is refused before
    the trailing slash is lost (`-o newdir/` would otherwise write a file called newdir)."""

    def __init__(self) -> None:
        super().__init__(path_type=Path)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and value.endswith(("/", "\\")) and value.strip("/\\"):
            self.fail(f"{value!r} names a folder; name a file", param, ctx)
        return super().convert(value, param, ctx)


FILE = FileType()
APPLICATION_ID = IdType("application")
MESSAGE_ID = IdType("message")
YEAR = CountType("year", 2000, 2100)
VERSION = CountType("version", 0, 2**63 - 1)
HOURS = CountType("hours", 0, 10_000_000)  # thousands of people working full time
INHABITANTS = CountType("inhabitants", 1, 100_000_000)


def json_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(f)


def emit_json(data: Any) -> None:
    import json

    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def emit_table(
    rows: list[dict[str, Any]],
    columns: Sequence[str],
    empty: str = "(none)",
    width: int = 44,
    widths: dict[str, int] | None = None,
) -> None:
    """An aligned table; a long cell wraps within its column instead of being cut off."""
    import textwrap

    if not rows:
        click.echo(empty)
        return
    limits = [(widths or {}).get(c, width) for c in columns]
    pairs_ = list(zip(columns, limits, strict=True))
    cells = [[textwrap.wrap(_cell(row.get(c)), n) or [""] for c, n in pairs_] for row in rows]
    sizes = [max(len(c), *(len(x) for r in cells for x in r[i])) for i, c in enumerate(columns)]
    click.echo("  ".join(c.upper().ljust(w) for c, w in zip(columns, sizes, strict=True)).rstrip())
    for r in cells:
        for n in range(max(len(cell) for cell in r)):
            parts = [(c[n] if n < len(c) else "").ljust(w) for c, w in zip(r, sizes, strict=True)]
            click.echo("  ".join(parts).rstrip())


def _cell(value: Any) -> str:
    if isinstance(value, list | tuple):
        value = ", ".join(str(v) for v in value)
    return "" if value is None else " ".join(str(value).split())


def write_out(text: str, path: Path | None, what: str) -> None:
    """`text` into the file `path` (saying so on standard error), or onto standard output."""
    if path is None:
        click.echo(text, nl=False)
        return
    from kracht.basics.files import write_text

    write_text(path, text)
    click.echo(f"wrote {what} to {path}", err=True)


def write_binary_out(data: bytes, path: Path | None, what: str) -> None:
    """`data` into the file `path` (saying so on standard error), or onto standard output when
    that is not a terminal (a file or a pipe): bytes on a terminal would garble it."""
    import sys

    if path is None:
        if sys.stdout.isatty():
            raise InvalidInput(f"{what} is a file, not text: give -o FILE, or redirect the output")
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    from kracht.basics.files import write_bytes

    write_bytes(path, data)
    click.echo(f"wrote {what} to {path}", err=True)


def pairs(values: Sequence[str], what: str) -> dict[str, str]:
    """Parse repeated NAME=VALUE options."""
    result = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise InvalidInput(f"{what} takes NAME=VALUE, got {item[:60]!r}")
        if name.strip() in result:
            raise InvalidInput(f"{what} names {name.strip()[:60]!r} twice; give each name once")
        result[name.strip()] = value
    return result
