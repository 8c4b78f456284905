"""Open data (issue 17, point 5): the awarded grants as a 360Giving Data Standard package, checked
against the standard's own schema (draft 2020-12, kept unchanged in tests/assets/360giving), and
as its flattened spreadsheet; organisations identified by their KvK numbers where known; no
personal data anywhere in what is published."""

import copy
import csv
import io
import json
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from openpyxl import load_workbook
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from kracht.basics.csv_safe import uncell
from kracht.basics.errors import InvalidInput, NotFound, NotPermitted
from kracht.cli import main
from kracht.storage import audit
from kracht.storage.database import session
from kracht.workflow.demo.build import run as build_demo
from kracht.workflow.demo.data import LEADER, ORGANISATIONS, PEOPLE
from kracht.workflow.services import directory, exports, open_data
from tests import factories as f
from tests.factories import make_application, run

SCHEMAS = Path(__file__).parent / "assets" / "360giving"


def _validator() -> Draft202012Validator:
    """The package schema, its `$ref` to the grant schema resolved to the local copy (never
    fetched: a registry without a retriever refuses any other address). The schemas name their
    dialect as http://json-schema.org/draft/2020-12/schema, an address `referencing` does not
    know (it knows https://...), so the grant schema is read as draft 2020-12 explicitly."""
    package = json.loads((SCHEMAS / "360-giving-package-schema.json").read_text())
    grant = DRAFT202012.create_resource(
        json.loads((SCHEMAS / "360-giving-schema.json").read_text())
    )
    referred = package["properties"]["grants"]["items"]["$ref"]  # the 1.4.2 address
    registry = Registry().with_resources([(referred, grant), (grant.id(), grant)])
    return Draft202012Validator(
        package, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


VALIDATOR = _validator()


def _problems(document) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in VALIDATOR.iter_errors(document)]


