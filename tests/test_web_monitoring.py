"""The monitoring, auditor and applicant pages (issue 14) over a real HTTP server: a project's
schedule and traffic lights, the progress-report form (red needs measures), late reports; the
audit trail's verdict, exports and timelines, with no way for an auditor to write; an applicant's
own applications, letters and reports. Each page and form for the roles allowed and refused,
nothing written when refused."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import time_machine

from kracht.storage import audit
from kracht.storage.database import engine_for, session
from kracht.storage.tables import Application, AuditEvent, IndicatorValue, ProgressReport
from kracht.web.server import create_app
from kracht.workflow import engine
from kracht.workflow.services import accounts, decisions, monitor_views, progress_reports
from kracht.workflow.unit import Units
from tests import factories as f
from tests import web_server
from tests.factories import THIS_YEAR, make_application, run
from tests.web_server import csrf_of, running, signed_in

INDICATOR = "students meeting firms"  # the factories' indicator


@pytest.fixture
def site(any_world):  # type: ignore[no-untyped-def]
    with running(any_world.url) as base:
        yield base


def _approved_on(world, day: dt.date, **kw) -> int:
    """A project approved on `day`: its reports fell due since (2019-Q1 is due 2019-04-30)."""
    app_id = make_application(world, stage="steering_decision", **kw)
    with time_machine.travel(dt.datetime.combine(day, dt.time(10), dt.UTC), tick=False):
        run(world.url, f.STEERING, decisions.decide, app_id, "approve", reason="sound",
            amount="64389", year=THIS_YEAR)  # fmt: skip
    return app_id


def _ok_events(url: str) -> list[tuple[int, str]]:
    with session(url) as db:
        rows = db.exec(sa.select(AuditEvent).order_by(AuditEvent.seq)).scalars()  # type: ignore[call-overload, arg-type]
        return [(e.seq, e.action) for e in rows if e.outcome == "ok"]


def _written(url: str) -> tuple[object, ...]:
    """What a refused request must leave as it was: ok events, applications, reports, values."""
    with session(url) as db:
        apps = [(a.id, a.state, a.version) for a in db.exec(sa.select(Application)).scalars()]  # type: ignore[call-overload]
        reports = [
            (r.id, r.status, r.traffic_light, r.narrative)
            for r in db.exec(sa.select(ProgressReport)).scalars()  # type: ignore[call-overload]
        ]
        values = len(list(db.exec(sa.select(IndicatorValue)).scalars()))  # type: ignore[call-overload]
    return tuple(_ok_events(url)), tuple(sorted(apps)), tuple(sorted(reports)), values


def _reports(url: str, app_id: int) -> dict[str, dict[str, object]]:
    return {r["label"]: r for r in run(url, f.LEADER, monitor_views.project, app_id)["reports"]}


def _indicator_id(url: str, app_id: int) -> int:
    return run(url, f.LEADER, monitor_views.project, app_id)["indicators"][0]["id"]


def _post_forms(page: str) -> list[str]:
    """The actions of the page's forms that post (every form that writes)."""
    forms = re.findall(r"<form\b[^>]*>", page)
    posting = [tag for tag in forms if 'method="post"' in tag.lower()]
    return [re.search(r'action="([^"]*)"', tag).group(1) for tag in posting]  # type: ignore[union-attr]


REPORT = {"label": "2019-Q1", "light": "green", "narrative": "on plan", "spent": "1.000"}


# -- monitoring: a project ------------------------------------------------------------------------


def test_a_project_page_shows_its_schedule_and_traffic_lights_over_time(site, any_world):
    app_id = _approved_on(any_world, dt.date(2019, 1, 31))
    for label, light in (("2019-Q1", "orange"), ("2019-Q2", "green")):
        run(any_world.url, f.LEADER, progress_reports.submit, app_id, label, light=light,
            narrative=f"{label} went so", spent="12500,50", values={INDICATOR: "31"})  # fmt: skip
    leader = signed_in(site, any_world.url, f.LEADER)

    page = leader.get(f"/monitoring/{app_id}")

    assert page.status_code == 200
    assert "Rapportageschema" in page.text
    lights = re.findall(r'<li><span>([^<]+)</span> <span class="mon-light mon-light-(\w+)">(\w+)',
                        page.text)  # fmt: skip
    assert lights == [("2019-Q1", "orange", "oranje"), ("2019-Q2", "green", "groen")]
    assert "€ 12.500,50" in page.text  # Dutch money for a Dutch reader
    assert "30 april 2019" in page.text  # and Dutch dates
    assert "te laat" in page.text  # 2019-Q3 and later fell due unsubmitted
    assert 'action="/monitoring/' in page.text  # a programme leader may report


