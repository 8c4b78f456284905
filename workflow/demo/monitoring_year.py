"""The demo's monitoring year: the four 2018 grants report on 2019, and the yearly documents.

The documents give no progress reports of these projects, so every figure here is a demo
assumption. The projects report quarterly from the day their grants were decided (13 December
2018, data.py; seed 002 L25-26) until their indicators' target date, the end of 2022: the
first report covers 13 December 2018 to 31 March 2019, as the schedule joins a short first
period to the next (workflow/schedule.py). The
programme office enters the 2019 reports as they came in; the demo's data stops at the end of
2019, so every report due since is late today. Twents Fonds voor Vakmanschap has not sent its
2019-Q4 report: on 1 March 2020 it was the one late report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kracht.workflow.demo.acting import act
from kracht.workflow.demo.data import LEADER

Echo = Callable[[str], Any]
MONITOR_YEAR, LATE_ON = 2019, "2020-03-01"

# title -> reports: (label, light, measured value, spent so far in euros, narrative, measures,
# received). Received: the due date unless given.
REPORTS: dict[str, list[tuple[str, str, str, str, str, str | None, str | None]]] = {
    "TalentIT Twente": [
        ("2019-Q1", "green", "12", "8000", "First 12 students combine study and an IT job.",
         None, "2019-04-26"),
        ("2019-Q2", "green", "25", "16500", "Second intake; 9 firms take part.", None, None),
        ("2019-Q3", "orange", "31", "24000", "Fewer firms offer jobs over the summer.", None,
         None),
        ("2019-Q4", "green", "44", "32000", "Intake back on plan after a firms' event.", None,
         None),
    ],
    "Twents Huis van de Logistiek": [
        ("2019-Q1", "green", "40", "21000", "Matching desk opened in Almelo.", None, None),
        ("2019-Q2", "green", "95", "43000", "Skills training with ROC van Twente started.", None,
         None),
        ("2019-Q3", "green", "160", "64000", "Port of Twente employers join the matching.", None,
         None),
        ("2019-Q4", "green", "240", "85000", "240 people placed in logistics jobs.", None,
         "2020-02-12"),
    ],
    "Mineral Valley Twente": [
        ("2019-Q1", "green", "2", "15000", "Two test gardens laid out with farmers.", None, None),
        ("2019-Q2", "orange", "3", "30000", "Third garden late: permits took longer.", None,
         None),
        ("2019-Q3", "red", "3", "41000", "The dry summer stopped two planned test gardens.",
         "Two extra gardens on irrigated plots; planting moved to spring 2020; the steering "
         "committee is informed every month.", None),
        ("2019-Q4", "orange", "5", "52000", "Two irrigated gardens running; recovery on track.",
         None, None),
    ],
    "Twents Fonds voor Vakmanschap": [
        ("2019-Q1", "green", "60", "45000", "Voucher desk open; first 60 vouchers used.", None,
         None),
        ("2019-Q2", "green", "150", "98000", "Employers in metal and care take part.", None,
         None),
        ("2019-Q3", "green", "260", "150000", "260 vouchers used for retraining.", None, None),
    ],
}  # fmt: skip


def run(url: str, path: Path, echo: Echo) -> Path:
    """Enter the four projects' 2019 reports, planned from their decision, and write the
    project monitor."""
    from kracht.workflow.services import applications, monitor_views, progress_reports

    echo("Monitoring (the projects report quarterly from their decision of 13 December 2018)")
    projects = {
        r["title"]: r["id"] for r in act(url, LEADER, applications.list_all, state="monitoring")
    }
    for title, reports in REPORTS.items():
        app_id = projects[title]
        indicator = act(url, LEADER, applications.show, app_id)["indicators"][0]
        for label, light, value, spent, narrative, measures, received in reports:
            due = _due(url, app_id, label)
            act(url, LEADER, progress_reports.submit, app_id, label, light=light,
                narrative=narrative, spent=spent, measures=measures,
                values={indicator["name"]: value}, received_on=received or due)  # fmt: skip
        lights = " ".join(r[1] for r in reports) + " -" * (4 - len(reports))
        echo(
            f"  {app_id}. {title:<32} 2019: {lights:<26} {indicator['name']}: "
            f"{reports[-1][2]} of {indicator['target']}"
        )
    late_then = act(url, LEADER, monitor_views.late, dt.date.fromisoformat(LATE_ON))
    for row in late_then:
        echo(f"  late on {LATE_ON}: {row['title']} {row['label']} (due {row['due_on']})")
    late_now = act(
        url,
        LEADER,
        monitor_views.late,
    )
    echo(
        f"  today {len(late_now)} reports are past due: the demo's data stops at the end of "
        "2019 (`kracht monitor late`)"
    )
    return _monitor(url, path, echo)


def _due(url: str, app_id: int, label: str) -> str:
    from kracht.workflow.services import monitor_views

    rows = act(url, LEADER, monitor_views.reports, application_id=app_id)
    return next(r["due_on"] for r in rows if r["label"] == label)


DOCUMENTS = (  # the four yearly documents (domain.md 7.2), in the order of the cycle
    ("accounts", MONITOR_YEAR),  # May 2020: the accounts of 2019
    ("annual", MONITOR_YEAR),  # June 2020: the annual report on 2019
    ("monitor", MONITOR_YEAR),  # November: the project monitor 2019
    ("plan", MONITOR_YEAR + 1),  # December 2019: the annual plan for 2020
)


def _monitor(url: str, path: Path, echo: Echo) -> Path:
    """The four yearly documents, in Dutch, as HTML, Markdown and PDF, into the reports folder
    beside the database."""
    from kracht.workflow.reports import documents as programme_reports

    out = path.parent / f"{path.stem}-reports"
    echo("The yearly documents, in Dutch (HTML, Markdown with its charts as SVG, PDF)")
    for kind, year in DOCUMENTS:
        result = act(url, LEADER, programme_reports.write, kind, year, out, language="nl")
        echo(f"  {result['title']} written to {result['files'][0]}")
    echo(f"  (each also as .md and .pdf beside it, in {out})\n")
    return out
