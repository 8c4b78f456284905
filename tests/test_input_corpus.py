"""Every careless or hostile input, over every command family, on SQLite and PostgreSQL.

Each case runs `kracht ...` in-process against one prepared database and asserts: the exit code,
exactly one line on stderr that names the field (and says what to do), nothing on stdout, no
traceback, and the database exactly as it was apart from audit events of refusals.
"""

from __future__ import annotations

import os
import stat
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kracht.cli import main
from tests import factories as f
from tests.conftest import _pg_admin, _with_database
from tests.factories import run

LONG_TITLE = "T" * 100_000


@dataclass(frozen=True)
class Prepared:
    url: str
    tmp: Path
    ids: dict[str, int]


def _prepare(url: str, tmp: Path) -> Prepared:
    from kracht.storage import repository
    from kracht.storage.database import session
    from kracht.workflow.services import assignment

    world = f.seed(url)
    ids = {
        "idea": f.make_application(world, stage="idea"),
        "decision": f.make_application(world, stage="steering_decision"),
        "monitoring": f.make_application(world, stage="monitoring"),
        "scoring": f.make_application(world, stage="kracht_scoring"),
    }
    run(url, f.MEMBER, assignment.declare, ids["scoring"], None)  # may score from now on
    with session(url) as db:
        ids["indicator"] = repository.indicators(db, ids["monitoring"])[0].id or 0
    _files(tmp)
    return Prepared(url, tmp, ids)