def test_a_report_submitted_on_the_form_is_kept_and_audited_through_the_web(site, any_world):
    app_id = _approved_on(any_world, dt.date(2019, 1, 31))
    indicator = _indicator_id(any_world.url, app_id)
    leader = signed_in(site, any_world.url, f.LEADER)
    page = leader.get(f"/monitoring/{app_id}")
    form = {**REPORT, "light": "orange", "narrative": "fewer firms than planned",
            f"value-{indicator}": "31", "received": "2019-04-29"}  # fmt: skip

    done = leader.post(f"/monitoring/{app_id}/report", data={"csrf": csrf_of(page.text), **form})

    assert done.status_code == 303
    assert done.headers["location"] == f"/monitoring/{app_id}?submitted=2019-Q1"
    report = _reports(any_world.url, app_id)["2019-Q1"]
    assert (report["status"], report["traffic_light"], report["spent_cents"]) == (
        "submitted", "orange", 100000,
    )  # fmt: skip
    assert (report["received_on"], report["days_late"]) == ("2019-04-29", 0)
    with session(any_world.url) as db:
        last = db.exec(sa.select(AuditEvent).order_by(AuditEvent.seq.desc())).scalars().first()  # type: ignore[call-overload, attr-defined]
        assert (last.action, last.actor, last.payload["channel"]) == (
            "report.submit", f.LEADER, "web",
        )  # fmt: skip
        assert last.payload["values"][0]["value"] == "31"
    shown = leader.get(done.headers["location"])
    assert "Rapportage ingediend: 2019-Q1" in shown.text


def test_a_red_report_without_measures_is_refused_on_the_form_and_nothing_is_kept(site, any_world):
    app_id = _approved_on(any_world, dt.date(2019, 1, 31))
    leader = signed_in(site, any_world.url, f.LEADER)
    csrf = csrf_of(leader.get(f"/monitoring/{app_id}").text)
    before = _written(any_world.url)

    form = {**REPORT, "light": "red", "narrative": "drought <b>hit</b>", "measures": "  "}
    refused = leader.post(f"/monitoring/{app_id}/report", data={"csrf": csrf, **form})

    assert refused.status_code == 400
    alert = refused.text[refused.text.index('role="alert"') :]
    assert "a red report needs the measures taken" in alert[:300]
    assert "drought &lt;b&gt;hit&lt;/b&gt;</textarea>" in refused.text  # kept, as text
    assert 'id="report-light-red" name="light" value="red" checked' in refused.text
    assert _written(any_world.url) == before
    measured = {**form, "measures": "irrigated plots"}
    assert leader.post(f"/monitoring/{app_id}/report",
                       data={"csrf": csrf, **measured}).status_code == 303  # fmt: skip
    report = _reports(any_world.url, app_id)["2019-Q1"]
    assert (report["traffic_light"], report["measures"]) == ("red", "irrigated plots")
    page = leader.get(f"/monitoring/{app_id}")
    assert "drought &lt;b&gt;hit&lt;/b&gt;" in page.text
    assert "<b>hit</b>" not in page.text


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"light": "purple"}, 400, "traffic light &#39;purple&#39; is not one of"),
        ({"spent": "lots"}, 400, "spending so far"),
        ({"label": "2031-Q1"}, 404, "open reports:"),
        ({"value-IND": "many"}, 400, INDICATOR),
    ],
)
def test_a_bad_report_is_shown_with_its_refusal_and_writes_nothing(
    site, any_world, change, status, message
):
    app_id = _approved_on(any_world, dt.date(2019, 1, 31))
    indicator = _indicator_id(any_world.url, app_id)
    change = {k.replace("IND", str(indicator)): v for k, v in change.items()}
    leader = signed_in(site, any_world.url, f.LEADER)
    csrf = csrf_of(leader.get(f"/monitoring/{app_id}").text)
    before = _written(any_world.url)

    refused = leader.post(f"/monitoring/{app_id}/report", data={"csrf": csrf, **REPORT, **change})

    assert refused.status_code == status
    assert 'role="alert"' in refused.text
    assert message in refused.text
    assert _written(any_world.url) == before


