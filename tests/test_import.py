"""Importing a pipeline spreadsheet: every row is checked first, and a bad row writes nothing."""

import pytest

from tests import factories as f
from workflow import applications
from workflow.errors import InvalidInput
from workflow.importer import import_csv

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

    created = import_csv(world.url, f.LEADER, path)

    rows = applications.list_all(world.url, f.LEADER)
    assert [c["title"] for c in created] == ["SmartView", "Twentse Maakplaatsen"]
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
            "pipeline.csv: line 3, column applicant: no organisation 'Unknown BV' (add it with "
            "`kracht org add`); nothing was imported",
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
        import_csv(world.url, f.LEADER, path)

    assert str(error.value) == message
    assert applications.list_all(world.url, f.LEADER) == []


def test_unknown_or_missing_columns_are_refused(world, tmp_path):
    with pytest.raises(InvalidInput) as missing:
        import_csv(world.url, f.LEADER, _csv(tmp_path, "X\n", header="title\n"))
    with pytest.raises(InvalidInput) as unknown:
        import_csv(world.url, f.LEADER, _csv(tmp_path, "", header=HEADER.strip() + ",colour\n"))

    assert str(missing.value) == (
        "pipeline.csv: line 1 lacks the column(s) programme, applicant, requested"
    )
    assert str(unknown.value).startswith("pipeline.csv: line 1 has unknown column(s) colour;")


def test_an_applicant_imports_only_for_their_own_organisation(world, tmp_path):
    path = _csv(tmp_path, f"X,avt-2018,{f.OTHER_APPLICANT},10,talent,\n")

    with pytest.raises(InvalidInput) as error:
        import_csv(world.url, f.APPLICANT, path)

    assert "column applicant" in str(error.value)
    assert "another organisation's application" in str(error.value)
