"""Programme reports and exports: the figures in the written files are the database's figures.

The files are parsed back (Markdown tables, HTML tables) and compared with SQL run here, not
with the code that wrote them.
"""

import csv
import datetime as dt
import io
import json
import re
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa

from kracht.basics.errors import InvalidInput, NotAllowed
from kracht.basics.euros import parse_euros
from kracht.basics.names import STAGES
from kracht.cli import main
from kracht.storage import clock
from kracht.storage.database import session
from kracht.workflow.reports import documents as programme_reports
from kracht.workflow.services import decisions, exports, monitor_views, payments, progress_reports
from tests import factories as f
from tests.factories import THIS_YEAR, make_application, run

YEAR = 2019
INDICATOR = "students meeting firms"
# title, grant in euros, 2019 reports: (label, light, spent so far, students placed, measures).
# Each project has the factories' partner (Port of Twente, EUR 10,000) and indicator.
PROJECTS = [
    (
        "TalentIT Twente",
        "64389",
        [
            ("2019-Q1", "green", "8000", "12", None),
            ("2019-Q2", "orange", "16500", "25", None),
            ("2019-Q3", "red", "20000", "27", "extra firms recruited"),
            ("2019-Q4", "green", "32000", "44", None),
        ],
    ),
    (
        "Huis van de Logistiek",
        "170000",
        [("2019-Q1", "green", "21000", "40", None), ("2019-Q2", "green", "43000", "95", None)],
    ),
]


def _sql(url: str, query: str, **params) -> list[tuple]:
    with session(url) as db:
        return [tuple(row) for row in db.execute(sa.text(query), params)]


def _one(url: str, query: str, **params) -> int:
    return int(_sql(url, query, **params)[0][0] or 0)


@pytest.fixture
def monitored(any_world):
    """Two projects in monitoring since 1 January 2019, with their 2019 reports as received."""
    world = any_world
    for title, grant, reports in PROJECTS:
        app_id = make_application(world, stage="steering_decision", requested=grant, title=title)
        run(
            world.url, f.STEERING, decisions.decide, app_id, "approve", reason="sound", amount=grant
        )
        run(
            world.url,
            f.LEADER,
            progress_reports.replan,
            app_id,
            start_on="2019-01-01",
            end_on="2020-12-31",
        )
        for label, light, spent, value, measures in reports:
            due = {
                "2019-Q1": "2019-04-30",
                "2019-Q2": "2019-07-31",
                "2019-Q3": "2019-10-31",
                "2019-Q4": "2020-01-31",
            }[label]
            run(
                world.url,
                f.LEADER,
                progress_reports.submit,
                app_id,
                label,
                light=light,
                narrative=f"{title} {label}",
                spent=spent,
                measures=measures,
                values={INDICATOR: value},
                received_on=due,
            )
        advance = run(world.url, f.LEADER, payments.request, app_id, "10000", kind="advance")
        run(world.url, f.LEADER, payments.approve, advance["payment"]["id"])
        run(world.url, f.LEADER, payments.mark_paid, advance["payment"]["id"])
    make_application(world, stage="innovation_table", title="SmartView")
    return world


# -- reading the files back ---------------------------------------------------------------------


def md_table(text: str, heading: str) -> list[list[str]]:
    """The rows (without the header and rule) of the first table after `## heading`."""
    lines = text[text.index(f"## {heading}\n") :].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = re.split(r"(?<!\\)\|", line.strip().strip("|"))  # not at an escaped \|
        rows.append([cell.strip().strip("*") for cell in cells])
    return rows