def test_a_value_recorded_on_the_form_is_kept_and_a_bad_one_refused(site, any_world):
    app_id = make_application(any_world, "monitoring")
    indicator = _indicator_id(any_world.url, app_id)
    leader = signed_in(site, any_world.url, f.LEADER)
    csrf = csrf_of(leader.get(f"/monitoring/{app_id}").text)
    before = _written(any_world.url)

    bad = leader.post(f"/monitoring/{app_id}/value",
                      data={"csrf": csrf, "indicator": str(indicator), "value": "-"})  # fmt: skip
    future = leader.post(f"/monitoring/{app_id}/value", data={
        "csrf": csrf, "indicator": str(indicator), "value": "5", "on": "2099-01-01"})  # fmt: skip
    assert (bad.status_code, future.status_code) == (400, 400)
    assert "lies in the future" in future.text
    assert _written(any_world.url) == before

    done = leader.post(f"/monitoring/{app_id}/value", data={
        "csrf": csrf, "indicator": str(indicator), "value": "42", "note": "count"})  # fmt: skip
    assert done.status_code == 303
    values = run(any_world.url, f.LEADER, monitor_views.project, app_id)["indicators"][0]["values"]
    assert [(v["value"], v["note"]) for v in values] == [("42", "count")]


@pytest.mark.parametrize("who", [f.AUDITOR, f.STEERING, f.MEMBER, f.OUTSIDER])
def test_who_may_not_report_is_refused_and_nothing_is_written(site, any_world, who):
    app_id = _approved_on(any_world, dt.date(2019, 1, 31))
    indicator = _indicator_id(any_world.url, app_id)
    client = signed_in(site, any_world.url, who)
    csrf = csrf_of(client.get("/").text)
    before = _written(any_world.url)

    report = client.post(f"/monitoring/{app_id}/report", data={"csrf": csrf, **REPORT})
    value = client.post(f"/monitoring/{app_id}/value",
                        data={"csrf": csrf, "indicator": str(indicator), "value": "3"})  # fmt: skip

    assert (report.status_code, value.status_code) == (403, 403)
    assert _written(any_world.url) == before
    page = client.get(f"/monitoring/{app_id}")
    if who == f.OUTSIDER:  # another organisation's project: not even to see
        assert page.status_code == 403
    else:
        assert page.status_code == 200
        assert _post_forms(page.text) == ["/sign-out"]  # no form for who may not use it


def test_a_project_not_in_monitoring_takes_no_report(site, any_world):
    app_id = make_application(any_world, "steering_decision")
    leader = signed_in(site, any_world.url, f.LEADER)
    page = leader.get(f"/monitoring/{app_id}")
    assert page.status_code == 200
    assert "Nog geen rapportageschema" in page.text
    before = _written(any_world.url)

    refused = leader.post(f"/monitoring/{app_id}/report",
                          data={"csrf": csrf_of(page.text), **REPORT})  # fmt: skip

    assert refused.status_code == 409
    assert "only a project in monitoring can submit progress reports" in refused.text
    assert _written(any_world.url) == before
    assert leader.get("/monitoring/99999").status_code == 404


# -- monitoring: across projects ------------------------------------------------------------------


