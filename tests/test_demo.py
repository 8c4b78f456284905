"""The demo reproduces the first round's documented outcomes and amounts, and does what each
issue's "done when" asks of it: the committee's sheets and advice (issue 4), the notifications in
the outbox (issue 6), the projects reporting in monitoring and the project monitor (issue 7)."""

import datetime as dt

import pytest

from kracht.basics import moments
from kracht.basics.euros import parse_euros
from kracht.storage import clock
from kracht.workflow.demo.build import run as build_demo
from kracht.workflow.demo.data import (
    ADVICE,
    AUDITOR,
    CHAIR,
    COMMITTEE,
    LEADER,
    PEOPLE,
    ROUND,
    SCORES,
)
from kracht.workflow.demo.monitoring_year import MONITOR_YEAR, REPORTS
from kracht.workflow.services import applications, auditing, monitor_views, notices
from tests.factories import run
from tests.test_reports import Tables, _one, _sql, md_table


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """One demo database for the checks below, which only read it: its URL, file and output."""
    lines: list[str] = []
    path = build_demo(str(tmp_path_factory.mktemp("demo") / "demo.db"), echo=lines.append)
    return f"sqlite:///{path}", path, lines


def _round(url, titles=None):
    """The first round's applications (with those the steering committee decided directly on
    their track): title -> id."""
    titles = titles or {item["title"] for item in ROUND}
    return {
        r["title"]: r["id"]
        for r in run(
            url,
            LEADER,
            applications.list_all,
        )
        if r["title"] in titles
    }


def test_demo_reaches_the_documented_outcomes_with_an_intact_trail(demo):
    url, path, lines = demo

    rows = {
        r["title"]: r
        for r in run(
            url,
            LEADER,
            applications.list_all,
        )
    }
    granted = {
        title: run(url, LEADER, applications.show, r["id"])["stage_data"]["steering_decision"][
            "granted"
        ]
        for title, r in rows.items()
        if r["state"] in ("monitoring", "approved_with_conditions")
    }
    assert granted == {  # seed 002 L149-244
        "TalentIT Twente": 6438900,
        "Twents Huis van de Logistiek": 17000000,
        "Mineral Valley Twente": 50000000,
        "Twents Fonds voor Vakmanschap": 50000000,
        "Novel-T basisinfrastructuur 2019": 133500000,
    }
    assert rows["Novel-T basisinfrastructuur 2019"]["state"] == "approved_with_conditions"
    assert rows["RIF / ROC van Twente 2018"]["state"] == "deferred"
    assert rows["H2 hub Twente"]["state"] == "ecosystem_analysis"
    assert "  granted and committed over all years: € 1.234.389,00" in lines
    start = next(i for i, x in enumerate(lines) if x.strip() == "Money, Agenda voor Twente "
                 "2018-2022, budget year 2018")  # fmt: skip
    money = lines[start:]
    projects = next(line.split() for line in money if line.startswith("  (all lines)"))
    assert projects[-3:] == ["available", "€", "1.165.611,00"]  # 2.000.000 - 834.389
    draws = {x.split()[1]: x.split()[-4] for x in money if x.startswith("    - ")}
    assert draws == {"talent": "734.389,00", "circulair": "100.000,00"}  # together 834.389
    assert any(
        line.startswith("  (assumed: EUR 2 mln for projects in each year 2018-2022;")
        and "'about EUR 550k'" in line
        for line in money
    )
    assert run(
        url,
        AUDITOR,
        auditing.verify,
    ).intact
    start = lines.index("Try next, on this database:")
    assert lines[start + 1] == f"  export KRACHT_DB={path} KRACHT_USER={LEADER}"
    assert "  kracht scores ranking --round 2018-1" in lines[start:]


def test_the_basic_infrastructure_follows_its_own_track_straight_to_the_steering_decision(demo):
    url, _, lines = demo
    for title in ("Novel-T basisinfrastructuur 2019", "RIF / ROC van Twente 2018"):
        app_id = _round(url, {title})[title]
        fired = [e for e in run(url, LEADER, applications.history, app_id)
                 if e["action"] == "fire" and e["outcome"] == "ok"]  # fmt: skip
        assert [e["to_state"] for e in fired[:5]] == [
            "innovation_table", "ecosystem_analysis", "assessment_committee", "kracht_scoring",
            "steering_decision"]  # fmt: skip
        why = {e["from_state"]: e["reason"] for e in fired[1:5]}
        assert all(
            why[s].startswith(f"{s} does not apply: track basis: the partners ")
            for s in ("innovation_table", "assessment_committee", "kracht_scoring")
        )
        assert why["ecosystem_analysis"].startswith("ecosystem_analysis does not apply: the "
                                                    "2018-2022 process")  # fmt: skip
        shown = run(url, LEADER, applications.show, app_id)
        assert shown["committee"]["rounds"] == []
        assert "kracht_scoring" not in shown["stage_data"]
        assert any(line.startswith(f"  {app_id}. {title}") and "decided directly (track basis)"
                   in line for line in lines)  # fmt: skip


