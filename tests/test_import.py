"""Importing a pipeline spreadsheet: every row is checked first, and a bad row writes nothing."""

import pytest

from kracht.basics.errors import InvalidInput
from kracht.workflow.services import applications
from kracht.workflow.services.importer import import_csv
from tests import factories as f
from tests.factories import run

HEADER = "title,programme,applicant,requested,line,submitted_on\n"


def _csv(tmp_path, body, header=HEADER):
    path = tmp_path / "pipeline.csv"
    path.write_text(header + body, encoding="utf-8")
    return path


def test_a_valid_spreadsheet_creates_every_application_as_an_idea(world, tmp_path):
    path = _csv(
        tmp_path,
        f'SmartView,avt-2018,{f.TALENTIT},"25,000.00",talent,2018-10-03\n'
        f"Twentse Maakplaatsen,avt-2018,{f.OTHER_APPLICANT},0,,\n",
    )

    imported = run(world.url, f.LEADER, import_csv, path)

    rows = run(
        world.url,
        f.LEADER,
        applications.list_all,
    )
    assert [c["title"] for c in imported.created] == ["SmartView", "Twentse Maakplaatsen"]
    assert imported.note is None  # plain comma-separated UTF-8: nothing to say
    assert [(r["title"], r["state"], r["requested_cents"]) for r in rows] == [
        ("SmartView", "idea", 2500000),
        ("Twentse Maakplaatsen", "idea", 0),
    ]


@pytest.mark.parametrize(
    ("bad_row", "message"),
    [
        (
            f"Bad,avt-2018,{f.TALENTIT},abc,talent,\n",
            "pipeline.csv: line 3, column requested: requested amount: 'abc' is not an amount in "
            "euros (write e.g. 64389 or 64389.50); nothing was imported",
        ),
        (
            f",avt-2018,{f.TALENTIT},10,talent,\n",
            "pipeline.csv: line 3, column title: title must not be empty; nothing was imported",
        ),
        (
            "X,avt-2018,Unknown BV,10,talent,\n",
            "pipeline.csv: line 3, column applicant: no organisation 'Unknown BV' (add it to the "
            "directory first); nothing was imported",
        ),
        (
            f"X,avt-2018,{f.TALENTIT},10,nowhere,\n",
            "pipeline.csv: line 3, column line: programme avt-2018 has no line 'nowhere'; nothing "
            "was imported",
        ),
        (
            f"X,avt-2018,{f.TALENTIT},-10,talent,31-12-2018\n",
            "pipeline.csv: line 3, column requested: requested amount must not be negative (got "
            "'-10') (and 1 more); nothing was imported",
        ),
    ],
)
def test_one_bad_row_is_named_and_nothing_at_all_is_written(world, tmp_path, bad_row, message):
    path = _csv(tmp_path, f"Good,avt-2018,{f.TALENTIT},10,talent,\n" + bad_row)

    with pytest.raises(InvalidInput) as error:
        run(world.url, f.LEADER, import_csv, path)

    assert str(error.value) == message
    assert (
        run(
            world.url,
            f.LEADER,
            applications.list_all,
        )
        == []
    )


def test_unknown_or_missing_columns_are_refused(world, tmp_path):
    with pytest.raises(InvalidInput) as missing:
        run(world.url, f.LEADER, import_csv, _csv(tmp_path, "X\n", header="title\n"))
    with pytest.raises(InvalidInput) as unknown:
        run(
            world.url, f.LEADER, import_csv, _csv(tmp_path, "", header=HEADER.strip() + ",colour\n")
        )

    assert str(missing.value) == (
        "pipeline.csv: line 1 lacks the column(s) programme, applicant, requested (read as "
        "comma-separated UTF-8 text, it has the column(s) title; kracht reads commas, "
        "semicolons and tabs)"
    )
    assert str(unknown.value).startswith("pipeline.csv: line 1 has unknown column(s) colour;")


def test_an_applicant_imports_only_for_their_own_organisation(world, tmp_path):
    path = _csv(tmp_path, f"X,avt-2018,{f.OTHER_APPLICANT},10,talent,\n")

    with pytest.raises(InvalidInput) as error:
        run(world.url, f.APPLICANT, import_csv, path)

    assert "column applicant" in str(error.value)
    assert "another organisation's application" in str(error.value)


# -- the formats real spreadsheets are saved in ----------------------------------------------------

DUTCH_HEADER = "title;programme;applicant;requested;line;description\r\n"


def _titles_and_cents(world):
    """(title, requested cents) of each application, as listed."""
    return [
        (r["title"], r["requested_cents"])
        for r in run(
            world.url,
            f.LEADER,
            applications.list_all,
        )
    ]


