"""The command line as users meet it: one-line errors, exit codes, JSON for scripts."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kracht.cli import main
from tests import factories as f
from tests.factories import make_application

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def kracht(world, monkeypatch, capsys):
    """Run `kracht ARGS` in-process against the seeded database; returns (exit, stdout, stderr)."""
    monkeypatch.setenv("KRACHT_DB", world.url.removeprefix("sqlite:///"))
    monkeypatch.setenv("KRACHT_USER", f.LEADER)

    def run(*args: str, user: str | None = None) -> tuple[int, str, str]:
        if user:
            monkeypatch.setenv("KRACHT_USER", user)
        code = main(list(args))
        out, err = capsys.readouterr()
        monkeypatch.setenv("KRACHT_USER", f.LEADER)
        return code, out, err

    return run


def test_help_does_not_import_the_heavy_libraries():
    probe = (
        "import cli, sys; print(sorted(m for m in ('sqlalchemy', 'sqlmodel', 'alembic', "
        "'jinja2', 'apscheduler', 'transitions') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "[]"


def test_the_installed_script_reports_a_user_mistake_in_one_line(tmp_path):
    kracht = Path(sys.executable).parent / "kracht"
    result = subprocess.run(
        [str(kracht), "--db", str(tmp_path / "none.db"), "app", "list"],
        capture_output=True,
        text=True,
    )

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"kracht: no kracht database at {tmp_path / 'none.db'}; create it with `kracht init`\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("app", "fire", "not-a-number", "approve"),
            "kracht: Invalid value for 'APPLICATION_ID': 'not-a-number' is not an id (ids are "
            "whole numbers from 1 to 2147483647) (see `kracht app fire --help`)\n",
        ),
        (
            ("app", "show", "abc"),
            "kracht: Invalid value for 'APPLICATION_ID': 'abc' is not an id (ids are whole "
            "numbers from 1 to 2147483647) (see `kracht app show --help`)\n",
        ),
        (
            ("app", "partner", "add", "1", "--org", "Saxion", "--hours", "abc"),
            "kracht: Invalid value for '--hours': 'abc' is not a whole number "
            "(see `kracht app partner add --help`)\n",
        ),
        (
            ("outbox", "list", "--status", "weird"),
            "kracht: Invalid value for '--status': 'weird' is not one of 'pending', 'sending', "
            "'sent', 'dead' (see `kracht outbox list --help`)\n",
        ),
        (
            ("app", "show"),
            "kracht: Missing argument 'APPLICATION_ID' (see `kracht app show --help`)\n",
        ),
        (("lisst",), "kracht: No such command 'lisst' (see `kracht --help`)\n"),
        (
            ("budget", "show", "--line"),
            "kracht: Option '--line' requires an argument (see `kracht budget show --help`)\n",
        ),
    ],
)
def test_usage_errors_are_one_line_naming_the_help_and_exit_2(kracht, args, message):
    assert kracht(*args) == (2, "", message)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("app", "list", "--as", f.LEADER),
            "kracht: --as goes before the command: kracht --as EMAIL app list ...\n",
        ),
        (
            ("app", "list", "--db=other.db"),
            "kracht: --db goes before the command: kracht --db PATH|URL app list ...\n",
        ),
        (
            ("outbox", "list", "--config", "kracht.toml"),
            "kracht: --config goes before the command: kracht --config FILE outbox list ...\n",
        ),
    ],
)
def test_a_global_option_after_the_command_is_told_to_go_before_it(kracht, args, message):
    assert kracht(*args) == (2, "", message)


def test_app_list_json_is_an_array_of_applications(kracht, world):
    app_id = make_application(world, stage="innovation_table")

    code, out, _ = kracht("app", "list", "--json")

    rows = json.loads(out)
    assert code == 0
    assert [(r["id"], r["title"], r["state"]) for r in rows] == [
        (app_id, "TalentIT Twente", "innovation_table")
    ]


def test_app_show_json_holds_the_whole_record(kracht, world):
    app_id = make_application(world, stage="monitoring")

    code, out, _ = kracht("app", "show", str(app_id), "--json")

    record = json.loads(out)
    assert code == 0
    assert record["state"] == "monitoring"
    assert record["requested_cents"] == 6438900
    assert record["stage_data"]["steering_decision"] == {"granted": 6438900}
    assert record["partners"][0]["organisation"] == f.BUSINESS
    assert record["indicators"][0]["target"] == "150"
    assert [o["trigger"] for o in record["next"]] == ["withdraw", "close"]


def test_fire_with_data_and_reason_from_the_command_line(kracht, world):
    app_id = make_application(world, stage="steering_decision")

    code, out, _ = kracht(
        "app",
        "fire",
        str(app_id),
        "approve",
        "--set",
        "granted=64.389,00",
        "--reason",
        "innovative",
        user=f.STEERING,
    )

    assert (code, out) == (0, f"application {app_id}: steering_decision -> monitoring (approve)\n")
    assert world.show(app_id)["stage_data"]["steering_decision"]["granted"] == 6438900


def test_advance_takes_the_next_step_on_the_main_road(kracht, world):
    app_id = make_application(world, stage="idea")

    code, out, _ = kracht("app", "advance", str(app_id), "--set", "quickscan=IT talent")

    assert (code, out) == (
        0,
        f"application {app_id}: idea -> innovation_table (present_at_table)\n",
    )


def test_guard_refusal_is_one_line_with_exit_5(kracht, world):
    app_id = make_application(world, stage="idea")

    code, out, err = kracht("app", "advance", str(app_id))

    assert (code, out) == (5, "")
    assert err == (
        f"kracht: cannot present_at_table application {app_id}: needs a quickscan of the idea\n"
    )


def test_record_reads_stage_data_from_toml_and_json_files(kracht, world, tmp_path):
    app_id = make_application(world, stage="innovation_table")
    (tmp_path / "table.toml").write_text('table_date = 2018-09-17\ntable_outcome = "aligned"\n')
    (tmp_path / "remarks.json").write_text('{"table_remarks": "fits the action line"}')

    first = kracht(
        "app",
        "record",
        str(app_id),
        "innovation_table",
        "--file",
        str(tmp_path / "table.toml"),
        user=f.TABLE_CHAIR,
    )
    second = kracht(
        "app", "record", str(app_id), "innovation_table", "--file", str(tmp_path / "remarks.json")
    )

    assert (first[0], second[0]) == (0, 0)
    assert world.show(app_id)["stage_data"]["innovation_table"] == {
        "table_date": "2018-09-17",
        "table_outcome": "aligned",
        "table_remarks": "fits the action line",
    }


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("nn.json", '{"quickscan": null}', "kracht: quickscan: no value given (null)\n"),
        (
            "yes.json",
            '{"quickscan": true}',
            "kracht: quickscan: true is a yes/no value, but quickscan takes a text\n",
        ),
        (
            "yes.toml",
            "quickscan = false\n",
            "kracht: quickscan: false is a yes/no value, but quickscan takes a text\n",
        ),
        ("notes.txt", "quickscan = 'fits'\n", "kracht: reading {tmp}/notes.txt: kracht reads "
         ".toml or .json files\n"),
    ],
)  # fmt: skip
def test_stage_data_files_give_values_not_null_or_yes_no_and_nothing_is_written(
    kracht, world, tmp_path, name, content, message
):
    app_id = make_application(world, stage="idea")
    (tmp_path / name).write_text(content)
    before = _counts(world)

    recorded = kracht("app", "record", str(app_id), "idea", "--file", str(tmp_path / name))
    after = _counts(world)
    advanced = kracht("app", "advance", str(app_id))

    assert recorded == (1, "", message.format(tmp=tmp_path))
    assert after == before
    assert advanced[:2] == (5, "")  # the guard still wants a quickscan


def test_a_date_field_refuses_a_date_and_time_and_nothing_is_written(kracht, world, tmp_path):
    app_id = make_application(world, stage="assessment_committee")
    (tmp_path / "deadline.toml").write_text("scoring_deadline = 2030-12-07T10:00:00\n")
    before = _counts(world)

    recorded = kracht("app", "record", str(app_id), "assessment_committee",
                      "--file", str(tmp_path / "deadline.toml"))  # fmt: skip

    assert recorded == (1, "", "kracht: scoring_deadline: 2030-12-07T10:00:00 is a time; "
                               "give a date (YYYY-MM-DD)\n")  # fmt: skip
    assert _counts(world) == before


def test_a_database_that_cannot_be_created_or_read_is_one_line(tmp_path, capsys):
    (tmp_path / "afile").write_text("not a folder")
    cases = {
        str(tmp_path / "afile" / "kracht.db"): f"kracht: cannot create a database at "
        f"{tmp_path}/afile/kracht.db: a file stands where its folder should be\n",
        "postgresql://u:secret@localhost:abc/x": "kracht: cannot read the database URL "
        "postgresql://...: check its host, port and name\n",
    }
    for db, message in cases.items():
        code = main(["--db", db, "--as", f.LEADER, "init"])
        assert (code, capsys.readouterr().err) == (1, message)
    assert [p.name for p in tmp_path.iterdir()] == ["afile"]


def test_a_condition_without_text_is_named_by_its_number(kracht, world):
    app_id = make_application(world, stage="steering_decision")
    before = _counts(world)

    result = kracht("decide", str(app_id), "approve-with-conditions", "--reason", "fits",
                    "--amount", "64389", "--condition", "2030-01-01", f.LEADER, "",
                    user=f.STEERING)  # fmt: skip

    assert result == (
        1,
        "",
        "kracht: conditions: condition 1 has no text; each condition needs a due date, an owner "
        "and a text\n",
    )
    assert _counts(world) == before


def test_scores_export_of_an_unknown_round_is_refused_like_the_ranking(kracht, world):
    from kracht.workflow.services.score_sheets import EXPORT_COLUMNS

    make_application(world, stage="innovation_table", round_label="2018-1")

    ranking = kracht("scores", "ranking", "--round", "nosuch")
    export = kracht("scores", "export", "--round", "nosuch")
    known = kracht("scores", "export", "--round", "2018-1")

    assert ranking == export == (1, "", "kracht: no scored applications in round 'nosuch'\n")
    assert known == (0, ",".join(EXPORT_COLUMNS) + "\n", "")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("people", "add", "--name", "X", "--email", "x@@example.org", "--role", "auditor"),
            "kracht: e-mail address 'x@@example.org' is not valid: The part after the @-sign "
            "contains invalid characters: '@'.\n",
        ),
        (
            (
                "app",
                "create",
                "--title",
                "X",
                "--programme",
                "avt-2018",
                "--applicant",
                f.TALENTIT,
                "--requested",
                "-100",
            ),
            "kracht: requested amount must not be negative (got '-100')\n",
        ),
        (
            (
                "app",
                "create",
                "--title",
                "X",
                "--programme",
                "avt-2018",
                "--applicant",
                f.TALENTIT,
                "--requested",
                "a lot",
            ),
            "kracht: requested amount: 'a lot' is not an amount in euros (write e.g. 64389 or "
            "64389.50)\n",
        ),
        (
            (
                "app",
                "create",
                "--title",
                "  ",
                "--programme",
                "avt-2018",
                "--applicant",
                f.TALENTIT,
            ),
            "kracht: title must not be empty\n",
        ),
        (
            ("app", "show", "999"),
            "kracht: no application 999; `kracht app list` shows every application\n",
        ),
        (
            ("app", "history", "999"),
            "kracht: no application 999; `kracht app list` shows every application\n",
        ),
        (
            ("org", "add", "--name", "Acme", "--type", "charity"),
            "kracht: organisation type 'charity' is not one of the four O's: business, education, "
            "research, government\n",
        ),
        (
            ("app", "list", "--state", "approved"),
            "kracht: unknown state 'approved'; states are: idea, innovation_table, "
            "ecosystem_analysis, assessment_committee, kracht_scoring, steering_decision, "
            "approved_with_conditions, monitoring, deferred, closed, rejected, withdrawn\n",
        ),
    ],
)
def test_bad_input_is_refused_in_one_line_and_nothing_is_written(kracht, world, args, message):
    before = _counts(world)

    code, out, err = kracht(*args)

    assert (code, out, err) == (1, "", message)
    assert _counts(world) == before


def _counts(world) -> dict[str, int]:
    """How many rows each table holds: "nothing was written" means none of these moved."""
    import sqlalchemy as sa
    from sqlmodel import SQLModel

    import kracht.storage.tables  # noqa: F401 - every table registered
    from kracht.storage.database import session

    with session(world.url) as db:
        return {
            name: db.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            for name, table in SQLModel.metadata.tables.items()
        }


def test_first_person_bootstraps_and_later_ones_need_a_programme_leader(tmp_path, capsys):
    db = str(tmp_path / "new.db")
    assert main(["--db", db, "init"]) == 0
    first = main(
        [
            "--db",
            db,
            "people",
            "add",
            "--name",
            "Aleid Diepeveen",
            "--email",
            f.LEADER,
            "--role",
            "programme_leader",
        ]
    )
    second = main(
        [
            "--db",
            db,
            "people",
            "add",
            "--name",
            "Eve",
            "--email",
            "eve@example.org",
            "--role",
            "auditor",
        ]
    )

    err = capsys.readouterr().err
    assert (first, second) == (0, 4)
    assert err == "kracht: say who you are: pass --as EMAIL or set KRACHT_USER\n"


def test_a_database_without_schema_or_server_is_named(tmp_path, capsys):
    (tmp_path / "empty.db").write_bytes(b"")

    no_schema = main(["--db", str(tmp_path / "empty.db"), "--as", f.LEADER, "app", "list"])
    no_server = main(
        ["--db", "postgresql://nobody@127.0.0.1:1/none", "--as", f.LEADER, "app", "list"]
    )

    err = capsys.readouterr().err.splitlines()
    assert (no_schema, no_server) == (1, 1)
    assert err[0].startswith("kracht: the database has no kracht schema (no such table")
    assert err[0].endswith("; run `kracht init`")
    assert err[1].startswith("kracht: cannot use the database: connection")


def test_a_file_that_is_not_a_database_is_named_and_left_untouched(tmp_path, capsys):
    reports = tmp_path / "reports.csv"
    reports.write_text("id,title\n1,TalentIT\n")

    listed = main(["--db", str(reports), "--as", f.LEADER, "app", "list"])
    initialised = main(["--db", str(reports), "init"])

    err = capsys.readouterr().err
    assert (listed, initialised) == (1, 1)
    assert err == 2 * f"kracht: {reports} is not a kracht database (it is not an SQLite file)\n"
    assert reports.read_text() == "id,title\n1,TalentIT\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports.csv"]


def test_a_damaged_database_file_is_named_in_one_line_and_left_untouched(tmp_path, capsys):
    damaged = tmp_path / "kracht.db"
    damaged.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)

    listed = main(["--db", str(damaged), "--as", f.LEADER, "app", "list"])
    initialised = main(["--db", str(damaged), "init"])

    err = capsys.readouterr().err
    assert (listed, initialised) == (1, 1)
    assert err == 2 * (
        "kracht: the database is damaged or not a kracht database "
        "(SQLite said: file is not a database)\n"
    )
    assert damaged.read_bytes() == b"SQLite format 3\x00" + b"\xff" * 4000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kracht.db"]


@pytest.mark.parametrize(
    ("db", "shown"),
    [
        ("http://example.org", "http://example.org"),
        ("mysql://x:secret@127.0.0.1/x", "mysql://x:***@127.0.0.1/x"),
        ("sqlite+pysqlite:///kracht.db", "sqlite+pysqlite:///kracht.db"),
    ],
)
@pytest.mark.parametrize("command", [("app", "list"), ("init",)])
def test_a_database_url_kracht_cannot_use_is_refused_naming_what_it_can(
    tmp_path, capsys, monkeypatch, db, shown, command
):
    monkeypatch.chdir(tmp_path)

    code = main(["--db", db, "--as", f.LEADER, *command])

    assert code == 1
    assert capsys.readouterr().err == (
        f"kracht: cannot use the database {shown}: kracht works with an SQLite file (a path or "
        "sqlite:///PATH) or PostgreSQL (postgresql://USER@HOST/DATABASE)\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_audit_verify_exits_0_when_intact_and_7_naming_the_broken_event(kracht, world):
    from tests.test_audit import _drop_guard_triggers, _raw

    make_application(world, stage="idea")
    intact = kracht("audit", "verify", user=f.AUDITOR)
    _drop_guard_triggers(world.url)
    _raw(world.url, "UPDATE audit_event SET reason = 'rewritten' WHERE seq = 4")
    broken = kracht("audit", "verify", user=f.AUDITOR)

    assert intact[0] == 0
    assert intact[1].startswith("audit trail intact: ")
    assert broken[0] == 7
    assert broken[2] == (
        "kracht: audit trail broken at event #4: its reason column does not match its "
        "stored bytes (altered); the 3 events before it verify\n"
    )


def test_audit_export_writes_a_file(kracht, world, tmp_path):
    make_application(world, stage="idea")

    code, _, err = kracht(
        "audit", "export", "--format", "csv", "-o", str(tmp_path / "a.csv"), user=f.AUDITOR
    )

    rows = (tmp_path / "a.csv").read_text().splitlines()
    assert code == 0
    assert err == f"wrote {len(rows) - 1} events to {tmp_path / 'a.csv'}\n"


def test_history_json_is_the_applications_timeline(kracht, world):
    app_id = make_application(world, stage="innovation_table")

    events = json.loads(kracht("app", "history", str(app_id), "--json")[1])

    assert [e["action"] for e in events][:2] == ["create", "record"]
    assert events[-1]["to_state"] == "innovation_table"
    assert {e["application_id"] for e in events} == {app_id}


def test_committee_scoring_through_the_command_line(kracht, world, tmp_path):
    app_id = make_application(world, stage="kracht_scoring")
    sheet = tmp_path / "scores.toml"
    sheet.write_text("".join(f'[{key}]\nscore = 4\nmotivation = "convincing"\n' for key in (
        "innovation", "cooperation", "business_commitment", "economic_impact",
        "regional_support", "future_proof")))  # fmt: skip

    neither = kracht("committee", "declare", str(app_id), user=f.MEMBER)
    declared = kracht("committee", "declare", str(app_id), "--none", user=f.MEMBER)
    drafted = kracht("score", "set", str(app_id), "--file", str(sheet), user=f.MEMBER)
    submitted = kracht("score", "submit", str(app_id), user=f.MEMBER)
    shown = kracht("scores", "show", str(app_id), "--json", user=f.MEMBER)

    assert neither[:2] == (1, "")
    assert neither[2] == "kracht: declare either --none or --conflict TEXT\n"
    assert declared[1] == f"declared none for application {app_id}\n"
    assert drafted[0] == submitted[0] == 0
    assert json.loads(shown[1])["rounds"][-1]["own_sheet"]["scores"]["innovation"]["score"] == 4


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("score = true\nmotivation = 'x'", "[innovation] score must be a number, not True"),
        ("score = 4\nmotivation = true", "[innovation] motivation must be a text, not True"),
        ("score = [4]\nmotivation = 'x'", "[innovation] score must be a number, not [4]"),
    ],
)
def test_a_score_file_with_a_yes_no_or_list_is_refused_and_nothing_is_drafted(
    kracht, world, tmp_path, entry, message
):
    app_id = make_application(world, stage="kracht_scoring")
    sheet = tmp_path / "scores.toml"
    sheet.write_text(f"[innovation]\n{entry}\n")
    kracht("committee", "declare", str(app_id), "--none", user=f.MEMBER)

    code, out, err = kracht("score", "set", str(app_id), "--file", str(sheet), user=f.MEMBER)
    shown = json.loads(kracht("scores", "show", str(app_id), "--json", user=f.MEMBER)[1])

    assert (code, out, err) == (1, "", f"kracht: scores.toml: {message}\n")
    assert "own_sheet" not in shown["rounds"][-1]  # no draft was started


def test_committee_assign_with_a_mistyped_member_assigns_nobody(kracht, world):
    app_id = make_application(world, stage="assessment_committee")

    code, out, err = kracht("committee", "assign", str(app_id), "--member", f.CHAIR,
                            "--member", "nobody@example.org")  # fmt: skip
    shown = kracht("committee", "show", str(app_id), "--json")

    assert (code, out) == (1, "")
    assert err == ("kracht: no person 'nobody@example.org'; add them with `kracht people add`; "
                   "nobody was assigned\n")  # fmt: skip
    assert json.loads(shown[1])["members"] == []


def test_advice_before_the_quorum_is_refused_in_one_line(kracht, world):
    app_id = make_application(world, stage="kracht_scoring")
    kracht("committee", "declare", str(app_id), "--none", user=f.CHAIR)

    code, out, err = kracht("advice", str(app_id), "positive", "--rationale", "fine",
                            user=f.CHAIR)  # fmt: skip

    assert (code, out) == (5, "")
    assert err == (f"kracht: cannot submit_advice application {app_id}: needs submitted score "
                   "sheets from 3 members (0 so far)\n")  # fmt: skip


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("import a folder", "kracht: {tmp} is a folder, not a file\n"),
        ("record from a folder", "kracht: {tmp} is a folder, not a file\n"),
        ("scores not in UTF-8", "kracht: {tmp}/scores.toml is not UTF-8 text\n"),
        ("stage data not in UTF-8", "kracht: {tmp}/table.toml is not UTF-8 text\n"),
        ("configuration not in UTF-8", "kracht: {tmp}/criteria.toml is not UTF-8 text\n"),
        (
            "scores to a missing folder",
            "kracht: cannot write {tmp}/nodir/x.csv: the folder {tmp}/nodir does not exist\n",
        ),
        (
            "audit to a missing folder",
            "kracht: cannot write {tmp}/nodir/x.jsonl: the folder {tmp}/nodir does not exist\n",
        ),
        ("audit to a folder", "kracht: cannot write {tmp}: it is a folder; name a file to write\n"),
        (
            "a baseline of a billion digits",
            "kracht: baseline: '1e999999999' is too large or too precise (at most 15 digits "
            "before the decimal point and 12 after)\n",
        ),
        (
            "a development cap that is no number",
            "kracht: criteria.toml: money.development_cap_percent must be a number from 0 to "
            "100, not 'abc'\n",
        ),
        (
            "a development cap above 100",
            "kracht: criteria.toml: money.development_cap_percent must be a number from 0 to "
            "100, not 100.5\n",
        ),
        (
            "an amount no budget can hold",
            "kracht: amount: '123456789012345678901234567' is more than kracht accepts "
            "(at most EUR 1,000,000,000,000.00)\n",
        ),
    ],
)
def test_a_users_mistake_with_files_and_numbers_is_one_line_and_writes_nothing(
    kracht, world, tmp_path, case, message
):
    from kracht.workflow.config import DEFAULT_FILE

    app_id = make_application(world, stage="innovation_table", round_label="2018-1")
    (tmp_path / "scores.toml").write_bytes(b'[innovation]\nscore = 4\nmotivation = "caf\xe9"\n')
    (tmp_path / "table.toml").write_bytes(b'table_outcome = "caf\xe9"\n')
    (tmp_path / "criteria.toml").write_bytes(b"label = 'caf\xe9'\n")
    if "development cap" in case:
        cap = "100.5" if "above" in case else '"abc"'
        (tmp_path / "criteria.toml").write_text(
            DEFAULT_FILE.read_text() + f"\n[money]\ndevelopment_cap_percent = {cap}\n"
        )
    a = str(app_id)
    args = {
        "import a folder": ("app", "import", str(tmp_path)),
        "record from a folder": ("app", "record", a, "idea", "--file", str(tmp_path)),
        "scores not in UTF-8": ("score", "set", a, "--file", str(tmp_path / "scores.toml")),
        "stage data not in UTF-8": (
            "app", "record", a, "innovation_table", "--file", str(tmp_path / "table.toml")
        ),
        "configuration not in UTF-8": (
            "programme", "configure", f.AVT_2018, "--file", str(tmp_path / "criteria.toml")
        ),
        "scores to a missing folder": (
            "scores", "export", "--round", "2018-1", "-o", str(tmp_path / "nodir" / "x.csv")
        ),
        "audit to a missing folder": ("audit", "export", "-o", str(tmp_path / "nodir/x.jsonl")),
        "audit to a folder": ("audit", "export", "-o", str(tmp_path)),
        "a baseline of a billion digits": (
            "app", "indicator", "add", a, "--name", "n", "--unit", "u", "--baseline",
            "1e999999999", "--target", "1", "--by", "2026-12-31",
        ),
        "a development cap that is no number": (
            "programme", "configure", f.AVT_2018, "--file", str(tmp_path / "criteria.toml")
        ),
        "a development cap above 100": (
            "programme", "configure", f.AVT_2018, "--file", str(tmp_path / "criteria.toml")
        ),
        "an amount no budget can hold": (
            "budget", "set", "--programme", f.AVT_2018, "--year", "2019", "--amount",
            "123456789012345678901234567",
        ),
    }[case]  # fmt: skip
    user = f.MEMBER if case.startswith("scores not") else f.AUDITOR if "audit" in case else None
    before = _counts(world)

    code, out, err = kracht(*args, user=user)

    assert (code, out, err) == (1, "", message.format(tmp=tmp_path))
    assert _counts(world) == before


def test_a_database_that_refuses_a_value_is_named_in_one_line():
    import sqlalchemy.exc

    from kracht.cli import _database_problem

    error = sqlalchemy.exc.DataError(
        "INSERT INTO budget ...", {}, Exception("integer out of range\nCONTEXT: ...")
    )

    assert _database_problem(error) == (
        "the database refused a value as out of range or malformed (integer out of range)"
    )


def test_the_requested_amount_is_recorded_from_the_command_line(kracht, world):
    code, out, _ = kracht(
        "app", "create", "--title", "Zorg", "--programme", f.AVT_2018, "--applicant", f.TALENTIT
    )
    app_id = int(out.split()[2].rstrip(":"))

    recorded = kracht("app", "record", str(app_id), "proposal", "--set", "requested=€ 64.389,00")
    shown = json.loads(kracht("app", "show", str(app_id), "--json")[1])
    fields = json.loads(kracht("workflow", "fields", "--json")[1])

    assert (code, recorded[0]) == (0, 0)
    assert recorded[1] == f"recorded requested on application {app_id} (version 2)\n"
    assert shown["requested_cents"] == 6438900
    assert {"stage": "proposal", "field": "requested", "kind": "money"}.items() <= next(
        row for row in fields if row["field"] == "requested"
    ).items()


def test_app_letter_json_gives_the_letter_as_written(kracht, world):
    app_id = make_application(world, stage="monitoring")

    code, out, _ = kracht("app", "letter", str(app_id), "--language", "en", "--json")
    text = kracht("app", "letter", str(app_id), "--language", "en")[1]

    assert code == 0
    assert json.loads(out) == {"application_id": app_id, "language": "en", "text": text}
    assert "EUR 64,389.00" in text


def test_output_that_cannot_be_written_is_one_line_not_a_trace(world):
    """A full disk behind standard output (here /dev/full, only written to) is the user's
    surroundings: one line on stderr and exit 1."""
    import os

    with open("/dev/full", "w") as full:  # noqa: PTH123 - a device, opened only to write to
        result = subprocess.run(
            [sys.executable, "-m", "cli", "--as", f.LEADER, "app", "list"],
            cwd=ROOT,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "KRACHT_DB": world.url.removeprefix("sqlite:///")},
            check=False,
        )

    assert (result.returncode, result.stderr) == (
        1,
        "kracht: cannot write the output: No space left on device\n",
    )


def test_history_reads_a_refusal_as_a_refusal_and_leaves_it_out_unless_asked(kracht, world):
    app_id = make_application(world, stage="idea")
    refused = kracht("app", "fire", str(app_id), "present_at_table")

    plain = kracht("app", "history", str(app_id))
    full = kracht("app", "history", str(app_id), "--with-refusals")
    every = json.loads(kracht("app", "history", str(app_id), "--json")[1])

    assert refused[0] == 5
    assert "present_at_table" not in plain[1]
    assert plain[2] == "1 refused attempt(s) left out; --with-refusals shows them\n"
    (line,) = [row for row in full[1].splitlines() if "present_at_table" in row]
    assert "present_at_table (refused)" in line
    assert "stayed in idea" in line
    assert "idea -> innovation_table" not in full[1]
    assert [e["outcome"] for e in every].count("refused") == 1
