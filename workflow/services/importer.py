"""Bring in an existing pipeline spreadsheet (CSV): all rows or none.

Every row is validated before anything is written; a bad row is named by line and column.
Imported applications start at `idea`: later stages need their stage data, which a spreadsheet
row does not carry, so kracht does not invent it.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from typing_extensions import TypedDict

from kracht.basics import inputs
from kracht.basics.actors import Actor, require_own
from kracht.basics.errors import InvalidInput, KrachtError, NotAllowed, NotFound
from kracht.basics.euros import LOCALES, input_locale, parse_euros
from kracht.notifications.outbox import Batch
from kracht.storage import audit_batch, bulk, repository
from kracht.workflow.services.applications import (
    CREATORS,
    application_fields,
    created_event,
    leaders_only,
    parse_date,
    text,
)
from kracht.workflow.unit import Unit, writes

REQUIRED = ("title", "programme", "applicant", "requested")
OPTIONAL = ("line", "description", "round", "submitted_on")
COLUMNS = REQUIRED + OPTIONAL
SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab"}  # the first wins a tie
CELL_LIMIT = 10_000  # characters in one cell
SAVE_AS = "save the spreadsheet as CSV UTF-8"
BATCH = 1000  # rows checked, then written, at a time
STYLES = {"nl": "the Dutch way, 1.500,50", "en": "the English way, 1,500.50"}


@dataclass(frozen=True)
class Layout:
    """What a kind of spreadsheet holds: the columns it must have and those it may have, and
    how long a cell and how many rows it may be (`read_sheet` reads any kind)."""

    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    cell_limit: int = CELL_LIMIT
    row_limit: int | None = None  # rows that are not empty; None: no limit but the file's size

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional


PIPELINE = Layout(REQUIRED, OPTIONAL)  # the applications `import_csv` brings in


@dataclass(frozen=True)
class Sheet:
    """A spreadsheet as read: its rows (by line number) and how its text was read."""

    rows: list[tuple[int, dict[str, str]]]
    separator: str
    encoding: str  # UTF-8 (with or without a byte-order mark), UTF-16 or Windows-1252
    locale: str  # how its amounts are written: nl or en

    def note(self, amounts: bool = True) -> str | None:
        """How the file was read, when it was not plain comma-separated UTF-8 (and how its
        amounts are written, when it has `amounts`)."""
        parts = [f"{SEPARATORS[self.separator]}-separated"] if self.separator != "," else []
        parts += [self.encoding] if self.encoding != "UTF-8" else []
        if not parts:
            return None
        written = f" with amounts written {STYLES[self.locale]}" if amounts else ""
        return f"read as {' '.join(parts)} text{written}"


class Created(TypedDict):
    """An application an import created (at its first stage)."""

    id: int
    title: str
    state: str


@dataclass(frozen=True)
class Imported:
    """What an import did: the applications created, in the file's order."""

    created: list[Created]
    note: str | None  # how the file was read, if not plain comma-separated UTF-8


Progress = Callable[[int, int], None]  # told (steps just done, steps in all): two per row


@writes("import")
def import_csv(
    unit: Unit, path: Path, locale: str | None = None, progress: Progress | None = None
) -> Imported:
    """Import every row of the CSV file at `path`, or none.

    The separator (comma, semicolon or tab) and encoding (UTF-8, UTF-16 with a byte-order
    mark, else Windows-1252) are found from the file. Amounts are read in `locale` (nl or
    en); without one, a semicolon-separated file (as Dutch Excel writes) is nl, any other
    follows KRACHT_LOCALE. `progress`, if given, is told of the steps done, batch by batch,
    and of how many there are: every row is checked, then written (two steps a row).

    The rows are written in batches of BATCH, each in a few statements (applications, their
    audit events, their messages), all in the unit's one transaction; the programmes, lines,
    organisations and recipients are looked up once each.
    """
    sheet = read_sheet(path, locale)
    total = 2 * len(sheet.rows)
    tick = progress or (lambda done, total: None)
    find = Lookups(unit.db)
    find.prefetch_orgs({row.get("applicant", "") for _, row in sheet.rows})
    actor = unit.actor
    problems = []
    for start in range(0, len(sheet.rows), BATCH):
        batch = sheet.rows[start : start + BATCH]
        problems += [p for n, row in batch for p in problems_of(find, actor, n, row, sheet.locale)]
        tick(len(batch), total)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise InvalidInput(f"{path.name}: {problems[0]}{more}; nothing was imported")
    created, settings = [], unit.settings
    messages = Batch(unit.db, settings.templates.folder, settings.web.base_url)
    for start in range(0, len(sheet.rows), BATCH):
        batch = sheet.rows[start : start + BATCH]
        created += _create(unit, find, messages, path, batch, sheet.locale)
        tick(len(batch), total)
    return Imported(created, sheet.note())