def test_a_dutch_excel_export_with_a_byte_order_mark_is_read_with_semicolons(any_world, tmp_path):
    world = any_world
    path = tmp_path / "pijplijn.csv"
    body = (
        f"Coöperatie Eëndracht;avt-2018;{f.TALENTIT};€ 25.000,50;talent;zon, wind en water\r\n"
        f"Twentse Maakplaatsen;avt-2018;{f.TALENTIT};1.500;;\r\n"
    )
    path.write_bytes(b"\xef\xbb\xbf" + (DUTCH_HEADER + body).encode("utf-8"))

    imported = run(world.url, f.LEADER, import_csv, path)

    assert _titles_and_cents(world) == [
        ("Coöperatie Eëndracht", 2500050),
        ("Twentse Maakplaatsen", 150000),
    ]
    assert imported.note == (
        "read as semicolon-separated text with amounts written the Dutch way, 1.500,50"
    )


def test_a_windows_1252_export_is_read_and_the_cli_says_how(world, tmp_path, capsys):
    from kracht.cli import main

    path = tmp_path / "pijplijn.csv"
    body = f"Coöperatie Eëndracht;avt-2018;{f.TALENTIT};€ 1.500,25;talent;café\r\n"
    path.write_bytes((DUTCH_HEADER + body).encode("cp1252"))
    db = world.url.removeprefix("sqlite:///")

    code = main(["--db", db, "--as", f.LEADER, "app", "import", str(path)])

    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    assert out == (
        "imported 1 applications from pijplijn.csv (read as semicolon-separated Windows-1252 "
        "text with amounts written the Dutch way, 1.500,50)\n"
    )
    assert _titles_and_cents(world) == [("Coöperatie Eëndracht", 150025)]


def test_a_tab_separated_utf16_file_as_excel_saves_unicode_text_is_read(world, tmp_path):
    path = tmp_path / "pipeline.txt"
    text = f"title\tprogramme\tapplicant\trequested\r\nSmartView\tavt-2018\t{f.TALENTIT}\t64389\r\n"
    path.write_bytes(text.encode("utf-16"))  # with its byte-order mark

    imported = run(world.url, f.LEADER, import_csv, path)

    assert _titles_and_cents(world) == [("SmartView", 6438900)]
    assert (
        imported.note
        == "read as tab-separated UTF-16 text with amounts written the Dutch way, 1.500,50"
    )


def test_a_file_in_no_known_encoding_is_refused_in_one_line(world, tmp_path):
    path = tmp_path / "pipeline.csv"
    path.write_bytes(HEADER.encode() + b"X\x81,avt-2018,x,1\n")  # 0x81: not UTF-8, not cp1252

    with pytest.raises(InvalidInput) as error:
        run(world.url, f.LEADER, import_csv, path)

    assert str(error.value) == (
        "pipeline.csv is neither UTF-8 nor Windows-1252 text; save the spreadsheet as CSV UTF-8"
    )


@pytest.mark.parametrize(
    ("header", "separator"),
    [("title;programme;applicant", "semicolon"), ("title|programme|applicant|requested", "comma")],
)
def test_a_header_that_lacks_columns_says_how_it_was_read(world, tmp_path, header, separator):
    path = tmp_path / "pipeline.csv"
    path.write_text(f"{header}\nX;avt-2018;{f.TALENTIT}\n", encoding="utf-8")

    with pytest.raises(InvalidInput) as error:
        run(world.url, f.LEADER, import_csv, path)

    found = header.replace(";", ", ")
    assert str(error.value).startswith("pipeline.csv: line 1 lacks the column(s) ")
    assert f"(read as {separator}-separated UTF-8 text, it has the column(s) {found};" in str(
        error.value
    )


@pytest.mark.parametrize(
    ("requested", "locale", "cents"),
    [
        ("1.500", None, 150000),  # KRACHT_LOCALE unset: Dutch
        ('"1,5"', None, 150),
        ('"1,500"', "en", 150000),
        ("1.5", "en", 150),
        ('"64,389.50"', "nl", 6438950),  # grouping and decimals: one reading in either locale
    ],
)
def test_amounts_in_a_comma_separated_file_follow_the_locale(
    world, tmp_path, requested, locale, cents
):
    path = _csv(tmp_path, f"X,avt-2018,{f.TALENTIT},{requested},talent,\n")

    run(world.url, f.LEADER, import_csv, path, locale)

    assert _titles_and_cents(world) == [("X", cents)]