class Tables(HTMLParser):
    """Every <table id=...> of an HTML file, as rows of cell texts (header row included)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.current: str | None = None
        self.cell: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.current = dict(attrs).get("id")
            if self.current:
                self.tables[self.current] = []
        elif tag == "tr" and self.current:
            self.tables[self.current].append([])
        elif tag in ("td", "th") and self.current:
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.current and self.cell is not None:
            self.tables[self.current][-1].append("".join(self.cell).strip())
            self.cell = None
        elif tag == "table":
            self.current = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def _summary(rows: list[list[str]]) -> dict[str, str]:
    return dict(rows)


# -- the documents ------------------------------------------------------------------------------


def test_the_annual_report_figures_match_the_database(monitored, tmp_path):
    url = monitored.url

    result = run(url, f.LEADER, programme_reports.write, "annual", YEAR, tmp_path)

    md = (tmp_path / f"annual-report-{YEAR}.md").read_text()
    html = Tables((tmp_path / f"annual-report-{YEAR}.html").read_text()).tables
    assert result["files"][:2] == [
        str(tmp_path / f"annual-report-{YEAR}.html"),
        str(tmp_path / f"annual-report-{YEAR}.md"),
    ]
    granted = _one(url, "SELECT sum(amount_cents) FROM grant_allocation")
    partners = _one(
        url,
        "SELECT sum(amount_cents) FROM application_partner p JOIN application a "
        "ON a.id = p.application_id WHERE commitment = 'money' AND a.state = 'monitoring'",
    )
    applications_count = _one(url, "SELECT count(*) FROM application")
    for table in (md_table(md, "Co-financing and multiplier"), html["co-financing"][1:]):
        total = table[-1]
        assert (parse_euros(total[2]), parse_euros(total[3]) + parse_euros(total[4])) == (
            granted,
            partners,
        )
        assert float(total[5]) == round(partners / granted, 2)
    for table in (md_table(md, "Pipeline per stage"), html["pipeline"][1:]):
        counts = dict(_sql(url, "SELECT state, count(*) FROM application GROUP BY state"))
        shown = {STAGES[state][1]: n for state, n in counts.items()}  # the stages' names
        assert {row[0]: int(row[1]) for row in table[:-1]} == shown
        assert int(table[-1][1]) == applications_count
    summary = _summary(md_table(md, "Summary"))
    assert _summary(html["summary"][1:]) == summary
    assert parse_euros(summary["Granted and reserved, all years"]) == granted
    assert int(summary["Applications"]) == applications_count
    today = clock.today()
    late_in_year = _one(
        url,
        "SELECT count(*) FROM progress_report WHERE status = 'due' AND due_on < :today "
        "AND period_end <= :end",
        today=today,
        end=dt.date(YEAR, 12, 31),
    )
    late_now = len(
        run(
            url,
            f.LEADER,
            monitor_views.late,
        )
    )
    # the figure names what it counts: not every late report (`kracht monitor late`), only those
    # on periods up to the year's end, and late on the day the report was written
    assert "Reports late today" not in summary
    written = f"{clock.today().day} {clock.today():%B %Y}"  # the English edition's long date
    assert int(summary[f"Reports on periods up to {YEAR}, late on {written}"]) == late_in_year == 2
    assert late_now > late_in_year


def test_the_multiplier_counts_committed_grants_and_lists_reserved_ones_apart(world, tmp_path):
    approved = make_application(world, stage="monitoring")  # € 64.389, partners € 10.000
    conditional = make_application(world, stage="steering_decision", requested="20000")
    run(
        world.url,
        f.STEERING,
        decisions.decide,
        conditional,
        "approve_with_conditions",
        reason="promising",
        amount="20000",
        conditions=[(f.DEADLINE, f.LEADER, "serve the whole region")],
        departure_rationale="positive advice, but only for the whole region",
    )

    run(world.url, f.LEADER, programme_reports.write, "annual", THIS_YEAR, tmp_path)

    md = (tmp_path / f"annual-report-{THIS_YEAR}.md").read_text()
    table = md_table(md, "Co-financing and multiplier")
    rows = {row[0]: row for row in table}
    total = rows["Total, committed grants"]
    assert [parse_euros(cell) for cell in total[2:5]] == [6438900, 1000000, 0]
    assert total[5] == "0.16"  # 1.000.000 / 6.438.900 cents = 0.155; with the reserved: 0.24
    assert "conditional approvals (EUR 20,000.00) are listed" in md
    assert [r[1] for r in table[:-1]] == ["monitoring", "approved with conditions"]
    summary = _summary(md_table(md, "Summary"))
    assert summary["Multiplier on committed grants"] == "0.16"
    # the business's money is private: 1,000,000 / 6,438,900 on regional public money too
    assert summary["Multiplier on regional public money"] == "0.16 (target 8.5)"
    assert parse_euros(summary["Granted and reserved, all years"]) == 6438900 + 2000000
    assert approved != conditional


def test_money_per_line_and_year_matches_the_budgets_and_grants(monitored, tmp_path):
    url = monitored.url

    run(url, f.AUDITOR, programme_reports.write, "annual", THIS_YEAR, tmp_path)

    md = (tmp_path / f"annual-report-{THIS_YEAR}.md").read_text()
    html = Tables((tmp_path / f"annual-report-{THIS_YEAR}.html").read_text()).tables
    budget = _one(url, "SELECT sum(amount_cents) FROM budget WHERE year = :y", y=THIS_YEAR)
    committed = _one(
        url,
        "SELECT sum(g.amount_cents) FROM grant_allocation g JOIN application a "
        "ON a.id = g.application_id WHERE g.year = :y AND a.state IN ('monitoring', 'closed')",
        y=THIS_YEAR,
    )
    paid = _one(url, "SELECT sum(amount_cents) FROM payment WHERE status = 'paid' AND year = :y",
                y=THIS_YEAR)  # fmt: skip
    assert paid == 2 * 1000000  # each project's advance
    for table in (md_table(md, "Money per line and year"), html["money"][1:]):
        total = next(row for row in table if row[0] == f"Total {THIS_YEAR}")
        figures = [parse_euros(cell) for cell in total[4:]]
        assert figures == [budget, committed, 0, paid, budget - committed]
    summary = _summary(md_table(md, "Summary"))
    assert parse_euros(summary[f"Budget {THIS_YEAR}"]) == budget
    assert parse_euros(summary[f"Committed {THIS_YEAR}"]) == committed


def test_the_project_monitor_shows_each_projects_lights_spending_and_values(monitored, tmp_path):
    url = monitored.url

    result = run(url, f.LEADER, programme_reports.write, "monitor", YEAR, tmp_path)

    md = (tmp_path / f"project-monitor-{YEAR}.md").read_text()
    html = Tables((tmp_path / f"project-monitor-{YEAR}.html").read_text()).tables
    lights = dict(
        _sql(
            url,
            "SELECT traffic_light, count(*) FROM progress_report WHERE status = "
            "'submitted' GROUP BY traffic_light",
        )
    )
    for table in (md_table(md, "Traffic lights over time"), html["lights"][1:]):
        assert [int(x) for x in table[-1][1:]] == [
            lights.get(c, 0) for c in ("green", "orange", "red")
        ]
        assert table[1] == ["2019-Q2", "1", "1", "0"]
    spent = {
        title: _one(
            url,
            "SELECT r.spent_cents FROM progress_report r JOIN application a ON "
            "a.id = r.application_id WHERE a.title = :t AND r.status = 'submitted' "
            "ORDER BY r.period_end DESC LIMIT 1",
            t=title,
        )
        for title, *_ in PROJECTS
    }
    for table in (md_table(md, "Projects"), html["projects"][1:]):
        rows = {row[0]: row for row in table}
        assert {t: parse_euros(rows[t][5]) for t in spent} == spent
        assert parse_euros(rows["Total"][5]) == sum(spent.values())
        assert rows["TalentIT Twente"][6].split()[0] == "green"
    assert (
        "| students meeting firms | students | 0 | 44 | 31 December 2019 | 150 | 31 December 2020 "
        "| 29.3% |" in md
    )
    red = (
        "| 2019-Q3 | 1 July 2019 – 30 September 2019 | 31 October 2019 | submitted | red "
        "| EUR 20,000.00 | TalentIT Twente 2019-Q3 |"
    )
    assert f"{red} extra firms recruited |" in md
    charts = [p for p in result["files"] if p.endswith(".svg")]
    assert len(charts) == 5
    lights_svg = (tmp_path / f"project-monitor-{YEAR}-traffic-lights.svg").read_text()
    assert lights_svg.startswith("<?xml")
    assert "2019-Q4" in lights_svg
    assert f"![Traffic lights over time](project-monitor-{YEAR}-traffic-lights.svg)" in md


def test_late_reports_appear_in_the_monitor(monitored, tmp_path):
    run(monitored.url, f.LEADER, programme_reports.write, "monitor", YEAR, tmp_path)

    md = (tmp_path / f"project-monitor-{YEAR}.md").read_text()

    late = md_table(md, "Late reports")
    assert [(row[0], row[1], row[2]) for row in late] == [
        ("Huis van de Logistiek", "2019-Q3", "31 October 2019"),
        ("Huis van de Logistiek", "2019-Q4", "31 January 2020"),
    ]
    today = clock.today()
    assert [int(row[3]) for row in late] == [
        (today - dt.date(2019, 10, 31)).days,
        (today - dt.date(2020, 1, 31)).days,
    ]
    written = f"{today.day} {today:%B %Y}"  # the English edition's long date
    assert (
        _summary(md_table(md, "Summary"))[f"Reports on periods up to {YEAR}, late on {written}"]
        == "2"
    )
    assert f"still not submitted on {written}, the day this was written" in md


def test_an_applicant_may_not_write_programme_reports(monitored, tmp_path):
    with pytest.raises(NotAllowed) as error:
        run(monitored.url, f.APPLICANT, programme_reports.write, "monitor", YEAR, tmp_path / "out")

    assert str(error.value) == (
        f"{f.APPLICANT} may not write programme reports: they cover every project"
    )
    assert not (tmp_path / "out").exists()


def test_the_cli_says_where_it_wrote_the_files(world, tmp_path, capsys):
    make_application(world, stage="monitoring")
    argv = ["--db", world.url.removeprefix("sqlite:///"), "--as", f.LEADER]

    code = main([*argv, "report", "monitor", "--year", str(THIS_YEAR), "--out", str(tmp_path)])
    bad = main([*argv, "report", "annual", "--year", "1900", "--out", str(tmp_path / "x")])

    out, err = capsys.readouterr()
    assert code == 0
    assert out.splitlines()[:3] == [
        f"Project monitor {THIS_YEAR} written:",
        f"  {tmp_path / f'project-monitor-{THIS_YEAR}.html'}",
        f"  {tmp_path / f'project-monitor-{THIS_YEAR}.md'}",
    ]
    assert bad == 2  # refused at the edge, as every year option is
    assert err == (
        "kracht: Invalid value for '--year': 1900 is not between 2000 and 2100 "
        "(see `kracht report annual --help`)\n"
    )
    assert not (tmp_path / "x").exists()


def test_a_report_that_cannot_be_written_leaves_nothing_behind(world, tmp_path, capsys):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    argv = ["--db", world.url.removeprefix("sqlite:///"), "--as", f.LEADER]

    code = main([*argv, "report", "annual", "--year", str(THIS_YEAR), "--out", str(blocked)])

    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith(f"kracht: cannot write to {blocked}: ")
    assert err.count("\n") == 1
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith("kracht.db")] == ["a-file"]


# -- exports ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", exports.KINDS)
def test_exports_round_trip_between_csv_json_and_the_database(monitored, kind):
    text_csv, count_csv = run(monitored.url, f.AUDITOR, exports.export, kind, "csv")
    text_json, count_json = run(monitored.url, f.AUDITOR, exports.export, kind, "json")

    from_json = json.loads(text_json)
    from_csv = list(csv.DictReader(io.StringIO(text_csv)))
    assert count_csv == count_json == len(from_json) > 0
    assert list(from_csv[0]) == list(exports.COLUMNS[kind])
    assert from_csv == [
        {k: "" if v is None else str(v) for k, v in row.items()} for row in from_json
    ]


def test_the_exported_figures_are_the_databases(monitored):
    url = monitored.url

    apps = json.loads(run(url, f.LEADER, exports.export, "applications", "json")[0])
    made = json.loads(run(url, f.LEADER, exports.export, "decisions", "json")[0])
    reports = json.loads(run(url, f.LEADER, exports.export, "reports", "json")[0])
    values = json.loads(run(url, f.LEADER, exports.export, "indicators", "json")[0])

    granted = dict(
        _sql(
            url,
            "SELECT application_id, sum(amount_cents) FROM grant_allocation "
            "GROUP BY application_id",
        )
    )
    assert {a["id"]: a["granted_cents"] for a in apps if a["granted_cents"]} == granted
    assert {d["application_id"]: d["granted_cents"] for d in made} == granted
    assert [d["decision"] for d in made] == ["approve", "approve"]
    submitted = _sql(
        url,
        "SELECT label, traffic_light, spent_cents FROM progress_report "
        "WHERE status = 'submitted' ORDER BY due_on, application_id",
    )
    assert [
        (r["label"], r["traffic_light"], r["spent_cents"])
        for r in reports
        if r["status"] == "submitted"
    ] == [tuple(row) for row in submitted]
    assert len([v for v in values if v["value"] is not None]) == _one(
        url, "SELECT count(*) FROM indicator_value"
    )


def test_an_applicant_exports_only_their_own_organisations_records(monitored):
    other = make_application(
        monitored, stage="idea", title="Elsewhere", applicant=f.OTHER_APPLICANT
    )

    mine = json.loads(run(monitored.url, f.APPLICANT, exports.export, "applications", "json")[0])
    reports = json.loads(run(monitored.url, f.OUTSIDER, exports.export, "reports", "json")[0])

    assert other not in [a["id"] for a in mine]
    assert {a["applicant"] for a in mine} == {f.TALENTIT}
    assert reports == []


def test_the_cli_writes_an_export_file_and_refuses_an_unknown_format(world, tmp_path, capsys):
    app_id = make_application(world, stage="monitoring")
    argv = ["--db", world.url.removeprefix("sqlite:///"), "--as", f.LEADER]
    target = tmp_path / "applications.csv"

    code = main([*argv, "export", "applications", "--format", "csv", "-o", str(target)])
    bad = main([*argv, "export", "reports", "--format", "xlsx", "-o", str(tmp_path / "r.x")])

    err = capsys.readouterr().err
    rows = list(csv.DictReader(target.open()))
    assert code == 0
    assert [(int(r["id"]), r["state"], int(r["granted_cents"])) for r in rows] == [
        (app_id, "monitoring", 6438900)
    ]
    assert bad == 1
    assert err.splitlines() == [
        f"wrote 1 applications to {target}",
        "kracht: format 'xlsx' is not one of csv, json",
    ]
    assert not (tmp_path / "r.x").exists()


def test_an_unknown_export_or_report_is_refused():
    with pytest.raises(InvalidInput):
        run("sqlite://", f.LEADER, exports.export, "budgets", "csv")
    with pytest.raises(InvalidInput):
        run("sqlite://", f.LEADER, programme_reports.write, "quarterly", YEAR, None)


# -- charts of many projects: the largest get a bar each, the rest one together -------------------


def _project(n: int) -> dict:
    return {
        "title": f"Project {n:02}",
        "granted_cents": n * 100_000_00,
        "private_cents": n * 50_000_00,
        "public_cents": 0,
    }


def test_a_co_financing_chart_of_many_projects_shows_the_largest_and_the_others_together():
    from kracht.workflow.reports import charts

    few = charts.co_financing([_project(n) for n in range(1, charts.MOST_BARS + 1)], 8.5)
    many = charts.co_financing([_project(n) for n in range(1, 31)], 8.5)

    assert "Project 01" in few
    assert "per project" in few
    assert "other projects" not in few
    kept = [f"Project {n:02}" for n in range(12, 31)]  # the 19 largest grants
    assert all(title in many for title in kept)
    assert "Project 11" not in many
    assert "11 other projects" in many
    assert "per largest grant" in many


def test_an_indicator_chart_of_many_indicators_counts_them_by_progress():
    from kracht.workflow.reports import charts

    rows = [
        {"project": f"P{n}", "name": "students", "progress_percent": p}
        for n, p in enumerate([None, 10, 30, 60, 80, 100, 120] * 4)
    ]

    few = charts.indicators(rows[: charts.MOST_BARS])
    many = charts.indicators(rows)

    assert "P0" in few
    assert "by progress" not in few
    assert "P0" not in many
    assert "Indicators against their targets (28 indicators, by progress)" in many
    assert all(band in many for band in ("below 25%", "25-49%", "50-74%", "75-99%", "target met"))
