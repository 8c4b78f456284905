"""Bringing in a running programme (issue 16, point 4): decided, granted and monitored
applications from one spreadsheet, in one transaction, the whole file refused on one bad row
(named by line and column), recorded as an import with the file's SHA-256; and the result equals
the same history entered by hand, figure for figure."""

import csv
import datetime as dt
import hashlib
import io
import shutil

import pytest
from sqlmodel import select

from kracht.basics.errors import InvalidInput, NotPermitted
from kracht.basics.euros import format_euros
from kracht.cli import main
from kracht.notifications.reminders import OPEN
from kracht.storage import audit, clock
from kracht.storage.database import session
from kracht.storage.tables import (
    Application,
    ApplicationPartner,
    AuditEvent,
    DecisionLetter,
    GrantAllocation,
    GrantCondition,
    Indicator,
    OutboxMessage,
    ProgressReport,
    Reminder,
    ReportSchedule,
)
from kracht.workflow import engine
from kracht.workflow.config import default_document
from kracht.workflow.services import (
    applications,
    approval_conditions,
    budgets,
    decisions,
    directory,
)
from kracht.workflow.services.running_import import import_running
from tests import factories as f
from tests.factories import run

HEADER = ["title", "programme", "applicant", "requested", "description", "budget_total", "state",
          "line", "submitted_on", "decided_on", "decision_reason", "granted", "budget_year",
          "conditions", "conditions_met", "deferred_until", "partners", "indicators"]  # fmt: skip
CONDITIONS = (f"2019-01-31|{f.LEADER}|show the 2019 implementation plan\n"
              f"2019-03-31|{f.LEADER}|broaden the work to the whole region")  # fmt: skip
ROWS = [
    {"title": "TalentIT Twente", "requested": "64389", "state": "monitoring",
     "decided_on": "2018-12-13", "decision_reason": "several O's cooperate", "granted": "64389",
     "partners": "Port of Twente|co-financing|time|2000\nSaxion|partner|knowledge",
     "indicators": "students placed|students|0|150|2022-12-31"},
    {"title": "Novel-T 2019", "requested": "1335000", "state": "approved_with_conditions",
     "decided_on": "2018-10-31", "decision_reason": "on the 2019 implementation plan",
     "granted": "1.335.000", "budget_year": "2019", "conditions": CONDITIONS,
     "conditions_met": "1|2019-01-20|plan received, a paragraph per table",
     "partners": "Port of Twente|co-financing|money|19.720,50",
     "indicators": "companies accelerated|companies|0|100|2022-12-31"},
    {"title": "Twentebranding 2019", "requested": "250000", "state": "monitoring",
     "decided_on": "2018-10-31", "decision_reason": "visibility of the region",
     "granted": "200000", "conditions": CONDITIONS,
     "conditions_met": "2|2019-03-15|regional plan\n1|2019-01-25|plan received",
     "partners": "Port of Twente|co-financing|knowledge",
     "indicators": "campaigns|count|0|4|2019-12-31"},
    {"title": "RIF / ROC van Twente 2018", "requested": "100000", "state": "deferred",
     "decided_on": "2018-10-31", "decision_reason": "more parties are needed",
     "deferred_until": "2019-01-01"},
    {"title": "Smart Region", "requested": "80000", "state": "rejected",
     "decided_on": "2018-12-13", "decision_reason": "no business commitment"},
    {"title": "Twentse Maakplaatsen", "requested": "90000", "state": "steering_decision"},
]  # fmt: skip
COMMON = {"programme": f.AVT_2018, "applicant": f.TALENTIT, "description": "a plan for the region",
          "budget_total": "3000000", "line": "talent", "submitted_on": "2018-09-17"}  # fmt: skip