def test_kracht_locale_says_how_a_comma_separated_file_writes_amounts(world, tmp_path, monkeypatch):
    monkeypatch.setenv("KRACHT_LOCALE", "en")
    path = _csv(tmp_path, f'X,avt-2018,{f.TALENTIT},"1,500",talent,\n')
    dutch = tmp_path / "dutch.csv"
    dutch.write_text(DUTCH_HEADER + f"Y;avt-2018;{f.TALENTIT};1.500;;\n", encoding="utf-8")

    run(world.url, f.LEADER, import_csv, path)
    run(world.url, f.LEADER, import_csv, dutch)  # semicolons: Dutch Excel, whatever the setting

    assert _titles_and_cents(world) == [("X", 150000), ("Y", 150000)]


@pytest.mark.parametrize(
    ("requested", "locale", "message"),
    [
        (
            '"1,500"',
            None,
            "requested amount: '1,500' has three digits after the decimal comma: in Dutch "
            "amounts write 1.500 for fifteen hundred or 1,50 for one and a half",
        ),
        (
            "1.000",
            "en",
            "requested amount: '1.000' has three digits after the decimal point: in English "
            "amounts write 1,500 for fifteen hundred or 1.50 for one and a half",
        ),
    ],
)
def test_an_amount_written_for_the_other_locale_is_refused_with_how_to_write_it(
    world, tmp_path, requested, locale, message
):
    path = _csv(tmp_path, f"X,avt-2018,{f.TALENTIT},{requested},talent,\n")

    with pytest.raises(InvalidInput) as error:
        run(world.url, f.LEADER, import_csv, path, locale)

    assert str(error.value) == (
        f"pipeline.csv: line 2, column requested: {message}; nothing was imported"
    )
    assert (
        run(
            world.url,
            f.LEADER,
            applications.list_all,
        )
        == []
    )


def test_a_cell_over_the_limit_is_refused_with_its_line_and_column(world, tmp_path):
    huge = "x" * (200 * 1024)  # above the csv module's own 128 KiB limit too
    path = tmp_path / "pipeline.csv"
    path.write_text(
        "title,programme,applicant,requested,description\n"
        f"Fine,avt-2018,{f.TALENTIT},10,{'y' * 10_000}\n"  # exactly the limit: read
        f'Long,avt-2018,{f.TALENTIT},10,"{huge}"\n',
        encoding="utf-8",
    )

    with pytest.raises(InvalidInput) as error:
        run(world.url, f.LEADER, import_csv, path)

    assert str(error.value) == (
        "pipeline.csv: line 3, column description: the cell holds 204,800 characters; a cell "
        "holds at most 10,000"
    )
    assert (
        run(
            world.url,
            f.LEADER,
            applications.list_all,
        )
        == []
    )


def test_nul_bytes_are_refused_in_one_line(any_world, tmp_path):
    world = any_world
    path = tmp_path / "pipeline.csv"
    path.write_bytes((HEADER + f"Good,avt-2018,{f.TALENTIT},10,talent,\n").encode() + b"B\x00d,x\n")

    with pytest.raises(InvalidInput) as error:
        run(world.url, f.LEADER, import_csv, path)

    assert str(error.value) == (
        "pipeline.csv: line 3 holds a NUL byte, so the file is not CSV text; save the "
        "spreadsheet as CSV UTF-8"
    )
    assert (
        run(
            world.url,
            f.LEADER,
            applications.list_all,
        )
        == []
    )


def test_a_row_with_more_cells_than_the_header_is_named(world, tmp_path):
    path = tmp_path / "pijplijn.csv"
    path.write_text(
        DUTCH_HEADER
        + f"Good;avt-2018;{f.TALENTIT};10;talent;fine\n"
        + f"Bad;avt-2018;{f.TALENTIT};10;talent;zon; wind\n",
        encoding="utf-8",
    )

    with pytest.raises(InvalidInput) as error:
        run(world.url, f.LEADER, import_csv, path)

    assert str(error.value) == (
        "pijplijn.csv: line 3 has 7 cells, but line 1 names 6 columns; remove the extra cells, "
        "or put double quotes around a cell that holds a semicolon"
    )
    assert (
        run(
            world.url,
            f.LEADER,
            applications.list_all,
        )
        == []
    )


def test_lines_ended_by_a_carriage_return_alone_are_read(world, tmp_path):
    path = tmp_path / "old-mac.csv"  # as classic Mac programs end lines
    path.write_bytes(f"title,programme,applicant,requested\rA,avt-2018,{f.TALENTIT},100\r".encode())

    run(world.url, f.LEADER, import_csv, path)

    assert _titles_and_cents(world) == [("A", 10000)]


# -- what an import writes beside the applications, and its progress bar ---------------------------