def _files(tmp: Path) -> None:
    """The files the cases name: unwritable targets, spreadsheets as users make them, settings."""
    (tmp / "readonly.csv").write_text("keep me\n")
    (tmp / "readonly.csv").chmod(0o444)
    (tmp / "target.txt").write_text("the link's target\n")
    link = tmp / "link.csv"
    if not link.is_symlink():
        link.symlink_to(tmp / "target.txt")
    (tmp / "folder").mkdir(exist_ok=True)
    if not (tmp / "fifo").exists():
        os.mkfifo(tmp / "fifo")  # opening it for reading would wait for a writer for ever
    dangling = tmp / "dangling.db"
    if not dangling.is_symlink():
        dangling.symlink_to(tmp / "nothing-here.db")
    header = "titel;programma;aanvrager;gevraagd\r\n"  # Dutch headers: none is kracht's
    (tmp / "dutch.csv").write_bytes(b"\xef\xbb\xbf" + header.encode("cp1252"))
    (tmp / "huge.csv").write_text(
        "title,programme,applicant,requested\n" + "x" * 200_000 + ",avt-2018,Saxion,1\n"
    )
    (tmp / "nul.csv").write_bytes(b"title,programme,applicant,requested\nA\x00,avt-2018,X,1\n")
    (tmp / "extra.csv").write_text("title,programme,applicant,requested\nA,avt-2018,Saxion,1,9\n")
    (tmp / "formula.csv").write_text(
        f"title,programme,applicant,requested\n{'=1+1'},{f.AVT_2018},{f.TALENTIT},1e309\n"
    )
    (tmp / "broken.toml").write_text("[mail\nport = 25\n")
    (tmp / "unknown.toml").write_text("[mayl]\nport = 25\n")
    (tmp / "stage.toml").write_text('quickscan = "ok\\u0000"\n')
    (tmp / "number.toml").write_text("quickscan = 5\n")
    (tmp / "nan.json").write_text('{"quickscan": NaN}')
    (tmp / "latin1.toml").write_bytes('quickscan = "caf\xe9"\n'.encode("latin-1"))


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def prepared(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Prepared]:
    tmp = tmp_path_factory.mktemp(f"corpus-{request.param}")
    if request.param == "sqlite":
        from kracht.storage.database import migrate

        url = f"sqlite:///{tmp / 'kracht.db'}"
        migrate(url)
        yield _prepare(url, tmp)
        return
    pg_template = request.getfixturevalue("pg_template")
    name = f"kracht_c_{uuid.uuid4().hex[:10]}"
    with _pg_admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    url = _with_database(name)
    yield _prepare(url, tmp)
    from kracht.storage.database import engine_for

    engine_for(url).dispose()
    with _pg_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _state(url: str) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, the audit events of refusals left out."""
    import sqlalchemy as sa
    from sqlmodel import SQLModel

    import kracht.storage.tables  # noqa: F401 - every table registered
    from kracht.storage.database import session

    result = {}
    with session(url) as db:
        for name, table in sorted(SQLModel.metadata.tables.items()):
            if name in ("audit_head", "audit_node"):  # move with every event, refusals' too
                continue
            query = sa.select(table)
            if "outcome" in table.c:
                query = query.where(sa.or_(table.c.outcome.is_(None), table.c.outcome != "refused"))
            result[name] = sorted(tuple(map(repr, row)) for row in db.execute(query))
    return result


# -- the corpus: (family, argv, exit code, what the one line must say) --------------------------
# argv is split on single spaces (or given as a list of words); it may name {idea}, {decision},
# {monitoring}, {scoring} (application ids), {indicator} (one of {monitoring}'s) and {tmp} (a
# folder of files). A first word `@steering`, `@member` or `@outsider` (an applicant of another
# organisation) runs the case as that person, else as the programme leader.

BIG = "99999999999999999999"
IDS = [
    ("app show " + BIG, 2, ["APPLICATION_ID", "ids are whole numbers from 1"]),
    ("app show -1", 2, ["-1", "never negative"]),
    ("app show 0", 2, ["APPLICATION_ID", "is not an id"]),
    ("app show \u0663", 2, ["APPLICATION_ID", "is not an id"]),  # an Arabic-Indic three
    ("app history abc", 2, ["APPLICATION_ID", "is not an id"]),
    ("committee declare " + BIG + " --none", 2, ["APPLICATION_ID"]),
    ("conditions list --application " + BIG, 2, ["--application", "is not an id"]),
    ("outbox retry " + BIG, 2, ["MESSAGE_IDS", "is not an id"]),
    ("outbox list --application " + BIG, 2, ["--application", "is not an id"]),
    ("monitor schedule 1e3", 2, ["APPLICATION_ID"]),
    ("app record {idea} idea --set quickscan=x --expect-version -3", 2, ["--expect-version"]),
    ("app record {idea} idea --set quickscan=x --expect-version " + BIG + "0", 2, ["version"]),
    ("score set " + BIG + " K 3 --motivation x", 2, ["APPLICATION_ID"]),
    ("conditions meet {decision} -2 --evidence x", 2, ["-2", "never negative"]),
    ("app show 424242", 1, ["no application 424242"]),
    (
        "@member score set {scoring} business_commitment \u0664 --motivation x",
        1,
        ["business_commitment", "whole-number score"],
    ),
    (
        "@member score set {scoring} business_commitment " + "9" * 5000 + " --motivation x",
        1,
        ["business_commitment", "5,000 characters"],
    ),
]
PATHS = [
    ("export applications -o {tmp}", 1, ["{tmp}", "folder"]),
    ("export applications -o {tmp}/readonly.csv", 1, ["readonly.csv"]),
    ("export applications -o {tmp}/link.csv", 1, ["link.csv"]),
    ("export applications -o /dev/full", 1, ["/dev/full"]),
    ("export applications -o {tmp}/nofolder/x.csv", 1, ["nofolder", "does not exist"]),
    ("export applications -o {tmp}/newdir/", 2, ["newdir/", "names a folder"]),
    ("audit export -o {tmp}/folder", 1, ["folder"]),
    ("app import {tmp}/folder", 1, ["folder", "not a file"]),
    ("app import {tmp}/absent.csv", 1, ["absent.csv"]),
    ("app record {idea} idea --file {tmp}/absent.toml", 1, ["absent.toml"]),
    ("app record {idea} idea --file {tmp}/latin1.toml", 1, ["latin1.toml", "UTF-8"]),
    ("app import {tmp}/fifo", 1, ["fifo", "not a regular file"]),
    ("app record {idea} idea --file {tmp}/fifo", 1, ["fifo", "not a regular file"]),
    ("@member score set {scoring} --file {tmp}/fifo", 1, ["fifo", "not a regular file"]),
    ("--db {tmp}/fifo app list", 1, ["fifo", "not a regular file"]),
    ("--db {tmp}/dangling.db init", 1, ["dangling.db", "symbolic link to nothing"]),
    ("--db {tmp}/folder demo --replace", 1, ["folder", "not a regular file"]),
    ("--db {tmp}/link.csv demo --replace", 1, ["link.csv", "symbolic link"]),
    ("--db {tmp}/target.txt demo --replace", 1, ["target.txt", "not a demo database"]),
]
SIZES = [
    (
        "app create --title " + LONG_TITLE + " --programme avt-2018 --applicant Saxion",
        1,
        ["title", "100,000 characters", "limit is 300"],
    ),
    ("org add --name " + "N" * 201 + " --type business", 1, ["organisation name", "limit is 200"]),
    ("app withdraw {idea} --reason " + "r" * 5_001, 1, ["reason", "limit is 5,000"]),
    ("app record {idea} idea --set quickscan=" + "q" * 20_001, 1, ["quickscan", "limit is 20,000"]),
    ("app import {tmp}/huge.csv", 1, ["title", "at most 10,000"]),
]
TEXT = [
    ("app create --title A\nB --programme avt-2018 --applicant Saxion", 1, ["title", "one line"]),
    ("app create --title A\x00B --programme avt-2018 --applicant Saxion", 1, ["title", "U+0000"]),
    ("org add --name Evil\u202eCorp --type business", 1, ["organisation name", "U+202E"]),
    ("org add --name \x1b[31mRed --type business", 1, ["organisation name", "U+001B"]),
    ("org add --name A\tB --type business", 1, ["organisation name", "one line"]),
    ("people add --name A\u2028B --email new@example.org --role auditor", 1, ["name", "one line"]),
    ("app create --title \ufeffBOM --programme avt-2018 --applicant Saxion", 1, ["U+FEFF"]),
    ("app record {idea} idea --file {tmp}/stage.toml", 1, ["quickscan", "U+0000"]),
    (
        "app record {idea} idea --file {tmp}/number.toml",
        1,
        ["quickscan takes a text, not a number"],
    ),
    ("app record {idea} idea --file {tmp}/nan.json", 1, ["quickscan takes a text, not a number"]),
    ("org add --name Novel\u200b-T --type business", 1, ["organisation name", "U+200B"]),
    (
        "app create --title caf\udcff --programme avt-2018 --applicant Saxion",
        1,
        ["title", "0xFF", "not text"],
    ),
    ("app withdraw {idea} --reason bad\x07bell", 1, ["reason", "U+0007"]),
    ("committee declare {decision} --conflict x\x00", 1, ["conflict", "U+0000"]),
    (
        "app indicator add {idea} --name N\x00 --unit jobs --baseline 0 --target 5 --by 2030-01-01",
        1,
        ["indicator name", "U+0000"],
    ),
    ("app import {tmp}/nul.csv", 1, ["NUL"]),
    ("programme add --code ../evil --name Evil", 1, ["programme code"]),
    ("programme add --code /abs --name Evil", 1, ["programme code"]),
]
DATES = [
    (
        "app create --title A --programme avt-2018 --applicant Saxion --submitted-on 9999-12-31",
        1,
        ["submitted_on", "9999-12-31"],
    ),
    (
        "app create --title A --programme avt-2018 --applicant Saxion --submitted-on 2018-02-30",
        1,
        ["submitted_on", "not a date"],
    ),
    (
        "app create --title A --programme avt-2018 --applicant Saxion --submitted-on 2018-9-7",
        1,
        ["submitted_on", "YYYY-MM-DD"],
    ),
    (
        "@steering decide {decision} defer --reason later --until 9999-12-31",
        1,
        ["deferred_until", "range"],
    ),
    ("monitor replan {monitoring} --until 9999-12-31", 1, ["--until", "range"]),
    (
        "app create --title A --programme avt-2018 --applicant Saxion --submitted-on 2019-W01-1",
        1,
        ["submitted_on", "not a date"],
    ),
    ("monitor late --as-of 20200301", 1, ["--as-of", "not a date"]),
    ("monitor late --as-of 0001-01-01", 1, ["--as-of", "range"]),
    (
        "app indicator add {idea} --name Jobs --unit jobs --baseline 0 --target 5 --by 1800-01-01",
        1,
        ["target date", "range"],
    ),
    (
        "programme add --code p-new --name P --starts \u0662\u0660\u0661\u0668-01-01",
        1,
        ["--starts", "not a date"],
    ),
]
NUMBERS = [
    ("monitor value {monitoring} {indicator} 1e309", 1, ["1e309"]),
    ("monitor value {monitoring} {indicator} NaN", 1, ["NaN"]),
    ("monitor value {monitoring} {indicator} Infinity", 1, ["Infinity"]),
    ("@steering decide {decision} approve --reason ok --amount -5", 1, ["--amount", "negative"]),
    (
        "@steering decide {decision} approve --reason ok --amount \u0665\u0660\u0660",
        1,
        ["--amount", "0-9"],
    ),
    ("@steering decide {decision} approve --reason ok --amount 1.001,001", 1, ["--amount"]),
    ("@steering decide {decision} approve --reason ok --amount 1e5", 1, ["--amount"]),
    ("budget set --programme avt-2018 --year 99999 --amount 5", 2, ["--year", "2100"]),
    (
        "budget set --programme avt-2018 --year 2019 --inhabitants 0 --per-inhabitant 1",
        2,
        ["--inhabitants"],
    ),
    ("app partner add {idea} --org Saxion --commitment time --hours -5", 2, ["--hours"]),
    (
        "app partner add {idea} --org Saxion --commitment time --hours 99999999999",
        2,
        ["--hours", "10000000"],
    ),
    (
        "app indicator add {idea} --name Share --unit % --baseline 0 --target 150 --by 2030-01-01",
        1,
        ["target", "percentage"],
    ),
    (
        "app indicator add {idea} --name Jobs --unit jobs --baseline -1 --target 5 --by 2030-01-01",
        1,
        ["baseline", "count"],
    ),
    (
        "app indicator add {idea} --name Jobs --unit jobs --baseline 0 --target 2.5 "
        "--by 2030-01-01",
        1,
        ["target", "count"],
    ),
    (
        "app indicator add {idea} --name Jobs --unit jobs --baseline 1e309 --target 5 "
        "--by 2030-01-01",
        1,
        ["baseline"],
    ),
]
RULES = [
    (
        "@steering decide {decision} defer --reason later",
        5,
        ["deferred_until or deferred_to_round"],
    ),
    (
        "@steering decide {decision} defer --reason later --until 2030-01-01 --to-round 2030-1",
        5,
        ["not both"],
    ),
    (
        "app partner add {idea} --org Saxion --commitment knowledge --amount 5",
        1,
        ["--amount", "money commitment"],
    ),
    (
        "app partner add {idea} --org Saxion --commitment money --amount 5 --hours 3",
        1,
        ["--hours", "time commitment"],
    ),
    ("people add --name New --email new@example.org --role applicant", 1, ["applicant", "--org"]),
    (
        "@steering decide {decision} approve --reason r --amount 5 --until 2030-01-01",
        1,
        ["--until", "belongs to defer"],
    ),
    (
        "@steering decide {decision} reject --reason r --amount 5",
        1,
        ["--amount", "belongs to an approval"],
    ),
    (
        "@steering decide {decision} defer --reason r --until 2030-01-01 --year 2030",
        1,
        ["--year", "belongs to an approval"],
    ),
    ("programme add --code p-new --name P --line a=One --line a=Two", 1, ["--line", "twice"]),
    ("app record {idea} idea --set quickscan=a --set quickscan=b", 1, ["--set", "twice"]),
    (
        "@steering decide {decision} approve --reason r --amount 5 --amount 6",
        2,
        ["--amount is given twice"],
    ),
    ("export applications -o {tmp}/a.csv --output {tmp}/b.csv", 2, ["--output is given twice"]),
    (
        "monitor value {monitoring} {indicator} 5 --on 2020-01-01 --on 2020-02-01",
        2,
        ["--on is given twice"],
    ),
    (
        "monitor close-out {monitoring} --final-report done --spent 5 --value {indicator}=6 "
        "--value {indicator}=7",
        1,
        ["--value", "twice"],
    ),
    (
        [
            "app",
            "indicator",
            "add",
            "{monitoring}",
            "--name",
            "Students meeting FIRMS",
            "--unit",
            "jobs",
            "--baseline",
            "0",
            "--target",
            "9",
            "--by",
            "2030-01-01",
        ],
        1,
        ["indicator name", "already has"],
    ),
]
FILTERS = [
    ("app list --programme nope", 1, ["programme", "nope"]),
    ("reminders list --person nobody@example.org", 1, ["person", "nobody@example.org"]),
    ("reminders list --application 424242", 1, ["application", "424242"]),
    ("conditions list --application 424242", 1, ["application", "424242"]),
    ("monitor reports --programme nope", 1, ["programme", "nope"]),
    ("monitor reports --application 424242", 1, ["application", "424242"]),
    ("monitor late --programme nope", 1, ["programme", "nope"]),
    ("outbox list --application 424242", 1, ["application", "424242"]),
    ("budget show --programme nope", 1, ["programme", "nope"]),
    ("@outsider monitor reports --application {monitoring}", 4, ["may not see application"]),
    ("@outsider conditions list --application {decision}", 4, ["may not see application"]),
]
CSV = [
    ("app import {tmp}/dutch.csv", 1, ["semicolon", "title"]),
    ("app import {tmp}/extra.csv", 1, ["line 2", "5 cells"]),
    ("app import {tmp}/formula.csv", 1, ["requested"]),
]
SETTINGS = [
    ("--config {tmp}/absent.toml app list", 1, ["absent.toml", "does not exist"]),
    ("--config {tmp}/broken.toml app list", 1, ["broken.toml", "not valid TOML"]),
    ("--config {tmp}/unknown.toml app list", 1, ["unknown section [mayl]"]),
    ("--config {tmp}/folder app list", 1, ["folder"]),
]

FAMILIES = {
    "ids": IDS,
    "paths": PATHS,
    "sizes": SIZES,
    "text": TEXT,
    "dates": DATES,
    "numbers": NUMBERS,
    "rules": RULES,
    "filters": FILTERS,
    "csv": CSV,
    "settings": SETTINGS,
}
CASES = [
    pytest.param(args, code, says, id=f"{family}-{number}")
    for family, cases in FAMILIES.items()
    for number, (args, code, says) in enumerate(cases, start=1)
]


USERS = {"@steering": f.STEERING, "@member": f.MEMBER, "@outsider": f.OUTSIDER}


def _argv(args: str | list[str], p: Prepared) -> list[str]:
    """The words of a case: split on spaces only, so a word may hold any other character."""
    words = args.split(" ") if isinstance(args, str) else list(args)
    user = USERS[words.pop(0)] if words[0] in USERS else f.LEADER
    words = [
        w.format(tmp=p.tmp, **{k: str(v) for k, v in p.ids.items()}) if "{" in w else w
        for w in words
    ]
    database = [] if words[0] == "--db" else ["--db", p.url]  # a case may name its own
    return [*database, "--as", user, *words]


@pytest.mark.parametrize(("args", "code", "says"), CASES)
def test_a_bad_input_is_one_line_a_documented_exit_and_nothing_written(
    prepared: Prepared,
    capsys: pytest.CaptureFixture[str],
    args: str | list[str],
    code: int,
    says: list[str],
) -> None:
    argv = _argv(args, prepared)
    before = _state(prepared.url)
    modes = _modes(prepared.tmp)

    exit_code = main(argv)
    out, err = capsys.readouterr()

    assert "Traceback" not in err
    assert (exit_code, out) == (code, ""), err
    assert err.endswith("\n"), err
    assert err.count("\n") == 1, err
    assert err.startswith("kracht: "), err
    for word in says:
        assert word.format(tmp=prepared.tmp) in err, err
    assert _state(prepared.url) == before
    assert _modes(prepared.tmp) == modes  # no file named by a case was replaced or changed


def _modes(tmp: Path) -> dict[str, tuple[int, bytes]]:
    """What the user's files are: kind and permission bits, and their content."""
    result = {}
    for path in [*sorted(tmp.iterdir()), Path("/dev/full")]:
        if path.name.startswith("kracht.db"):
            continue
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):
            content = os.readlink(path).encode()
        else:
            content = path.read_bytes() if stat.S_ISREG(st.st_mode) else b""
        result[str(path)] = (st.st_mode, content)
    return result