def test_demo_history_shows_the_rework_loop(demo):
    url, _, _ = demo
    mineral = next(
        r["id"]
        for r in run(
            url,
            LEADER,
            applications.list_all,
        )
        if r["title"] == "Mineral Valley Twente"
    )

    triggers = [
        e["trigger"]
        for e in run(url, LEADER, applications.history, mineral)
        if e["action"] == "fire" and e["outcome"] == "ok"
    ]

    assert triggers.count("return_for_rework") == 1
    assert triggers.count("open_scoring") == 2
    assert triggers.count("submit_advice") == 1
    assert triggers[-1] == "approve"


def test_each_assessed_application_has_its_members_sheets_and_the_chairs_joint_advice(demo):
    url, _, lines = demo
    assessed = _round(url, set(SCORES))

    assert len(assessed) == len(SCORES) == 4
    for title, app_id in assessed.items():
        shown = run(url, LEADER, applications.show, app_id)
        members = shown["committee"]["members"]
        scoring = sorted(m["member"] for m in members if not m["recused"])
        assert sorted(m["member"] for m in members) == sorted(COMMITTEE), title
        for number, scored in enumerate(shown["committee"]["rounds"], start=1):
            assert scored["number"] == number
            assert sorted(scored["submitted"]) == scoring, (title, number)
            assert sorted(s["member"] for s in scored["sheets"]) == scoring
            assert all(s["submitted_at"] and len(s["scores"]) == 6 for s in scored["sheets"])
            assert scored["aggregate"]["sheets"] == len(scoring)
        assert shown["stage_data"]["kracht_scoring"]["advice"] == ADVICE[title]
        advised = [e for e in run(url, LEADER, applications.history, app_id)
                   if e["trigger"] == "submit_advice" and e["outcome"] == "ok"]  # fmt: skip
        assert [(e["actor"], e["from_state"]) for e in advised] == [(CHAIR, "kracht_scoring")]
        echoed = next(line for line in lines if line.startswith(f"  {app_id}. {title} "))
        assert f"({len(scoring)} sheets" in echoed
    rounds = len(run(url, LEADER, applications.show, assessed["Mineral Valley Twente"])["committee"]
                 ["rounds"])  # fmt: skip
    assert rounds == 2  # scored again after the rework


def test_the_demos_notifications_wait_in_the_outbox_and_the_output_says_how_to_send_them(demo):
    url, _, lines = demo

    outbox = run(url, LEADER, notices.outbox_list, None, None)
    decided = {"monitoring", "approved_with_conditions", "deferred"}

    counts = outbox["counts"]
    assert counts["pending"] > 0
    assert (counts["sent"], counts["dead"]) == (0, 0)
    assert f"  outbox: {counts['pending']} messages pending, 0 sent" in lines
    for title, app_id in _round(url).items():
        messages = run(url, LEADER, notices.outbox_list, None, app_id)["messages"]
        events = {m["event"] for m in messages}
        expected = {"application_submitted", "advice_ready", "decision_made"}
        if title in SCORES:  # not on the basis track, which passes the table and the committee
            expected |= {"moved_to_innovation_table", "referred_to_committee", "scoring_opened"}
        assert events >= expected, title
        assert (title in SCORES) == ("scoring_opened" in events), title
        assert LEADER in {m["recipient"] for m in messages if m["event"] == "decision_made"}
        assert {m["status"] for m in messages} == {"pending"}
        assert run(url, LEADER, applications.show, app_id)["state"] in decided
    (how,) = [line for line in lines if line.startswith("  send them with `kracht outbox send` (")]
    assert how.endswith("; set [mail] in kracht.toml for SMTP)")
    assert "  kracht outbox send" in lines[lines.index("Try next, on this database:") :]