@dataclass(frozen=True)
class _New:
    """A just-inserted application, as its audit event and messages need it."""

    id: int
    title: str
    state: str
    programme_id: int
    applicant_org_id: int
    requested_cents: int
    workflow_version: int


def _create(
    unit: Unit,
    find: Lookups,
    messages: Batch,
    path: Path,
    batch: list[tuple[int, dict[str, str]]],
    locale: str,
) -> list[Created]:
    """Add a batch of checked rows, with the audit event and the messages each creation writes
    (as `applications.create` does one by one)."""
    rows = [_columns(unit, find, path, number, row, locale) for number, row in batch]
    ids = bulk.add_applications(unit.db, rows)
    apps = [
        _New(id_, r["title"], r["state"], r["programme_id"], r["applicant_org_id"],
             r["requested_cents"], r["workflow_version"])
        for id_, r in zip(ids, rows, strict=True)
    ]  # fmt: skip
    actor = unit.actor
    source = f"import:{path.name}"
    seqs = audit_batch.append_many(unit.db, [created_event(actor, app, source) for app in apps])
    messages.enqueue(
        "application_submitted",
        list(zip(apps, seqs, strict=True)),
        find.programmes_by_id,
        find.orgs_by_id,
    )
    return [{"id": app.id, "title": app.title, "state": app.state} for app in apps]


def _columns(
    unit: Unit, find: Lookups, path: Path, number: int, row: dict[str, str], locale: str
) -> dict[str, Any]:
    """One checked row's columns, with the checks `applications.new_application` makes of its
    fields; the amount goes in as a number, read once in the file's locale."""
    cents = parse_euros(row["requested"], "requested amount", locale)
    try:
        title = text(row.get("title"), "title", inputs.TITLE)
        programme = find.programme(text(row.get("programme"), "programme"))
        if programme is None:
            raise NotFound("programme", row.get("programme"))
        org = find.org(text(row.get("applicant"), "applicant organisation"))
        if org is None:
            raise NotFound("organisation", row.get("applicant"), "add it to the directory first")
        line = find.line(programme, str(row["line"]).strip()) if row.get("line") else None
        if row.get("line") and line is None:
            raise NotFound("line", row["line"], f"no line of {programme.code}")
        requested = parse_euros(Decimal(cents).scaleb(-2), "requested amount")
        line_id = line.id if line else None
        fields = application_fields(
            row, title, programme, line_id, org, requested, unit.clock.today()
        )
        leaders_only(unit, fields)
        return fields
    except (InvalidInput, NotAllowed) as error:
        raise InvalidInput(f"{path.name}: line {number}: {error}; nothing was imported") from None


class Lookups:
    """Programmes, organisations and lines looked up once each, by what a row names."""

    def __init__(self, db: Any) -> None:
        self.db = db
        self.programmes: dict[str, Any] = {}
        self.orgs: dict[str, Any] = {}
        self.lines: dict[tuple[int, str], Any] = {}
        self.programmes_by_id: dict[int, Any] = {}
        self.orgs_by_id: dict[int, Any] = {}

    def programme(self, code: str) -> Any:
        if code not in self.programmes:
            found = self.programmes[code] = repository.programme_by_code(self.db, code)
            if found is not None:
                self.programmes_by_id[found.id] = found
        return self.programmes[code]

    def prefetch_orgs(self, names: set[str]) -> None:
        """Look up every organisation named, in a few queries: org_by_name for each at once."""
        names = {n for n in names if n and n not in self.orgs}
        found = bulk.orgs_by_names(self.db, sorted(names))
        for name in names:
            org = self.orgs[name] = found.get(name)
            if org is not None:
                self.orgs_by_id[org.id] = org

    def org(self, name: str) -> Any:
        if name not in self.orgs:
            found = self.orgs[name] = repository.org_by_name(self.db, name)
            if found is not None:
                self.orgs_by_id[found.id] = found
        return self.orgs[name]

    def line(self, programme: Any, code: str) -> Any:
        key = (programme.id, code)
        if key not in self.lines:
            self.lines[key] = repository.line_by_code(self.db, programme.id, code)
        return self.lines[key]