def test_late_reports_across_projects_longest_overdue_first(site, any_world):
    older = _approved_on(any_world, dt.date(2019, 1, 31), title="Older <i>project</i>")
    newer = make_application(any_world, "monitoring", title="Newer project")
    auditor = signed_in(site, any_world.url, f.AUDITOR)

    page = auditor.get("/monitoring")

    assert page.status_code == 200
    late = page.text[page.text.index("Te late rapportages") : page.text.index("Alle rapportages")]
    assert f'href="/monitoring/{older}"' in late
    assert f'href="/monitoring/{newer}"' not in late  # approved today: nothing late yet
    assert "Older &lt;i&gt;project&lt;/i&gt;" in late
    days = [int(d) for d in re.findall(r'class="num mon-late">(\d+)<', late)]
    assert days == sorted(days, reverse=True)
    assert days
    assert _post_forms(page.text) == ["/sign-out"]
    submitted = auditor.get("/monitoring?status=submitted")
    assert submitted.status_code == 200
    assert f'href="/monitoring/{older}"' not in submitted.text.split("Alle rapportages")[1]
    assert auditor.get("/monitoring?status=lost").status_code == 400


def test_an_applicant_sees_only_their_own_late_reports(site, any_world):
    own = _approved_on(any_world, dt.date(2019, 1, 31))
    other = _approved_on(any_world, dt.date(2019, 1, 31), applicant=f.OTHER_APPLICANT,
                         title="Elsewhere")  # fmt: skip
    page = signed_in(site, any_world.url, f.APPLICANT).get("/monitoring")
    assert page.status_code == 200
    assert f'href="/monitoring/{own}"' in page.text
    assert f'href="/monitoring/{other}"' not in page.text


# -- the auditor ----------------------------------------------------------------------------------


def test_the_auditor_sees_the_trail_intact_and_each_applications_timeline(site, any_world):
    app_id = make_application(any_world, "idea")
    run(any_world.url, f.LEADER, engine.fire, app_id, "withdraw",
        reason="<script>x</script> partners left")  # fmt: skip
    auditor = signed_in(site, any_world.url, f.AUDITOR)
    with session(any_world.url) as db:
        count = len(audit.history(db))

    desk = auditor.get("/audit")
    timeline = auditor.get(f"/audit/applications/{app_id}")

    assert desk.status_code == 200
    assert f"De audittrail is intact: alle {count} gebeurtenissen kloppen." in desk.text
    assert f'href="/audit/applications/{app_id}"' in desk.text
    assert 'href="/audit/export/csv"' in desk.text
    assert 'href="/audit/export/jsonl"' in desk.text
    assert timeline.status_code == 200
    assert "&lt;script&gt;x&lt;/script&gt; partners left" in timeline.text
    assert "<script>x" not in timeline.text
    actions = re.findall(r"<td>(create|fire: \w+)</td>", timeline.text)
    assert actions[0] == "create"
    assert actions[-1] == "fire: Intrekken"  # the move in the auditor's words (Dutch)
    for page in (desk, timeline):
        assert _post_forms(page.text) == ["/sign-out"]


def test_a_broken_trail_names_its_first_broken_event(site, any_world):
    make_application(any_world, "idea")
    with engine_for(any_world.url).begin() as connection:
        if any_world.url.startswith("sqlite"):
            connection.exec_driver_sql("DROP TRIGGER audit_event_no_update")
        else:
            connection.exec_driver_sql("DROP TRIGGER audit_event_append_only ON audit_event")
        connection.exec_driver_sql("UPDATE audit_event SET actor = 'mallory' WHERE seq = 3")

    desk = signed_in(site, any_world.url, f.AUDITOR).get("/audit")

    assert desk.status_code == 200
    alert = desk.text[desk.text.index('role="alert"') :]
    assert "De audittrail is verbroken bij gebeurtenis #3:" in alert
    assert "De 2 gebeurtenissen daarvoor kloppen." in alert


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_the_trail_downloads_as_an_attachment_with_a_safe_name(site, any_world, fmt):
    make_application(any_world, "idea")
    auditor = signed_in(site, any_world.url, f.AUDITOR)
    with session(any_world.url) as db:
        count = len(audit.history(db))

    got = auditor.get(f"/audit/export/{fmt}")

    assert got.status_code == 200
    disposition = got.headers["content-disposition"]
    assert re.fullmatch(rf'attachment; filename="kracht-audit-trail-\d{{4}}-\d\d-\d\d\.{fmt}"',
                        disposition)  # fmt: skip
    lines = got.text.splitlines()
    if fmt == "csv":
        assert got.headers["content-type"].startswith("text/csv")
        assert lines[0].startswith("seq,")
        assert len(lines) == count + 1
    else:
        assert [json.loads(line)["seq"] for line in lines] == list(range(1, count + 1))