def test_every_late_report_of_the_demo_is_chased_by_a_reminder(demo):
    url, _, _ = demo
    chased = [r for r in run(url, LEADER, notices.reminders_list, None, None, False)
              if r["kind"] == "report_due"]  # fmt: skip
    by_report = {r["about"]: r for r in chased}
    applicants = {org: email for _, email, roles, org, _ in PEOPLE if "applicant" in roles}

    late = 0
    for project in run(url, LEADER, applications.list_all, state="monitoring"):
        # nobody at Mineral Valley Twente or Twents Fonds voor Vakmanschap has the applicant role
        # in the demo: the programme leader is reminded in their place
        whom = applicants.get(project["applicant"], LEADER)
        for report in run(url, LEADER, monitor_views.project, project["id"])["reports"]:
            if report["status"] == "late":
                late += 1
                reminder = by_report[f"report:{report['id']}"]
                assert reminder["recipient"] == whom, (project["title"], report["label"])
                assert reminder["facts"].get("stand_in", False) == (whom == LEADER)
    assert (
        late
        == len(
            run(
                url,
                LEADER,
                monitor_views.late,
            )
        )
        == len(chased)
        == 49
    )
    assert {r["application_id"] for r in chased} == {1, 2, 3, 4}


def test_the_four_grants_report_in_monitoring_and_the_project_monitor_matches_the_database(demo):
    url, path, lines = demo
    folder = path.parent / f"{path.stem}-reports"
    year_end = dt.date(MONITOR_YEAR, 12, 31)

    projects = {
        r["title"]: r["id"] for r in run(url, LEADER, applications.list_all, state="monitoring")
    }

    assert sorted(projects) == sorted(REPORTS)
    for title, app_id in projects.items():
        reports = run(url, LEADER, monitor_views.project, app_id)["reports"]
        submitted = [
            (r["label"], r["traffic_light"]) for r in reports if r["status"] == "submitted"
        ]
        assert submitted == [(label, light) for label, light, *_ in REPORTS[title]]
        assert 3 <= len(submitted) <= 4
    html_file, md_file = folder / "project-monitor-2019.html", folder / "project-monitor-2019.md"
    assert f"  Projectenmonitor {MONITOR_YEAR} written to {html_file}" in lines  # in Dutch
    md, html = md_file.read_text(), Tables(html_file.read_text()).tables
    lights = dict(
        _sql(
            url,
            "SELECT traffic_light, count(*) FROM progress_report WHERE status = 'submitted' "
            "AND kind = 'progress' AND period_end <= :end GROUP BY traffic_light",
            end=year_end,
        )
    )
    for table in (md_table(md, "Stoplichten in de tijd"), html["lights"][1:]):
        assert [int(x) for x in table[-1][1:]] == [
            lights.get(c, 0) for c in ("green", "orange", "red")
        ]
    assert sum(lights.values()) == sum(len(r) for r in REPORTS.values()) == 15
    for title, app_id in projects.items():
        spent = _one(
            url,
            "SELECT spent_cents FROM progress_report WHERE application_id = :a AND status = "
            "'submitted' AND period_end <= :end ORDER BY period_end DESC LIMIT 1",
            a=app_id,
            end=year_end,
        )
        granted = _one(
            url,
            "SELECT sum(amount_cents) FROM grant_allocation WHERE application_id = :a",
            a=app_id,
        )
        for table in (md_table(md, "Projecten"), html["projects"][1:]):
            row = next(row for row in table if row[0] == title)
            assert (parse_euros(row[3]), parse_euros(row[5])) == (granted, spent), title
    late = _one(
        url,
        "SELECT count(*) FROM progress_report WHERE status = 'due' AND due_on < :today "
        "AND period_end <= :end",
        today=clock.today(),
        end=year_end,
    )
    summary = dict(md_table(md, "Samenvatting"))
    written = moments.day(clock.today(), "nl")
    label = f"Rapportages over perioden tot en met {MONITOR_YEAR}, te laat op {written}"
    assert summary[label] == str(late)
    assert late == 1  # Twents Fonds voor Vakmanschap's 2019-Q4