def read_sheet(path: Path, locale: str | None = None, layout: Layout = PIPELINE) -> Sheet:
    """The file's rows, checked for shape (the `layout`'s columns, cells, sizes) but not yet
    for content."""
    if locale is not None and locale not in LOCALES:
        raise InvalidInput(
            f"the input locale: {locale!r} is not nl or en",
            field="locale",
            label="the input locale",
            bare=True,
        )
    text, encoding = _decode(path)
    if "\r" in text and "\n" not in text:  # lines ended by CR alone, as old Mac programs save
        text = text.replace("\r", "\n")
    separator = _separator(text.split("\n", 1)[0].rstrip("\r"), layout.columns)
    with _field_limit(len(text)):
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
        try:
            header = [cell.strip() for cell in next(reader, [])]
            _check_header(path.name, header, separator, encoding, layout)
            rows = list(_rows(path.name, reader, header, separator, layout))
        except csv.Error as error:
            raise InvalidInput(f"{path.name}: line {reader.line_num}: {error}") from None
    if not rows:
        raise InvalidInput(f"{path.name} has no rows to import")
    return Sheet(
        rows, separator, encoding, locale or ("nl" if separator == ";" else input_locale())
    )


def _decode(path: Path) -> tuple[str, str]:
    """The file's text and its encoding: by byte-order mark, else UTF-8, else Windows-1252."""
    from kracht.basics.files import read_bytes

    raw = read_bytes(path)
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text, encoding = _decoded(raw, "utf-16", path), "UTF-16"
    elif raw.startswith(codecs.BOM_UTF8):
        text, encoding = _decoded(raw, "utf-8-sig", path), "UTF-8"
    else:
        try:
            text, encoding = raw.decode("utf-8"), "UTF-8"
        except UnicodeDecodeError:
            text, encoding = _decoded(raw, "cp1252", path), "Windows-1252"
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise InvalidInput(
            f"{path.name}: line {line} holds a NUL byte, so the file is not CSV text; {SAVE_AS}"
        )
    return text, encoding


def _decoded(raw: bytes, codec: str, path: Path) -> str:
    try:
        return raw.decode(codec)
    except UnicodeDecodeError:
        names = {
            "utf-16": "not UTF-16",
            "utf-8-sig": "not UTF-8",
            "cp1252": "neither UTF-8 nor Windows-1252",
        }
        raise InvalidInput(f"{path.name} is {names[codec]} text; {SAVE_AS}") from None


def _separator(header: str, columns: tuple[str, ...]) -> str:
    """The separator that splits the header line into the most known column names (then the
    most cells): comma, semicolon or tab."""

    def score(separator: str) -> tuple[int, int]:
        try:
            cells = next(csv.reader([header], delimiter=separator), [])
        except csv.Error:  # a header no reader can split: the rows' reading names the line
            return (0, 0)
        return sum(cell.strip() in columns for cell in cells), len(cells)

    return max(SEPARATORS, key=score)


@contextmanager
def _field_limit(size: int) -> Iterator[None]:
    """Let the csv module read a cell as long as the file (the cell limit is checked after,
    with the line and column named); the module's own limit of 128 KiB ends in a bare error."""
    before = csv.field_size_limit()
    csv.field_size_limit(max(before, size + 1))
    try:
        yield
    finally:
        csv.field_size_limit(before)