def _sheet(tmp_path, rows, name="running.csv", separator=","):
    out = io.StringIO()
    writer = csv.DictWriter(out, HEADER, delimiter=separator, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({**COMMON, **row})
    path = tmp_path / name
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


PERIOD = {"from": "2018-01-10", "name": "AvT 2018-2022", "reason": "before the 2020 strategy",
          "waive": ["co_financing_business", "smart_indicators"]}  # fmt: skip
BEFORE = {"key": "before", "name": "Decided before kracht", "lines": ["talent"],
          "stages": ["idea", "steering_decision"], "reason": "entered afterwards"}  # fmt: skip


def _prepared(world, *tracks):
    """The programme's budgets for the years the decisions charge, its rules of 2018 (no
    co-financing business or SMART indicators needed yet) and the `tracks` given."""
    for year in (2018, 2019):
        run(world.url, f.LEADER, budgets.set_budget, programme=f.AVT_2018, year=year,
            amount="5000000")  # fmt: skip
    document = {**default_document(), "periods": [PERIOD], "tracks": list(tracks)}
    run(world.url, f.LEADER, directory.configure_programme, f.AVT_2018, document=document)
    return world


def _snapshot(url):
    """Every figure an application's history leaves, by application title (ids and times left
    out): its record, partners, indicators, grants, conditions, letters, schedule, reminders."""
    with session(url) as db:
        apps = {a.id: a for a in db.exec(select(Application)).all()}
        title = {i: a.title for i, a in apps.items()}

        def rows(table, *columns):
            return sorted((title[r.application_id], *(_utc(getattr(r, c)) for c in columns))
                          for r in db.exec(select(table)).all())  # fmt: skip

        return {
            "applications": sorted(
                (
                    a.title,
                    a.state,
                    a.previous_state,
                    a.requested_cents,
                    a.submitted_on,
                    a.round,
                    a.description,
                )
                for a in apps.values()
            ),  # fmt: skip
            "partners": rows(
                ApplicationPartner,
                "organisation_id",
                "co_financing",
                "commitment",
                "amount_cents",
                "hours",
            ),  # fmt: skip
            "indicators": rows(Indicator, "name", "unit", "baseline", "target", "target_date"),
            "grants": rows(GrantAllocation, "year", "amount_cents", "budget_id"),
            "conditions": rows(
                GrantCondition, "number", "text", "due_on", "owner_id", "evidence", "met_by"
            ),  # fmt: skip
            "met_on": sorted(
                (title[c.application_id], c.number, c.met_at and clock.local(c.met_at).date())
                for c in db.exec(select(GrantCondition)).all()
            ),  # fmt: skip
            # signed by whoever entered the decision: the steering member by hand, the
            # programme leader recording for the steering committee in the import
            "letters": sorted(
                (
                    title[x.application_id],
                    x.trigger,
                    x.language,
                    x.text.replace("Aleid Diepeveen", "Steering Member"),
                )
                for x in db.exec(select(DecisionLetter)).all()
            ),  # fmt: skip
            "schedule": rows(
                ReportSchedule, "every_months", "due_months_after", "starts_on", "ends_on"
            ),  # fmt: skip
            "reports": rows(
                ProgressReport, "kind", "label", "period_start", "period_end", "due_on", "status"
            ),  # fmt: skip
            # the import does not chase what fell due before kracht (see the test below)
            "reminders": rows(Reminder, "kind", "due_at", "remind_at", "recipient"),
            "budgets": run(url, f.LEADER, budgets.budget_overview, f.AVT_2018)["budgets"],
        }


def _utc(value):
    """A moment as UTC whichever database stored it (SQLite keeps no time zone)."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    return value


def _by_hand(world):
    """The same history entered by hand, on a track straight to the steering committee: each
    application as the programme leader and the steering committee enter it."""
    for row in ROWS:
        row = {**COMMON, **row}
        app_id = run(world.url, f.LEADER, applications.create, title=row["title"],
                     programme=row["programme"], applicant=row["applicant"],
                     requested=row["requested"], line=row["line"],
                     description=row["description"],
                     submitted_on=row["submitted_on"])["id"]  # fmt: skip
        for item in filter(None, (row.get("partners") or "").splitlines()):
            name, role, commitment, *extent = item.split("|")
            run(world.url, f.LEADER, applications.add_partner, app_id, organisation=name,
                co_financing=role == "co-financing", commitment=commitment,
                amount=extent[0].replace(".", "").replace(",", ".") if commitment == "money"
                else None, hours=int(extent[0]) if commitment == "time" else None)  # fmt: skip
        for item in filter(None, (row.get("indicators") or "").splitlines()):
            name, unit, baseline, target, day = item.split("|")
            run(world.url, f.LEADER, applications.add_indicator, app_id, name=name,
                measured_in=unit, baseline=baseline, target=target, target_date=day,
                source="import:running.csv")  # fmt: skip
        run(
            world.url,
            f.LEADER,
            engine.record,
            app_id,
            "proposal",
            {"proposal_summary": row["description"], "budget_total": row["budget_total"]},
        )
        run(world.url, f.LEADER, engine.record, app_id, "idea", {"quickscan": "afterwards"})
        world.fire(app_id, "present_at_table")
        _decide_by_hand(world, app_id, row)


def _decide_by_hand(world, app_id, row):
    outcome = {"monitoring": "approve", "approved_with_conditions": "approve_with_conditions",
               "rejected": "reject", "deferred": "defer"}.get(row["state"])  # fmt: skip
    if outcome is None:
        return
    if outcome == "approve" and row.get("conditions"):
        outcome = "approve_with_conditions"
    conditions = [tuple(c.split("|")) for c in (row.get("conditions") or "").splitlines()]
    run(world.url, f.STEERING, decisions.decide, app_id, outcome, reason=row["decision_reason"],
        amount=row["granted"].replace(".", "") if row.get("granted") else None,
        year=int(row["budget_year"]) if row.get("budget_year") else None,
        conditions=conditions or None, deferred_until=row.get("deferred_until") or None,
        decided_on=row["decided_on"])  # fmt: skip
    met = sorted(m.split("|") for m in (row.get("conditions_met") or "").splitlines())
    for number, day, evidence in met:
        run(world.url, f.LEADER, approval_conditions.meet_condition, app_id, int(number),
            evidence, day)  # fmt: skip
    if row["state"] == "monitoring" and met:
        world.fire(app_id, "conditions_met", reason="every condition met")


def test_a_running_programme_comes_in_as_it_would_by_hand_figure_for_figure(
    any_world, tmp_path, sqlite_template
):
    world = _prepared(any_world)
    path = _sheet(tmp_path, ROWS)
    with session(world.url) as db:
        messages_before = max([m.id for m in db.exec(select(OutboxMessage)).all()] or [0])

    result = run(world.url, f.LEADER, import_running, path)

    assert [(a["title"], a["state"]) for a in result["applications"]] == [
        (r["title"], r["state"]) for r in ROWS]  # fmt: skip
    assert result["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    shutil.copyfile(sqlite_template, tmp_path / "by-hand.db")
    hand = _prepared(f.seed(f"sqlite:///{tmp_path / 'by-hand.db'}"), BEFORE)
    _by_hand(hand)
    imported, entered = _snapshot(world.url), _snapshot(hand.url)
    for part in imported:
        assert imported[part] == entered[part], part
    assert all(imported[part] for part in ("grants", "conditions", "schedule", "reports"))
    with session(world.url) as db:  # nothing was sent but the notice of the import
        new = db.exec(select(OutboxMessage).where(OutboxMessage.id > messages_before)).all()
        chased = db.exec(select(Reminder).where(Reminder.status.in_(OPEN))).all()
        cancelled = db.exec(select(Reminder).where(Reminder.status == "cancelled")).all()
    assert sorted((m.event, m.recipient) for m in new) == [
        ("running_import", f.AUDITOR), ("running_import", f.STEERING)]  # fmt: skip
    steering = next(m for m in new if m.recipient == f.STEERING)
    assert steering.subject == "Lopend programma ingebracht: 6 aanvragen uit running.csv"
    assert result["sha256"] in steering.text
    assert "€ 1.599.389,00 toegekend" in steering.text  # 64.389 + 1.335.000 + 200.000
    now = clock.now()
    assert all(_utc(r.due_at) >= now for r in chased)  # what fell due before is not chased
    assert cancelled
    assert all(_utc(r.due_at) < now for r in cancelled)


def test_the_trail_records_the_import_with_the_files_sha256_and_every_step_names_it(
    world, tmp_path
):
    _prepared(world)
    path = _sheet(tmp_path, ROWS[:2])

    result = run(world.url, f.LEADER, import_running, path)

    with session(world.url) as db:
        row = db.exec(select(AuditEvent).where(AuditEvent.seq == result["event"])).one()
        opening = audit.as_dict(row)
        trail = audit.history(db, result["applications"][0]["id"])
    assert opening["action"] == "import.running"
    assert audit.without_salt(opening["payload"]) == {
        "file": "running.csv",
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "rows": 2,
    }
    passed = [e for e in trail if e["action"] == "fire" and e["to_state"] != "monitoring"]
    assert [e["from_state"] for e in passed] == [
        "idea",
        "innovation_table",
        "ecosystem_analysis",
        "assessment_committee",
        "kracht_scoring",
    ]
    named = f"import #{result['event']} (running.csv, SHA-256 {result['sha256']})"
    assert [e["from_state"] for e in passed[1:] if named in e["reason"]] == [
        "innovation_table", "assessment_committee", "kracht_scoring"]  # fmt: skip
    assert passed[0]["reason"] == f"brought in with import #{result['event']} (running.csv, " \
                                  f"SHA-256 {result['sha256']})"  # fmt: skip
    # the programme's own reason for a stage it never has
    assert "no ecosystem analysis in the 2018-2022 process" in passed[2]["reason"]
    decision = next(e for e in trail if e["trigger"] == "approve")
    assert decision["actor"] == f.LEADER
    assert decision["roles"] == "programme_leader; recording for steering_member"
    assert {e["roles"] for e in trail if e["trigger"] != "approve"} == {"programme_leader"}
    assert decision["payload"]["values"]["decided_on"] == "2018-12-13"
    assert trail[0]["payload"]["source"] == "import:running.csv"


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"state": "approved"}, "line 4, column state: 'approved' is no state"),
        ({"granted": "lots"}, "line 4, column granted: "),
        ({"decided_on": ""}, "line 4, column decided_on: give the decision's meeting day"),
        ({"decided_on": "2999-01-01"}, "line 4, column decided_on: "),
        ({"decided_on": clock.today().isoformat()}, "line 4, column decided_on: "
                                                    f"{clock.today().isoformat()} is not before "
                                                    "today; a decision taken since kracht"),
        ({"decided_on": "2018-09-01"}, "line 4, column decided_on: 2018-09-01 lies before the "
                                       "submission (2018-09-17)"),
        ({"budget_year": "²"}, "line 4, column budget_year: budget year: '²' is not a whole "
                               "number"),
        ({"partners": "Saxion|partner|knowledge|12"}, "line 4, column partners: partner Saxion: "
                                                      "a knowledge commitment takes no amount"),
        ({"applicant": "Nobody BV"}, "line 4, column applicant: no organisation 'Nobody BV'"),
        ({"partners": "Ghost BV|partner|knowledge"}, "line 4, column partners: no organisation "
                                                     "'Ghost BV'"),
        ({"partners": "Saxion|friend|knowledge"}, "line 4, column partners: partner Saxion: "
                                                  "'friend' is not co-financing or partner"),
        ({"conditions_met": "3|2019-01-20|done"}, "line 4, column conditions_met: condition 3 is "
                                                  "not among the 2 given"),
        ({"conditions_met": "1|2019-01-20|x\n2|2019-02-01|y"}, "line 4, column state: every "
                                                           "condition is met"),
        ({"budget_year": "2017"}, "line 4, column "),
        ({"title": ""}, "line 4, column title: title must not be empty"),
        ({"granted": "9999999"}, "line 4, column granted: needs a granted amount no higher "
                                 "than the requested amount"),
        ({"indicators": "", "submitted_on": "2018-01-09"}, "line 4, column indicators: needs "
                                                           "SMART indicators"),
    ],
)  # fmt: skip
def test_one_bad_row_refuses_the_whole_file_named_by_line_and_column(world, tmp_path, change,
                                                                     words):  # fmt: skip
    _prepared(world)
    path = _sheet(tmp_path, [ROWS[0], {**ROWS[1], **change}, ROWS[2]])
    with session(world.url) as db:
        before = (len(db.exec(select(Application)).all()), len(db.exec(select(AuditEvent)).all()))

    with pytest.raises(InvalidInput) as refused:
        run(world.url, f.LEADER, import_running, path)

    assert words in str(refused.value)
    assert str(refused.value).endswith("nothing was imported")
    with session(world.url) as db:
        after = (len(db.exec(select(Application)).all()), len(db.exec(select(AuditEvent)).all()))
    assert after == before


def test_every_bad_row_is_counted_and_the_first_named(world, tmp_path):
    _prepared(world)
    path = _sheet(tmp_path, [{**ROWS[0], "state": "x"}, {**ROWS[1], "granted": "y"}])
    with pytest.raises(InvalidInput, match=r"line 2, column state: .* \(and 1 more\)"):
        run(world.url, f.LEADER, import_running, path)


def test_a_dry_run_shows_what_would_be_brought_in_and_writes_nothing(world, tmp_path, monkeypatch,
                                                                     capsys):  # fmt: skip
    _prepared(world)
    path = _sheet(tmp_path, ROWS, separator=";")
    monkeypatch.setenv("KRACHT_DB", world.url.removeprefix("sqlite:///"))
    with session(world.url) as db:
        before = len(db.exec(select(AuditEvent)).all())

    code = main(["--as", f.LEADER, "app", "import-running", str(path), "--dry-run"])

    out, err = capsys.readouterr()
    assert code == 0, err
    assert f"TalentIT Twente: would be monitoring, granted {format_euros(6438900)}" in out
    assert (
        "dry run, nothing written: 6 applications would be brought in from running.csv (read as "
        "semicolon-separated text with amounts written the Dutch way"
    ) in out
    with session(world.url) as db:
        assert len(db.exec(select(AuditEvent)).all()) == before
        assert db.exec(select(Application)).all() == []


def test_only_a_programme_leader_brings_in_a_running_programme(world, tmp_path):
    _prepared(world)
    with pytest.raises(NotPermitted):
        run(world.url, f.STEERING, import_running, _sheet(tmp_path, ROWS[:1]))


def test_a_formula_in_a_cell_is_kept_as_text_and_a_decision_still_to_come_takes_no_decision(
    world, tmp_path
):
    _prepared(world)
    early = {**ROWS[5], "title": "Too early", "decided_on": "2018-12-13"}
    path = _sheet(tmp_path, [{**ROWS[5], "title": '=HYPERLINK("http://evil","x")'}, early])
    with pytest.raises(InvalidInput, match="line 3, column decided_on: an application still to "
                                           "be decided"):  # fmt: skip
        run(world.url, f.LEADER, import_running, path)

    result = run(world.url, f.LEADER, import_running, _sheet(tmp_path, [
        {**ROWS[5], "title": '=HYPERLINK("http://evil","x")'}], name="one.csv"))  # fmt: skip
    shown = world.show(result["applications"][0]["id"])
    assert shown["title"] == '=HYPERLINK("http://evil","x")'  # stored as given, a text
    assert shown["state"] == "steering_decision"