@pytest.mark.postgres
def test_the_demo_builds_on_postgresql_too_into_an_empty_database(pg_url, tmp_path, monkeypatch,
                                                                  capsys):  # fmt: skip
    from kracht.cli import main
    from kracht.storage.database import describe

    monkeypatch.chdir(tmp_path)  # the project monitor goes to ./kracht-demo-reports

    code = main(["--db", pg_url, "demo"])

    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith(f"kracht demo: the Agenda voor Twente 2018-2022, first round, in "
                          f"{describe(pg_url)}\n")  # fmt: skip
    assert f"  export KRACHT_DB={describe(pg_url)} KRACHT_USER={LEADER}\n" in out
    assert (tmp_path / "kracht-demo-reports" / "project-monitor-2019.html").is_file()
    states = {
        r["title"]: r["state"]
        for r in run(
            pg_url,
            LEADER,
            applications.list_all,
        )
    }
    assert states["Novel-T basisinfrastructuur 2019"] == "approved_with_conditions"
    assert main(["--db", pg_url, "--as", AUDITOR, "audit", "verify"]) == 0
    verdict = run(
        pg_url,
        AUDITOR,
        auditing.verify,
    )
    assert verdict.intact
    assert capsys.readouterr().out == (
        f"audit trail intact: {verdict.events} events verified\n"
        f"the tables agree with the trail; Merkle tree root {verdict.root}\n"
    )


@pytest.mark.postgres
def test_the_demo_refuses_a_postgresql_database_that_holds_kracht_data(pg_url, capsys):
    from kracht.cli import main
    from kracht.storage.database import describe
    from tests import factories

    factories.seed(pg_url)
    before = run(
        pg_url,
        factories.AUDITOR,
        auditing.verify,
    ).events

    code = main(["--db", pg_url, "demo", "--replace"])

    assert (code, capsys.readouterr()) == (1, ("", (
        f"kracht: {describe(pg_url)} already holds kracht data (10 people, 4 organisations, "
        f"2 programmes, {before} audit events); the demo builds into an empty database: create "
        "one (e.g. `createdb kracht_demo`) and give its URL (--replace replaces only a demo "
        "file)\n"
    )))  # fmt: skip
    assert (
        run(
            pg_url,
            factories.AUDITOR,
            auditing.verify,
        ).events
        == before
    )  # nothing written
    assert (
        run(
            pg_url,
            factories.LEADER,
            applications.list_all,
        )
        == []
    )


def test_the_application_pages_read_gives_the_whole_records_facts_to_every_reader(demo):
    """`applications.facts` (the application page) is `applications.show` without its committee,
    decision, monitoring and notification parts: the same values for every application and for
    readers who see different things (the leader, a member, an applicant)."""
    from kracht.workflow.services import directory

    url = demo[0]
    parts = ("committee", "decision", "monitoring", "deadlines", "messages")
    people = run(url, LEADER, directory.list_people)
    readers = {LEADER} | {
        next(p["email"] for p in people if role in p["roles"])
        for role in ("committee_member", "applicant")
    }
    compared = 0
    for reader in sorted(readers):
        for listed in run(url, reader, applications.list_all):
            whole = run(url, reader, applications.show, listed["id"])
            assert run(url, reader, applications.facts, listed["id"]) == {
                k: v for k, v in whole.items() if k not in parts
            }
            compared += 1
    assert compared > len(readers)


def test_the_first_rounds_decisions_carry_their_meeting_days_in_letters_budgets_and_reports(demo):
    from kracht.workflow.demo.data import BASIS_DECIDED_ON, GRANTED_ON
    from kracht.workflow.services import decisions

    url, _, _ = demo
    assessed = _round(url)
    days = {item["title"]: item["decided_on"] for item in ROUND}
    assert GRANTED_ON.startswith("2018-12-")  # the documents give the month (seed 002 L25-26)
    assert BASIS_DECIDED_ON == "2018-10-31"  # seed 002 L305-306

    for title, app_id in assessed.items():
        shown = run(url, LEADER, applications.show, app_id)
        assert shown["decision"]["decided_on"] == days[title], title
        entered = clock.local_day(dt.datetime.fromisoformat(shown["decision"]["decided_at"]))
        assert entered == clock.today(), title  # entered today, as the trail keeps
        for language, word in (("nl", "Datum"), ("en", "Date")):
            letter = run(url, LEADER, decisions.letter, app_id, language)
            said = moments.day(dt.date.fromisoformat(days[title]), language)
            assert f"{word}: {said}\n" in letter, (title, language)  # 13 december 2018
        if shown["state"] in ("monitoring", "approved_with_conditions"):
            assert shown["decision"]["charged"][0]["year"] == 2018, title
        if shown["state"] == "monitoring":
            schedule = run(url, LEADER, monitor_views.project, app_id)
            assert schedule["schedule"]["starts_on"] == GRANTED_ON, title
            first = schedule["reports"][0]
            assert (first["label"], first["period_start"]) == ("2019-Q1", GRANTED_ON), title
    granted = [t for t, d in days.items() if d == GRANTED_ON]
    assert sorted(granted) == sorted(REPORTS)  # the four first-round grants