def _check_header(
    name: str, header: list[str], separator: str, encoding: str, layout: Layout
) -> None:
    missing = [c for c in layout.required if c not in header]
    if missing:
        raise InvalidInput(
            f"{name}: line 1 lacks the column(s) {', '.join(missing)} (read as "
            f"{SEPARATORS[separator]}-separated {encoding} text, it has the column(s) "
            f"{_listed(header)}; kracht reads commas, semicolons and tabs)"
        )
    unknown = [c for c in header if c not in layout.columns]
    if unknown:
        raise InvalidInput(
            f"{name}: line 1 has unknown column(s) {_listed(unknown)}; known columns: "
            + ", ".join(layout.columns)
        )
    twice = sorted({c for c in header if header.count(c) > 1})
    if twice:
        raise InvalidInput(f"{name}: line 1 names the column(s) {', '.join(twice)} more than once")


def _listed(cells: list[str]) -> str:
    """Column names for a message: each cut to 60 characters, at most 12 of them."""
    shown = [c if len(c) <= 60 else f"{c[:40]}... ({len(c):,} characters)" for c in cells[:12]]
    more = f" and {len(cells) - 12} more" if len(cells) > 12 else ""
    return (", ".join(repr(c) if not c or c != c.strip() else c for c in shown) or "none") + more


def _rows(
    name: str, reader: Any, header: list[str], separator: str, layout: Layout
) -> Iterator[tuple[int, dict[str, str]]]:
    """Each non-empty row by the line it starts on, its cells by column name."""
    line, count = 1, 0
    for cells in reader:
        start, line = line + 1, reader.line_num
        if len(cells) > len(header):
            raise InvalidInput(
                f"{name}: line {start} has {len(cells)} cells, but line 1 names "
                f"{len(header)} columns; remove the extra cells, or put double quotes around a "
                f"cell that holds a {SEPARATORS[separator]}"
            )
        cells += [""] * (len(header) - len(cells))  # a short row: its last cells are empty
        for column, cell in zip(header, cells, strict=True):
            if len(cell) > layout.cell_limit:
                raise InvalidInput(
                    f"{name}: line {start}, column {column}: the cell holds {len(cell):,} "
                    f"characters; a cell holds at most {layout.cell_limit:,}"
                )
        row = {column: cell.strip() for column, cell in zip(header, cells, strict=True)}
        if any(row.values()):
            count += 1
            if layout.row_limit is not None and count > layout.row_limit:
                raise InvalidInput(
                    f"{name}: line {start}: the file holds more than {layout.row_limit:,} rows; "
                    "split it, or leave out the rows that are not needed"
                )
            yield start, row


def problems_of(
    find: Lookups, actor: Actor, number: int, row: dict[str, str], locale: str
) -> list[str]:
    """Check each column on its own, so a problem names its column."""
    problems = []

    def check(column: str, test: Any) -> Any:
        try:
            return test()
        except KrachtError as error:
            problems.append(f"line {number}, column {column}: {error}")
            return None

    def need(column: str) -> str:
        if not row.get(column):
            raise InvalidInput(f"{column} must not be empty")
        return row[column]

    check("title", lambda: need("title"))
    check("requested", lambda: parse_euros(need("requested"), "requested amount", locale))
    check("submitted_on", lambda: parse_date(row.get("submitted_on"), "submitted_on"))
    programme = check("programme", lambda: _programme(find, need("programme")))
    org = check("applicant", lambda: _org(find, need("applicant")))
    if org is not None:
        check("applicant", lambda: require_own(actor, CREATORS, org.id, "import applications"))
    if programme is not None and row.get("line"):
        check("line", lambda: _line(find, programme, row["line"]))
    return problems


def _programme(find: Lookups, code: str) -> Any:
    programme = find.programme(code)
    if programme is None:
        raise InvalidInput(f"no programme {code!r}")
    return programme


def _org(find: Lookups, name: str) -> Any:
    org = find.org(name)
    if org is None:
        raise InvalidInput(
            f"no organisation {name!r} (add it to the directory first)",
            what="organisation",
            key=name,
        )
    return org


def _line(find: Lookups, programme: Any, code: str) -> Any:
    line = find.line(programme, code)
    if line is None:
        raise InvalidInput(f"programme {programme.code} has no line {code!r}")
    return line
