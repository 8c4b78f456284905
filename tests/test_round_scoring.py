"""A committee member scores a round from one file (issue 16, point 6): `kracht scores template`
writes their own open sheets of a round, `kracht scores import` brings the file in, one
transaction per application, audited as single scoring is; a refused row is named and the
others go in, as `committee assign-round` and `scores open-round` go through a round."""

import csv
import datetime as dt
import io
import os

import pytest
import time_machine

from kracht.cli import main
from kracht.storage import audit, clock
from kracht.storage.database import session
from kracht.workflow import engine
from kracht.workflow.services import assignment, directory, score_sheets
from tests import factories as f
from tests.factories import make_application, run

ROUND = "2018-1"
KEYS = ("innovation", "cooperation", "business_commitment", "economic_impact",
        "regional_support", "future_proof")  # fmt: skip
HEADER = ["application", "title"] + [c for k in KEYS for c in (k, f"{k}_motivation")]


@pytest.fixture
def kracht(any_world, monkeypatch, capsys):
    url = any_world.url
    monkeypatch.setenv("KRACHT_DB", url.removeprefix("sqlite:///"))

    def call(*args, user=f.MEMBER):
        code = main(["--as", user, *args])
        out, err = capsys.readouterr()
        return code, out, err

    return call


@pytest.fixture
def round_open(any_world):
    """Two applications of the round with scoring open (the committee assigned, nobody has
    declared yet), one of the round still with the committee, and one of another round."""
    ids = [
        make_application(any_world, stage="kracht_scoring", title=f"Round project {n}",
                         round_label=ROUND)
        for n in (1, 2)
    ]  # fmt: skip
    waiting = make_application(any_world, stage="assessment_committee", round_label=ROUND)
    run(any_world.url, f.LEADER, assignment.assign, waiting, f.MEMBER)
    other = make_application(any_world, stage="kracht_scoring", round_label="2018-2")
    return ids, waiting, other


def _declare(world, app_id, member=f.MEMBER, conflict=None):
    run(world.url, member, assignment.declare, app_id, conflict)


def _trail(world):
    with session(world.url) as db:
        return audit.history(db)


def _since(world, trail):
    return [(e["actor"], e["action"], e["application_id"], e["outcome"])
            for e in _trail(world)[len(trail):]]  # fmt: skip


def _own(world, app_id, member=f.MEMBER):
    """The member's own sheet of the application: {criterion: (score, motivation)}, submitted."""
    sheet = run(world.url, member, score_sheets.view, app_id)["rounds"][-1].get("own_sheet")
    if sheet is None:
        return None
    scores = {k: (s["score"], s["motivation"]) for k, s in sheet["scores"].items()}
    return scores, sheet["submitted_at"] is not None


def _write(tmp_path, rows, header=HEADER, separator=",", encoding="utf-8", name="sheet.csv"):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=separator, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path = tmp_path / name
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def _row(app_id, name, value="4", **cells):
    """A filled row: `value` with a motivation for every criterion, `cells` in place of some."""
    filled = {"application": str(app_id), "title": name}
    for key in KEYS:
        filled[key], filled[f"{key}_motivation"] = value, f"{key}: well argued"
    filled.update(cells)
    return [filled.get(column, "") for column in HEADER]


