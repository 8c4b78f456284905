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