def test_only_auditors_and_programme_leaders_verify_and_export(site, any_world):
    app_id = make_application(any_world, "idea")
    leader = signed_in(site, any_world.url, f.LEADER)
    assert leader.get("/audit").status_code == 200
    assert leader.get("/audit/export/xml").status_code == 400
    for who in (f.MEMBER, f.STEERING, f.APPLICANT):
        client = signed_in(site, any_world.url, who)
        assert client.get("/audit").status_code == 403, who
        assert client.get("/audit/export/csv").status_code == 403, who
        assert client.get("/audit/export/jsonl").status_code == 403, who
    own = signed_in(site, any_world.url, f.APPLICANT).get(f"/audit/applications/{app_id}")
    assert own.status_code == 200  # their own application's history, as the service shows it
    outsider = signed_in(site, any_world.url, f.OUTSIDER)
    assert outsider.get(f"/audit/applications/{app_id}").status_code == 403
    assert web_server.get(f"{site}/audit/export/csv").status_code == 303  # not signed in


OWN_ACCESS = ("/sign-in", "/welcome/", "/sign-out", "/account/")  # a person's own access
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def _routes(routes: list[Any], prefix: str = "") -> Iterator[tuple[set[str], str]]:
    """Every route of the app with its methods, through included routers (FastAPI may keep an
    included router whole, with its prefix, rather than copy its routes)."""
    for route in routes:
        if hasattr(route, "original_router"):
            yield from _routes(route.original_router.routes, prefix + route.include_context.prefix)
        elif hasattr(route, "methods"):
            yield set(route.methods), prefix + route.path


def _filled(path: str, app_id: int) -> str:
    """A route's path with its parameters filled: the project for ids, a plausible word else."""
    words = {"trigger": "withdraw", "label": "2019-Q1", "fmt": "csv", "language": "nl"}
    return re.sub(r"\{(\w+)(:\w+)?\}",
                  lambda m: words.get(m.group(1), str(app_id)), path)  # fmt: skip


def test_every_write_route_of_the_whole_app_refuses_the_auditor_and_writes_nothing(site, any_world):
    """Every route that changes something, of every page module and the API, as the app lists
    them, with the auditor's form token (or API token) and plausible fields: refused, and no
    record changed. Left out: a person's own access (signing in and out, their own sessions and
    tokens on My account), which an auditor keeps like everyone."""
    app_id = _approved_on(any_world, dt.date(2019, 1, 31))
    auditor = signed_in(site, any_world.url, f.AUDITOR)
    csrf = csrf_of(auditor.get("/").text)
    token = run(any_world.url, f.AUDITOR, accounts.create_token, "audit", None, 30)["token"]
    routes = [
        (method, path)
        for methods, path in _routes(create_app(Units(any_world.url)).routes)
        for method in sorted(methods & UNSAFE)
    ]
    writes = [(m, p) for m, p in routes if not p.startswith(OWN_ACCESS)]
    assert {p for _, p in writes} >= {
        "/applications/{application_id}/fire/{trigger}",
        "/monitoring/{application_id}/report",
        "/monitoring/{application_id}/value",
        "/monitoring/{application_id}/replan",
        "/monitoring/{application_id}/close",
        "/committee/{application_id}/assign",
        "/api/v1/applications/{application_id}/fire",
    }
    form = {**REPORT, "csrf": csrf, "reason": "x", "indicator": "1", "value": "1",
            "amount": "1000", "trigger": "withdraw"}  # fmt: skip
    before = _written(any_world.url)

    answers = {}
    for method, path in writes:
        target = _filled(path, app_id)
        if path.startswith("/api/"):
            body = {"trigger": "withdraw", "reason": "x"}
            bearer = {"Authorization": f"Bearer {token}"}
            answer = httpx.request(method, f"{site}{target}", json=body, headers=bearer)
        else:
            answer = auditor.request(method, target, data=form)
        answers[(method, path)] = answer.status_code

    assert {k: v for k, v in answers.items() if v not in (403, 404, 405)} == {}
    assert _written(any_world.url) == before