def _written(url):
    """Each application's audit events and outbox messages, as (application title, ...) rows
    without the ids, sequence numbers, times and salts that differ from run to run."""
    import sqlalchemy as sa

    from kracht.storage.database import engine_for
    from kracht.storage.tables import Application, AuditEvent, OutboxMessage

    e, m = AuditEvent, OutboxMessage
    with engine_for(url).connect() as db:
        titles = dict(db.execute(sa.select(Application.id, Application.title)).all())
        query = sa.select(e.application_id, e.actor, e.roles, e.action, e.to_state, e.payload)
        events = [
            (titles[app], *rest, {k: v for k, v in payload.items() if k != "salt"})
            for app, *rest, payload in db.execute(
                query.where(e.application_id.is_not(None)).order_by(e.seq)
            ).all()
        ]
        columns = (
            m.event,
            m.recipient,
            m.language,
            m.subject,
            m.text,
            m.html,
            m.status,
            m.attempts,
        )
        messages = [
            (titles[app], *rest)
            for app, *rest in db.execute(sa.select(m.application_id, *columns).order_by(m.id))
        ]
    return events, messages


BODY = (
    f"SmartView,avt-2018,{f.TALENTIT},100,talent,2018-10-03\n"
    f"Maakplaatsen,avt-2018,{f.OTHER_APPLICANT},250,,\n"
    f"Derde,avt-2018,{f.TALENTIT},1,,\n"
    f"Vierde,avt-2018,{f.TALENTIT.lower()},2,,\n"  # an organisation's name in any case
)


def test_an_import_writes_the_audit_events_and_messages_creating_each_would(
    world, sqlite_template, tmp_path
):
    import shutil

    from tests.factories import seed

    shutil.copyfile(sqlite_template, tmp_path / "one-by-one.db")
    other = seed(f"sqlite:///{tmp_path / 'one-by-one.db'}")
    run(world.url, f.LEADER, import_csv, _csv(tmp_path, BODY))
    for line in BODY.splitlines():
        title, programme, applicant, requested, line_code, submitted = line.split(",")
        fields = dict(title=title, programme=programme, applicant=applicant, line=line_code)
        run(other.url, f.LEADER, applications.create, **fields, requested=requested,
            submitted_on=submitted)  # fmt: skip

    events, messages = _written(world.url)
    created_events, created_messages = _written(other.url)
    assert len(events) == 4
    assert len(messages) > 3  # the leader, and TalentIT's applicant for its two
    assert [e[:5] for e in events] == [e[:5] for e in created_events]
    assert [e[5] for e in events] == [
        {**e[5], "source": "import:pipeline.csv"} for e in created_events
    ]
    assert messages == created_messages


def test_an_imported_chain_verifies(any_world, tmp_path):
    from kracht.workflow.services import auditing

    run(any_world.url, f.LEADER, import_csv, _csv(tmp_path, BODY))

    events, messages = _written(any_world.url)
    assert [(e[0], e[3], e[4], e[5]["source"]) for e in events] == [
        (t, "create", "idea", "import:pipeline.csv")
        for t in ("SmartView", "Maakplaatsen", "Derde", "Vierde")
    ]
    assert {m[0] for m in messages} == {"SmartView", "Maakplaatsen", "Derde", "Vierde"}
    assert run(any_world.url, f.AUDITOR, auditing.verify).intact


def _import_process(world, path, stderr):
    """`kracht app import` in its own process, its stderr to `stderr`; its stdout."""
    import os
    import subprocess
    import sys

    db = world.url.removeprefix("sqlite:///")
    command = [sys.executable, "-m", "kracht", "--db", db, "--as", f.LEADER, "app", "import"]
    process = subprocess.Popen(
        [*command, str(path)], stdout=subprocess.PIPE, stderr=stderr, env=os.environ
    )
    return process


def _rows(count):
    return "".join(f"Project {n},avt-2018,{f.TALENTIT},10,talent,\n" for n in range(count))


def test_the_progress_bar_is_drawn_on_a_terminal(world, tmp_path):
    import os

    path = _csv(tmp_path, _rows(2500))
    main, terminal = os.openpty()
    process = _import_process(world, path, terminal)
    os.close(terminal)
    drawn = b""
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:  # the terminal closed: the process has ended
            break
        if not chunk:
            break
        drawn += chunk
    os.close(main)
    out, _ = process.communicate(timeout=120)

    assert process.returncode == 0
    assert out == b"imported 2500 applications from pipeline.csv\n"
    assert b"importing pipeline.csv" in drawn
    assert b"100%" in drawn


def test_no_progress_bar_when_stderr_is_no_terminal(world, tmp_path):
    import subprocess

    process = _import_process(world, _csv(tmp_path, _rows(2500)), subprocess.PIPE)
    out, err = process.communicate(timeout=120)

    assert (process.returncode, err) == (0, b"")
    assert out == b"imported 2500 applications from pipeline.csv\n"