def test_the_running_programme_example_comes_in_on_the_demo(demo):
    """docs/examples/running-programme.csv, the README's example of bringing in a running
    programme, fits the demo (tried out: nothing is written to the shared demo database)."""
    from pathlib import Path

    from kracht.workflow.services.running_import import import_running

    url, _, _ = demo
    path = Path(__file__).resolve().parent.parent / "docs" / "examples" / "running-programme.csv"

    result = run(url, LEADER, import_running, path, dry_run=True)

    assert [(a["title"], a["state"], a["granted_cents"]) for a in result["applications"]] == [
        ("Twentebranding 2019", "approved_with_conditions", 25000000),
        ("Techniekpact Twente 2019", "monitoring", 15000000),
    ]
    assert result["note"].startswith("read as semicolon-separated text")


def test_the_demo_pays_the_2019_advances_and_budget_show_counts_them(demo):
    from kracht.workflow.demo.data import STEERING
    from kracht.workflow.services import budgets, payments

    url, _, lines = demo
    paid = run(url, LEADER, payments.list_payments, status="paid")
    pool = next(r for r in run(url, LEADER, budgets.budget_overview, "avt-2018", 2018)["budgets"]
                if r["line"] == "(all lines)")  # fmt: skip

    assert [(p["kind"], p["amount_cents"], p["year"], p["paid_on"]) for p in paid] == [
        ("advance", 3219450, 2018, "2019-01-15"),
        ("advance", 8500000, 2018, "2019-01-15"),
        ("advance", 5000000, 2018, "2019-01-15"),
        ("advance", 25000000, 2018, "2019-01-15"),
    ]  # fmt: skip: half of each grant's 2018 part (a demo assumption)
    assert [p["second_by"] for p in paid] == [None, None, None, STEERING]  # above EUR 100,000
    assert pool["paid_out_cents"] == 41719450
    assert {d["line"]: d["paid_out_cents"] for d in pool["lines"]} == {
        "circulair": 5000000, "talent": 36719450}  # fmt: skip
    assert any("paid out     € 417.194,50" in line for line in lines)


def test_the_demos_multiplier_on_regional_public_money_comes_from_its_partners_sources(
    demo, tmp_path
):
    from decimal import Decimal

    from kracht.workflow.reports import documents as programme_reports
    from kracht.workflow.services import budgets

    url, _, lines = demo
    (avt,) = run(url, LEADER, budgets.budget_overview, "avt-2018")["multipliers"]
    run(url, LEADER, programme_reports.write, "annual", 2019, tmp_path)
    md = (tmp_path / "annual-report-2019.md").read_text()
    rows = {row[0]: row for row in md_table(md, "Co-financing by source")}

    # Almelo's EUR 19,720 (seed 002 L205-207) is municipal: regional public money beside the
    # four grants' EUR 1,234,389, no longer partner money drawn; nothing else is money there
    assert avt["by_source"]["municipal"] == 1972000
    assert avt["regional_public_cents"] == 123438900 + 1972000
    assert (avt["leveraged_cents"], avt["regional_multiplier"]) == (0, Decimal("0.00"))
    assert avt["multiplier"] == Decimal("0.02")  # today's figure counts Almelo's as drawn
    # Novel-T's conditional grant with Annex 1's co-funders (seed 000 L3636-3640): the
    # province's EUR 3,270,000 and EUR 5,382,400 of other money on EUR 1,335,000 of AvT money
    assert avt["reserved_by_source"]["provincial"] == 327000000
    assert avt["reserved_by_source"]["other"] == 455740000 + 82500000
    assert avt["reserved_regional_multiplier"] == Decimal("6.48")  # 8,652,400 / 1,335,000
    novel_t = rows["Novel-T basisinfrastructuur 2019"]
    assert (parse_euros(novel_t[1]), parse_euros(novel_t[4]), novel_t[9]) == (
        133500000, 327000000, "6.48")  # fmt: skip
    assert rows["Total, committed grants"][9] == "0"  # as the reports write numbers
    assert any(line.startswith("  multiplier on regional public money 0.00:") for line in lines)