# -- the applicant --------------------------------------------------------------------------------


def test_an_applicant_sees_their_organisations_applications_letters_and_reports_due(
    site, any_world
):
    project = _approved_on(any_world, dt.date(2019, 1, 31))
    idea = make_application(any_world, "idea", title="Next <idea>")
    other = _approved_on(any_world, dt.date(2019, 1, 31), applicant=f.OTHER_APPLICANT,
                         title="Elsewhere")  # fmt: skip
    applicant = signed_in(site, any_world.url, f.APPLICANT)

    page = applicant.get("/organisation")

    assert page.status_code == 200
    assert f'href="/applications/{project}"' in page.text
    assert f'href="/applications/{idea}"' in page.text
    assert "Next &lt;idea&gt;" in page.text
    assert f'href="/applications/{other}"' not in page.text
    assert "Elsewhere" not in page.text
    assert f'href="/organisation/letters/{project}"' in page.text
    assert f'href="/organisation/letters/{idea}"' not in page.text  # not decided yet
    assert "toegekend" in page.text
    assert "€ 64.389,00" in page.text
    due = page.text[page.text.index("Rapportages die u moet indienen") :]
    assert "2019-Q1" in due
    assert f'href="/monitoring/{project}#report"' in due
    assert _post_forms(page.text) == ["/sign-out"]

    letter = applicant.get(f"/organisation/letters/{project}")
    english = applicant.get(f"/organisation/letters/{project}?language=en")
    assert letter.status_code == english.status_code == 200
    nl_text = run(any_world.url, f.APPLICANT, decisions.letter, project, "nl")
    en_text = run(any_world.url, f.APPLICANT, decisions.letter, project, "en")
    assert nl_text.splitlines()[0] in letter.text
    assert en_text.splitlines()[0] in english.text
    assert applicant.get(f"/organisation/letters/{other}").status_code == 404
    assert applicant.get(f"/organisation/letters/{idea}").status_code == 404


def test_an_applicant_submits_their_own_report_and_may_not_backdate_it(site, any_world):
    app_id = _approved_on(any_world, dt.date(2019, 1, 31))
    applicant = signed_in(site, any_world.url, f.APPLICANT)
    page = applicant.get(f"/monitoring/{app_id}")
    assert page.status_code == 200
    assert 'name="received"' not in page.text  # only a programme leader backdates
    csrf = csrf_of(page.text)
    before = _written(any_world.url)

    backdated = applicant.post(f"/monitoring/{app_id}/report",
                               data={"csrf": csrf, **REPORT, "received": "2019-04-29"})  # fmt: skip
    assert backdated.status_code == 409  # the service's refusal: not possible for this role
    assert "only a programme leader enters reports" in backdated.text
    assert _written(any_world.url) == before

    done = applicant.post(f"/monitoring/{app_id}/report", data={"csrf": csrf, **REPORT})
    assert done.status_code == 303
    report = _reports(any_world.url, app_id)["2019-Q1"]
    assert (report["status"], report["submitted_by"]) == ("submitted", f.APPLICANT)


@pytest.mark.parametrize("who", [f.LEADER, f.AUDITOR, f.STEERING])
def test_the_applicants_overview_is_for_applicants(site, any_world, who):
    client = signed_in(site, any_world.url, who)
    assert client.get("/organisation").status_code == 403
    assert 'href="/organisation"' not in client.get("/").text


def test_the_menu_shows_each_role_its_parts(site, any_world):
    menus = {
        who: re.findall(
            r'<li><a href="(/[^"]*)"', signed_in(site, any_world.url, who).get("/").text
        )
        for who in (f.AUDITOR, f.APPLICANT, f.LEADER)
    }
    assert "/audit" in menus[f.AUDITOR]
    assert "/monitoring" in menus[f.AUDITOR]
    assert "/organisation" in menus[f.APPLICANT]
    assert "/audit" not in menus[f.APPLICANT]
    assert "/monitoring" not in menus[f.APPLICANT]
    assert "/audit" in menus[f.LEADER]
    assert "/organisation" not in menus[f.LEADER]