def _read(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_the_template_holds_the_members_open_sheets_and_leaves_out_a_recusal(
    any_world, round_open, kracht, tmp_path
):
    (first, second), waiting, other = round_open
    _declare(any_world, first)
    _declare(any_world, second, conflict="I advise this applicant")
    run(any_world.url, f.MEMBER, score_sheets.score, first,
        {"innovation": ("3", "=HYPERLINK(\"http://evil.example\")")})  # fmt: skip

    code, out, err = kracht("scores", "template", ROUND, "-o", str(tmp_path / "mine.csv"))

    assert code == 0, err
    text = (tmp_path / "mine.csv").read_text(encoding="utf-8")
    assert text.splitlines()[0] == ",".join(HEADER)
    rows = _read(text)
    assert [(r["application"], r["title"]) for r in rows] == [(str(first), "Round project 1")]
    assert rows[0]["innovation"] == "3"
    assert rows[0]["innovation_motivation"] == '\'=HYPERLINK("http://evil.example")'  # as text
    assert rows[0]["cooperation"] == rows[0]["cooperation_motivation"] == ""
    assert f"left out application {second}: recused: declared a conflict of interest: I " in err
    assert f"left out application {waiting}: scoring is not open: it is assessment_committee" in err
    assert str(other) not in err + text  # another round's application is not this sheet's
    assert err.endswith(f"wrote your sheet of 1 application(s) to {tmp_path / 'mine.csv'}\n")


def test_the_template_reminds_a_member_who_has_not_declared_yet(round_open, kracht):
    (first, second), _, _ = round_open

    code, out, err = kracht("scores", "template", ROUND)

    assert code == 0, err
    assert [r["application"] for r in _read(out)] == [str(first), str(second)]
    assert f"`kracht committee declare {first} --none`" in err


def test_a_filled_template_goes_in_and_is_audited_as_single_scoring(
    any_world, round_open, kracht, tmp_path
):
    (first, second), _, _ = round_open
    _declare(any_world, first)
    _declare(any_world, second)
    kracht("scores", "template", ROUND, "-o", str(tmp_path / "mine.csv"))
    rows = _read((tmp_path / "mine.csv").read_text(encoding="utf-8"))
    for row, value in zip(rows, ("4", "2"), strict=True):
        for key in KEYS:
            row[key], row[f"{key}_motivation"] = value, f"=SUM({key})"  # a formula, as text
    path = _write(tmp_path, [list(r.values()) for r in rows])
    trail = _trail(any_world)

    code, out, err = kracht("scores", "import", ROUND, str(path), "--submit")

    assert code == 0, err
    assert _own(any_world, first) == ({k: (4, f"=SUM({k})") for k in KEYS}, True)
    assert _own(any_world, second) == ({k: (2, f"=SUM({k})") for k in KEYS}, True)
    assert _since(any_world, trail) == [
        (f.MEMBER, "score.draft", first, "ok"), (f.MEMBER, "score.submit", first, "ok"),
        (f.MEMBER, "score.draft", second, "ok"), (f.MEMBER, "score.submit", second, "ok"),
    ]  # fmt: skip
    drafted = [e for e in _trail(any_world) if e["action"] == "score.draft"]
    assert drafted[0]["payload"] == {"draft": dict.fromkeys(KEYS, 4)}  # as `score set` audits
    assert f"line 2, application {first}: set draft scores innovation 4, " in out
    assert out.count("submitted the sheet") == 2
    assert err == "sheet.csv: 2 of 2 row(s) brought in\n"
    # the same file again: every sheet submitted and given as it stands, nothing written
    trail = _trail(any_world)
    again = kracht("scores", "import", ROUND, str(path), "--submit")
    assert again[0] == 0, again[2]
    assert _since(any_world, trail) == []
    assert "the sheet was submitted already" in again[1]
    # the motivations go out as text again
    exported = kracht("scores", "export", "--round", ROUND, user=f.LEADER)[1]
    assert {r["motivation"] for r in _read(exported)} >= {"'=SUM(innovation)"}
    assert kracht("audit", "verify", user=f.LEADER)[0] == 0  # the chain holds the new events


def test_a_bad_row_is_named_by_line_and_column_and_the_others_go_in(
    any_world, round_open, kracht, tmp_path
):
    (first, second), _, _ = round_open
    _declare(any_world, first)
    _declare(any_world, second)
    path = _write(tmp_path, [
        _row(second, "Round project 2", cooperation="7"),
        _row(first, "Round project 1"),
    ])  # fmt: skip
    trail = _trail(any_world)

    code, out, err = kracht("scores", "import", ROUND, str(path))

    assert code == 1
    assert err == (
        f"kracht: line 2, application {second}: column cooperation: 7 is outside the scale 1-5\n"
        "sheet.csv: 1 of 2 row(s) brought in\n"
    )
    assert _own(any_world, second) is None  # its transaction wrote nothing
    assert _own(any_world, first) == ({k: (4, f"{k}: well argued") for k in KEYS}, False)
    assert _since(any_world, trail) == [(f.MEMBER, "score.draft", first, "ok")]
    fours = ", ".join(f"{k} 4" for k in KEYS)
    assert out == f"line 3, application {first}: set draft scores {fours}\n"


@pytest.mark.parametrize(
    ("cells", "problem"),
    [
        ({"innovation": "3,5"}, "column innovation: '3,5' is not a whole-number score"),
        ({"innovation": "4,0"}, "column innovation: '4,0' is not a whole-number score"),
        ({"innovation": "=4"}, "column innovation: '=4' is not a whole-number score"),
        ({"innovation_motivation": ""}, "column innovation_motivation: a score needs a written "
                                        "motivation"),
        ({"innovation": ""}, "column innovation: a motivation without a score; give the score, "
                             "or clear the column innovation_motivation"),
        ({"title": "Something else"}, "column title: application {app} is called 'Round "
                                      "project 1', not 'Something else'; keep each "
                                      "application's row as the template wrote it"),
        ({"innovation": "9", "cooperation": "0"}, "column innovation: 9 is outside the scale "
                                                  "1-5 (and 1 more)"),
    ],
)  # fmt: skip
def test_each_bad_cell_is_refused_as_score_refuses_it(
    any_world, round_open, kracht, tmp_path, cells, problem
):
    (first, _), _, _ = round_open
    _declare(any_world, first)
    path = _write(tmp_path, [_row(first, "Round project 1", **cells)], separator=";",
                  encoding="utf-8-sig")  # fmt: skip  # as Dutch Excel saves: a BOM, semicolons

    code, out, err = kracht("scores", "import", ROUND, str(path))

    assert code == 1
    assert err.splitlines()[0] == "sheet.csv: read as semicolon-separated text"
    assert err.splitlines()[1] == (
        f"kracht: line 2, application {first}: " + problem.format(app=first)
    )
    assert _own(any_world, first) is None


def test_a_row_the_member_may_not_score_is_refused_and_audited_as_score_refuses_it(
    any_world, round_open, kracht, tmp_path
):
    (first, second), waiting, other = round_open
    for app_id in (first, waiting):
        _declare(any_world, app_id)
    _declare(any_world, second, conflict="I advise this applicant")
    path = _write(tmp_path, [
        _row(first, "Round project 1"),
        _row(second, "Round project 2"),
        _row(waiting, "TalentIT Twente"),
        _row(other, "TalentIT Twente"),
        _row(99999, ""),
    ])  # fmt: skip
    trail = _trail(any_world)

    code, out, err = kracht("scores", "import", ROUND, str(path))

    assert code == 4  # the first refusal's exit code, after every row had its turn
    assert err.splitlines() == [
        f"kracht: line 3, application {second}: {f.MEMBER} is recused from application "
        f"{second}: declared a conflict of interest: I advise this applicant",
        f"kracht: line 4, application {waiting}: scoring is not open for application "
        f"{waiting}: it is assessment_committee",
        f"kracht: line 5, application {other}: column application: application {other} is not "
        f"of round {ROUND} but of 2018-2",
        "kracht: line 6, application 99999: no application 99999; `kracht app list` shows "
        "every application",
        "sheet.csv: 1 of 5 row(s) brought in",
    ]
    assert _since(any_world, trail) == [
        (f.MEMBER, "score.draft", first, "ok"),
        (f.MEMBER, "score.draft", second, "refused"),  # as `kracht score set` is refused
        (f.MEMBER, "score.draft", waiting, "refused"),
    ]


def test_a_submitted_sheet_is_not_changed_by_a_file(any_world, round_open, kracht, tmp_path):
    (first, _), _, _ = round_open
    f.score_sheet(any_world, first, f.MEMBER, value=4)
    path = _write(tmp_path, [_row(first, "Round project 1", value="5")])

    code, out, err = kracht("scores", "import", ROUND, str(path))

    assert code == 4
    assert f"kracht: line 2, application {first}: your score sheet is submitted and final; " \
           "use `kracht score correct`" in err  # fmt: skip
    assert {v for v, _ in _own(any_world, first)[0].values()} == {4}


def test_a_member_not_assigned_gets_no_template_and_each_row_refused(
    any_world, round_open, kracht, tmp_path
):
    (first, _), _, _ = round_open
    run(any_world.url, f.LEADER, directory.add_person, name="New Member",
        email="new.member@example.org", roles=["committee_member"])  # fmt: skip
    path = _write(tmp_path, [_row(first, "Round project 1")])

    template = kracht("scores", "template", ROUND, user="new.member@example.org")
    imported = kracht("scores", "import", ROUND, str(path), user="new.member@example.org")
    leader = kracht("scores", "template", ROUND, user=f.LEADER)

    assert template[0] == 1
    assert template[2] == (
        f"kracht: new.member@example.org has no score sheet to fill in in round {ROUND}: none "
        "is open for an application assigned to them\n"
    )
    assert imported[0] == 4
    assert imported[2].splitlines()[0] == (
        f"kracht: line 2, application {first}: new.member@example.org is not assigned to "
        f"application {first}"
    )
    assert leader[0] == 4  # scoring is a committee member's work


def test_a_dry_run_checks_every_row_and_writes_nothing(any_world, round_open, kracht, tmp_path):
    (first, second), _, _ = round_open
    _declare(any_world, first)
    _declare(any_world, second)
    path = _write(tmp_path, [
        _row(first, "Round project 1"),
        _row(second, "Round project 2", innovation="6"),
    ])  # fmt: skip
    trail = _trail(any_world)

    code, out, err = kracht("scores", "import", ROUND, str(path), "--submit", "--dry-run")

    assert code == 1
    assert f"line 2, application {first}: would set draft scores innovation 4, " in out
    assert "would submit the sheet" in out
    assert f"line 3, application {second}: column innovation: 6 is outside the scale" in err
    assert err.endswith("sheet.csv: 1 of 2 row(s) would go in (a dry run: nothing written)\n")
    assert _trail(any_world) == trail
    assert _own(any_world, first) is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("application,title,innovation,inovation_motivation\n1,x,4,y\n",
         "sheet.csv: line 1 has unknown column(s) inovation_motivation; known columns: "
         "application, title, innovation, innovation_motivation, cooperation,"),
        ("title,innovation\nx,4\n", "sheet.csv: line 1 lacks the column(s) application"),
        ("application,innovation,innovation_motivation\n1 OR 1=1,4,y\n",
         "sheet.csv: line 2, column application: application id: '1 OR 1=1' is not an id"),
        ("application,innovation,innovation_motivation\n{app},4,y\n{app},5,z\n",
         "sheet.csv: line 3, column application: application {app} is on line 2 already; give "
         "each application one row; nothing was imported"),
        ("application,innovation,innovation_motivation\n{app},4,y,extra\n",
         "sheet.csv: line 2 has 4 cells, but line 1 names 3 columns"),
        ("application,innovation,innovation_motivation\n{app},4," + "x" * 20_001 + "\n",
         "sheet.csv: line 2, column innovation_motivation: the cell holds 20,001 characters; a "
         "cell holds at most 20,000"),
        ("application,innovation\n" + "".join(f"{n},\n" for n in range(1, 1003)),
         "sheet.csv: line 1002: the file holds more than 1,000 rows"),
        ("application,innovation\n", "sheet.csv has no rows to import"),
    ],
)  # fmt: skip
def test_a_file_that_is_no_score_sheet_is_refused_whole_in_one_line(
    any_world, round_open, kracht, tmp_path, content, message
):
    (first, _), _, _ = round_open
    _declare(any_world, first)
    path = tmp_path / "sheet.csv"
    path.write_text(content.replace("{app}", str(first)), encoding="utf-8")
    trail = _trail(any_world)

    code, out, err = kracht("scores", "import", ROUND, str(path))

    assert code == 1
    assert err.startswith("kracht: " + message.replace("{app}", str(first)))
    assert err.count("\n") == 1
    assert _trail(any_world) == trail