def _export(url, fmt="json", actor=f.LEADER, **chosen) -> bytes:
    data, _ = run(url, actor, open_data.export_360, fmt=fmt, **chosen)
    return data


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo database (read only below), its package as published and its CSV."""
    path = build_demo(str(tmp_path_factory.mktemp("demo") / "demo.db"), echo=lambda _: None)
    url = f"sqlite:///{path}"
    return url, json.loads(_export(url, actor=LEADER)), _export(url, "csv", actor=LEADER)


def test_the_demo_export_validates_against_the_360giving_schema(demo):
    url, package, _ = demo
    granted = {
        r["title"]: r["granted_cents"]
        for r in run(url, LEADER, exports.rows, "applications")
        if r["granted_cents"]
    }

    assert _problems(package) == []
    assert package["version"] == "1.4"
    assert {g["title"]: g["amountAwarded"] for g in package["grants"]} == {
        title: float(Decimal(cents).scaleb(-2)) for title, cents in granted.items()
    }
    assert [g["id"] for g in package["grants"]] == [f"360G-kracht-{i}" for i in range(1, 6)]
    assert {g["awardDate"] for g in package["grants"]} == {"2018-12-13", "2018-10-31"}
    assert {g["currency"] for g in package["grants"]} == {"EUR"}
    assert {g["grantProgramme"][0]["code"] for g in package["grants"]} == {"avt-2018"}


def test_an_invalid_record_is_caught_by_the_schema(demo):
    _, package, _ = demo
    broken = copy.deepcopy(package)
    broken["grants"][0]["amountAwarded"] = "64389"  # a text, not a number
    del broken["grants"][1]["id"]
    broken["grants"][2]["currency"] = "euro"
    broken["grants"][3]["awardDate"] = "13 december 2018"

    found = _problems(broken)

    assert "['grants', 0, 'amountAwarded']: '64389' is not of type 'number'" in found
    assert any(p.startswith("['grants', 1]: ") for p in found)  # neither way to be a grant
    assert any(p.startswith("['grants', 2, 'currency']: 'euro' is not one of") for p in found)
    assert any(p.startswith("['grants', 3, 'awardDate']") for p in found)
    assert len(found) == 4
    assert _problems({"version": "1.4", "grants": []})  # a package holds at least one grant


def test_no_person_and_no_email_address_is_published(demo):
    url, package, text = demo
    workbook = _export(url, "xlsx", actor=LEADER)
    cells = [
        str(c.value) for row in load_workbook(io.BytesIO(workbook)).active.iter_rows() for c in row
    ]
    published = [json.dumps(package, ensure_ascii=False), text.decode(), "\n".join(cells)]

    for form in published:
        assert "@" not in form
        for name, email, *_ in PEOPLE:
            assert name not in form
            assert email not in form
        assert "motivation" not in form
        assert "condition" not in form


def test_the_year_and_the_programme_choose_the_grants(demo):
    url, package, _ = demo

    in_2018 = json.loads(_export(url, actor=LEADER, year=2018, programme="avt-2018"))
    with pytest.raises(InvalidInput) as none_in_2019:
        _export(url, actor=LEADER, year=2019)
    with pytest.raises(InvalidInput) as none_in_2023:
        _export(url, actor=LEADER, programme="avt-2023")
    with pytest.raises(NotFound):
        _export(url, actor=LEADER, programme="avt-2030")

    assert in_2018["grants"] == package["grants"]
    assert str(none_in_2019.value) == (
        "no grant was awarded in 2019; a 360Giving file holds at least one grant"
    )
    assert str(none_in_2023.value).startswith("no grant was awarded of avt-2023;")


def test_the_csv_is_the_flattened_form_and_reads_back_as_the_package(demo):
    _, package, text = demo

    rows = list(csv.reader(io.StringIO(text.decode("utf-8"), newline="")))
    header, body = rows[0], [[uncell(c) for c in row] for row in rows[1:]]
    by_title = dict(zip(header, body[0], strict=True))

    assert tuple(header) == open_data.COLUMNS
    assert len(body) == len(package["grants"])
    for grant, row in zip(package["grants"], body, strict=True):
        planned = grant.get("plannedDates", [{}])[0]
        assert row == [
            grant["id"], grant["title"], grant["description"], "EUR",
            f"{Decimal(str(grant['amountAwarded'])):.2f}", grant["awardDate"],
            grant["recipientOrganization"][0]["id"], grant["recipientOrganization"][0]["name"],
            grant["fundingOrganization"][0]["id"], grant["fundingOrganization"][0]["name"],
            "avt-2018", "Agenda voor Twente 2018-2022", planned.get("startDate", ""),
            planned.get("endDate", ""), grant["dateModified"],
        ]  # fmt: skip
    assert by_title["Amount Awarded"] == "64389.00"


def test_kvk_numbers_identify_recipients_and_are_audited(any_world):
    app_id = make_application(any_world, stage="monitoring")
    run(any_world.url, f.LEADER, directory.set_org_contact, f.TALENTIT, "info@talentit.example.org")

    unknown = json.loads(_export(any_world.url))["grants"][0]["recipientOrganization"][0]
    known = run(any_world.url, f.LEADER, directory.identify_org, f.TALENTIT, " 41031823 ")
    package = json.loads(_export(any_world.url))
    cleared = run(any_world.url, f.LEADER, directory.identify_org, f.TALENTIT, None)
    with session(any_world.url) as db:
        events = [e for e in audit.history(db) if e["action"] == "org.identify"]
    orgs = run(any_world.url, f.LEADER, directory.list_orgs)

    assert unknown["id"].startswith("360G-kracht-org-")
    assert (known["kvk"], cleared["kvk"]) == ("41031823", None)
    assert package["grants"][0]["id"] == f"360G-kracht-{app_id}"
    assert package["grants"][0]["recipientOrganization"] == [
        {"id": "NL-KVK-41031823", "name": f.TALENTIT}
    ]
    assert _problems(package) == []
    assert "@" not in json.dumps(package)  # the organisation's address is not published
    assert [e["payload"]["previous_kvk"] for e in events] == [None, "41031823"]
    assert {o["name"]: o["kvk"] for o in orgs}[f.TALENTIT] is None


@pytest.mark.parametrize(
    "number",
    ["1234567", "123456789", "1234567a", "１２３４５６７８", "1234 5678", "NL41031823", ""],
)
def test_a_kvk_number_is_exactly_eight_digits(world, number):
    with pytest.raises(InvalidInput) as refused:
        run(world.url, f.LEADER, directory.identify_org, f.TALENTIT, number)
    with pytest.raises(InvalidInput):
        run(world.url, f.LEADER, directory.add_org, name="Nieuw", o_type="business", kvk=number)
    orgs = {o["name"]: o["kvk"] for o in run(world.url, f.LEADER, directory.list_orgs)}

    assert refused.value.field == "kvk"
    assert "give exactly 8 digits" in str(refused.value)
    assert orgs[f.TALENTIT] is None
    assert "Nieuw" not in orgs


def test_the_command_line_sets_kvk_numbers_and_writes_the_files(
    world, monkeypatch, capsys, tmp_path
):
    monkeypatch.setenv("KRACHT_DB", world.url.removeprefix("sqlite:///"))
    monkeypatch.setenv("KRACHT_USER", f.LEADER)
    make_application(world, stage="monitoring")

    added = main(["org", "add", "--name", "Nieuw BV", "--type", "business", "--kvk", "12345678"])
    identified = main(["org", "identify", f.TALENTIT, "--kvk", "41031823"])
    out = capsys.readouterr().out
    bad = main(["org", "identify", f.TALENTIT, "--kvk", "4103"])
    err = capsys.readouterr().err
    neither = main(["org", "identify", f.TALENTIT])
    err_neither = capsys.readouterr().err
    codes = [
        main(["export", "360giving", "--format", fmt, "-o", str(tmp_path / f"grants.{fmt}")])
        for fmt in ("json", "csv", "xlsx")
    ]
    wrote = capsys.readouterr().err
    to_terminal = main(["export", "360giving", "--format", "xlsx"])
    err_xlsx = capsys.readouterr().err

    assert (added, identified, bad, neither, to_terminal) == (0, 0, 1, 1, 1)
    assert f"{f.TALENTIT}: KvK 41031823" in out
    assert err.startswith("kracht: KvK number (--kvk) '4103' is not a Chamber of Commerce number")
    assert len(err.splitlines()) == 1
    assert err_neither == "kracht: give either --kvk NUMBER or --clear\n"
    assert codes == [0, 0, 0]
    assert wrote.count("wrote 1 grants to") == 3
    assert "--output" in err_xlsx
    package = json.loads((tmp_path / "grants.json").read_text())
    assert _problems(package) == []
    assert package["grants"][0]["recipientOrganization"][0]["id"] == "NL-KVK-41031823"
    sheet = load_workbook(tmp_path / "grants.xlsx").active
    assert [c.value for c in sheet[1]] == list(open_data.COLUMNS)
    assert sheet.cell(2, 5).value == 64389


HOSTILE_TITLE = '=HYPERLINK("http://evil.example","klik")'
HOSTILE_TEXT = "<script>alert('x')</script> & +cmd|' /C calc'!A0"


def test_hostile_text_in_a_title_stays_data_in_every_form(any_world):
    make_application(any_world, stage="monitoring", title=HOSTILE_TITLE, description=HOSTILE_TEXT)

    package = json.loads(_export(any_world.url))
    text = _export(any_world.url, "csv").decode()
    workbook = _export(any_world.url, "xlsx")
    sheet = load_workbook(io.BytesIO(workbook)).active
    (row,) = list(csv.reader(io.StringIO(text, newline="")))[1:]
    with zipfile.ZipFile(io.BytesIO(workbook)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()

    assert (package["grants"][0]["title"], package["grants"][0]["description"]) == (
        HOSTILE_TITLE,
        HOSTILE_TEXT,
    )
    assert _problems(package) == []
    assert row[1] == "'" + HOSTILE_TITLE
    assert uncell(row[1]) == HOSTILE_TITLE
    assert row[2] == HOSTILE_TEXT  # no formula start: a cell as it is
    assert (sheet.cell(2, 2).value, sheet.cell(2, 2).data_type) == (HOSTILE_TITLE, "s")
    assert sheet.cell(2, 3).value == HOSTILE_TEXT
    assert "<f>" not in xml  # not one formula in the workbook


def test_the_publisher_and_prefix_come_from_the_settings(world, monkeypatch, tmp_path):
    make_application(world, stage="monitoring")
    path = tmp_path / "kracht.toml"
    path.write_text(
        '[open_data]\nprefix = "360G-twenteboard"\npublisher_id = "NL-KVK-87654321"\n'
        'publisher_name = "Twente Board"\n'
    )
    monkeypatch.setenv("KRACHT_CONFIG", str(path))

    grant = json.loads(_export(world.url))["grants"][0]
    monkeypatch.setenv("KRACHT_360G_PREFIX", "360G-avt")
    from_environment = json.loads(_export(world.url))["grants"][0]
    path.write_text('[open_data]\nprefix = "twente"\n')
    monkeypatch.delenv("KRACHT_360G_PREFIX")
    with pytest.raises(InvalidInput) as refused:
        _export(world.url)

    assert grant["id"].startswith("360G-twenteboard-")
    assert grant["fundingOrganization"] == [{"id": "NL-KVK-87654321", "name": "Twente Board"}]
    assert grant["recipientOrganization"][0]["id"].startswith("360G-twenteboard-org-")
    assert from_environment["id"].startswith("360G-avt-")
    assert str(refused.value).startswith("settings: [open_data] prefix 'twente' must be")


def test_only_those_who_see_every_application_export_it(world):
    make_application(world, stage="monitoring")

    with pytest.raises(NotPermitted):
        _export(world.url, actor=f.APPLICANT)

    assert _export(world.url, actor=f.AUDITOR)


def test_the_demo_gives_no_organisation_a_kvk_number(demo):
    url, package, _ = demo
    orgs = run(url, LEADER, directory.list_orgs)

    assert len(orgs) == len(ORGANISATIONS)
    assert {o["kvk"] for o in orgs} == {None}  # the documents give none; none is invented
    assert not any(g["recipientOrganization"][0]["id"].startswith("NL-") for g in package["grants"])