def test_an_oversized_file_and_an_unknown_round_are_refused_in_one_line(
    any_world, round_open, kracht, tmp_path
):
    huge = tmp_path / "huge.csv"
    with huge.open("wb") as file:
        file.truncate(64 * 2**20 + 1)  # sparse: no 64 MiB written to the disk
    small = _write(tmp_path, [_row(1, "")])

    oversized = kracht("scores", "import", ROUND, str(huge))
    unknown = kracht("scores", "import", "1999-9", str(small))

    assert oversized[0] == 1
    assert oversized[2] == f"kracht: {huge} is larger than 64 MiB; give a smaller file\n"
    assert unknown[0] == 1
    assert unknown[2] == "kracht: no application is in round '1999-9'\n"
    assert os.path.getsize(huge) > 64 * 2**20


def test_after_the_deadline_the_template_leaves_a_sheet_out_and_its_row_is_refused(
    any_world, round_open, kracht, tmp_path
):
    (first, second), _, _ = round_open
    _declare(any_world, first)
    _declare(any_world, second)
    path = _write(tmp_path, [_row(first, "Round project 1")])
    late = clock.today() + dt.timedelta(days=31)
    trail = _trail(any_world)

    with time_machine.travel(dt.datetime.combine(late, dt.time(9)), tick=False):
        template = kracht("scores", "template", ROUND)
        imported = kracht("scores", "import", ROUND, str(path))

    assert template[0] == 1
    assert f"application {first}: the scoring deadline passed on {f.DEADLINE}" in template[2]
    assert imported[0] == 4
    assert imported[2].splitlines()[0] == (
        f"kracht: line 2, application {first}: the scoring deadline for application {first} "
        f"passed on {f.DEADLINE}"
    )
    assert _since(any_world, trail) == [(f.MEMBER, "score.draft", first, "refused")]


def test_a_past_round_recorded_afterwards_gives_its_template_as_score_set_takes_it(
    any_world, kracht
):
    app_id = make_application(any_world, stage="innovation_table", round_label="2018-9")
    f.prepare(any_world, app_id, "innovation_table")
    any_world.fire(app_id, "start_ecosystem_analysis")
    run(any_world.url, f.LEADER, engine.record, app_id, "assessment_committee",
        {"scoring_deadline": "2018-11-01"})  # fmt: skip
    for member in f.COMMITTEE:
        run(any_world.url, f.LEADER, assignment.assign, app_id, member)
    any_world.fire(app_id, "open_scoring", values={"scoring_opened_on": "2018-10-15"})
    _declare(any_world, app_id)

    code, out, err = kracht("scores", "template", "2018-9")

    assert code == 0, err
    assert [row["application"] for row in _read(out)] == [str(app_id)]
