"""The web forms for work the services already did (issue 14) over a real HTTP server: the
programme leader replans a project's reports and closes it out on its monitoring page; the
spending warnings of a progress report shown on the page the person lands on; the programme
leader assigns committee members from the directory; the application page links to the pages
where its work is done. Each for the roles allowed and refused, nothing written when refused
(the auditor: tests/test_web_monitoring.py, every write route)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from kracht.basics.euros import format_euros
from kracht.storage.database import session
from kracht.storage.tables import AuditEvent, Person
from kracht.workflow.services import applications, monitor_views, score_sheets
from tests import factories as f
from tests.factories import make_application, run
from tests.test_web_monitoring import (
    INDICATOR,
    REPORT,
    _approved_on,
    _indicator_id,
    _post_forms,
    _written,
)
from tests.web_server import PASSWORD, browser, csrf_of, running, signed_in

ABOVE = "is meer dan de toekenning"  # the warning of spending above the grant, in Dutch


@pytest.fixture
def site(any_world):  # type: ignore[no-untyped-def]
    with running(any_world.url) as base:
        yield base


def _last_event(url: str) -> AuditEvent:
    with session(url) as db:
        query = sa.select(AuditEvent).order_by(AuditEvent.seq.desc())  # type: ignore[attr-defined]
        return db.exec(query).scalars().first()  # type: ignore[call-overload, no-any-return]


def _alert(page: str) -> str:
    """The refusal a page shows: its alert, up to where it ends."""
    start = page.index('role="alert"')
    return page[start : page.index("</div>", start)]


def _project(url: str, app_id: int) -> dict[str, Any]:
    return run(url, f.LEADER, monitor_views.project, app_id)


# -- monitoring: replan ---------------------------------------------------------------------------


def test_the_programme_leader_replans_a_projects_reports_on_its_page(site, any_world):
    app_id = make_application(any_world, "monitoring")
    assert _project(any_world.url, app_id)["schedule"]["every_months"] == 3
    leader = signed_in(site, any_world.url, f.LEADER)
    page = leader.get(f"/monitoring/{app_id}")
    assert f"/monitoring/{app_id}/replan" in _post_forms(page.text)
    assert '<label for="replan-every">Elke (maanden)</label>' in page.text

    done = leader.post(f"/monitoring/{app_id}/replan", data={"csrf": csrf_of(page.text),
                                                             "every": "6"})  # fmt: skip

    assert done.status_code == 303
    assert done.headers["location"] == f"/monitoring/{app_id}?done=replanned"
    schedule = _project(any_world.url, app_id)["schedule"]
    assert schedule["every_months"] == 6
    last = _last_event(any_world.url)
    assert (last.action, last.actor, last.payload["channel"]) == ("report.replan", f.LEADER, "web")
    shown = leader.get(done.headers["location"])
    assert "De rapportages zijn opnieuw gepland." in shown.text
    assert "<dt>Elke (maanden)</dt><dd>6</dd>" in shown.text


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"until": "2001-01-01"}, "the end date 2001-01-01 lies before the start"),
        ({"every": "5"}, "the reporting interval takes 1, 3, 6 or 12 months"),
        ({"every": "vaak"}, "the reporting interval &#39;vaak&#39; is not a number of months"),
        ({"start": "morgen"}, "the start date"),
    ],
)
def test_a_bad_replan_is_refused_naming_its_field_and_nothing_is_written(
    site, any_world, change, message
):
    app_id = make_application(any_world, "monitoring")
    leader = signed_in(site, any_world.url, f.LEADER)
    csrf = csrf_of(leader.get(f"/monitoring/{app_id}").text)
    before = _written(any_world.url), _project(any_world.url, app_id)["schedule"]

    refused = leader.post(f"/monitoring/{app_id}/replan", data={"csrf": csrf, **change})

    assert refused.status_code == 400
    alert = _alert(refused.text)
    assert message in alert
    assert alert.count("<p>") == 1  # one line
    assert (_written(any_world.url), _project(any_world.url, app_id)["schedule"]) == before
    for name, value in change.items():  # what was typed stays in the form
        if name != "every":
            assert f'name="{name}" type="date" value="{value}"' in refused.text


# -- monitoring: close-out ------------------------------------------------------------------------


def test_the_programme_leader_closes_a_project_out_with_its_final_report(site, any_world):
    app_id = make_application(any_world, "monitoring")
    indicator = _indicator_id(any_world.url, app_id)
    leader = signed_in(site, any_world.url, f.LEADER)
    page = leader.get(f"/monitoring/{app_id}")
    assert f"/monitoring/{app_id}/close" in _post_forms(page.text)
    assert f'<label for="close-final-{indicator}">Eindwaarde: {INDICATOR}' in page.text
    form = {"final_report": "162 students met <b>50</b> firms", "final_spent": "60.000,00",
            f"final-{indicator}": "162", "csrf": csrf_of(page.text)}  # fmt: skip

    done = leader.post(f"/monitoring/{app_id}/close", data=form)

    assert done.status_code == 303
    assert done.headers["location"] == f"/monitoring/{app_id}?done=closed"
    record = run(any_world.url, f.LEADER, applications.show, app_id)
    assert record["state"] == "closed"
    assert record["stage_data"]["monitoring"]["final_report"] == "162 students met <b>50</b> firms"
    final = [r for r in record["monitoring"]["reports"] if r["status"] == "submitted"][-1]
    assert final["spent_cents"] == 6000000
    values = _project(any_world.url, app_id)["indicators"][0]["values"]
    assert [v["value"] for v in values] == ["162"]
    shown = leader.get(done.headers["location"])
    assert "Het project is afgesloten." in shown.text
    assert _post_forms(shown.text) == ["/sign-out"]  # nothing left to plan, report or close


def test_a_close_out_with_reports_missing_is_refused_and_names_what_is_missing(site, any_world):
    app_id = _approved_on(any_world, dt.date(2019, 1, 31))  # its reports fell due unsubmitted
    indicator = _indicator_id(any_world.url, app_id)
    leader = signed_in(site, any_world.url, f.LEADER)
    csrf = csrf_of(leader.get(f"/monitoring/{app_id}").text)
    before = _written(any_world.url)
    form = {"csrf": csrf, "final_report": "done", "final_spent": "1000",
            f"final-{indicator}": "150"}  # fmt: skip

    missing = leader.post(f"/monitoring/{app_id}/close", data=form)
    empty = leader.post(f"/monitoring/{app_id}/close", data={**form, "final_report": " "})
    money = leader.post(f"/monitoring/{app_id}/close", data={**form, "final_spent": "veel"})

    assert missing.status_code == 422
    assert "2019-Q1" in _alert(missing.text)  # the reports missing, listed
    assert 'name="final_report" maxlength="20000" required>done</textarea>' in missing.text
    assert (empty.status_code, money.status_code) == (400, 400)
    assert "give a final report" in _alert(empty.text)
    assert "spending at close-out" in _alert(money.text)
    assert _written(any_world.url) == before
    assert run(any_world.url, f.LEADER, applications.show, app_id)["state"] == "monitoring"


@pytest.mark.parametrize("who", [f.APPLICANT, f.STEERING, f.MEMBER, f.OUTSIDER])
def test_who_may_not_plan_is_refused_replan_and_close_and_nothing_is_written(site, any_world, who):
    app_id = make_application(any_world, "monitoring")
    indicator = _indicator_id(any_world.url, app_id)
    client = signed_in(site, any_world.url, who)
    csrf = csrf_of(client.get("/").text)
    before = _written(any_world.url), _project(any_world.url, app_id)["schedule"]

    replan = client.post(f"/monitoring/{app_id}/replan", data={"csrf": csrf, "every": "6"})
    final = {"final_report": "done", "final_spent": "1", f"final-{indicator}": "1"}
    close = client.post(f"/monitoring/{app_id}/close", data={"csrf": csrf, **final})

    assert (replan.status_code, close.status_code) == (403, 403)
    assert (_written(any_world.url), _project(any_world.url, app_id)["schedule"]) == before
    page = client.get(f"/monitoring/{app_id}")
    if who != f.OUTSIDER:
        forms = _post_forms(page.text)
        assert f"/monitoring/{app_id}/replan" not in forms
        assert f"/monitoring/{app_id}/close" not in forms


# -- monitoring: spending warnings ----------------------------------------------------------------


def test_spending_warnings_show_once_on_the_page_the_person_lands_on(site, any_world):
    app_id = _approved_on(any_world, dt.date(2019, 1, 31))  # granted € 64.389
    leader = signed_in(site, any_world.url, f.LEADER)
    csrf = csrf_of(leader.get(f"/monitoring/{app_id}").text)

    done = leader.post(f"/monitoring/{app_id}/report",
                       data={"csrf": csrf, **REPORT, "spent": "70.000"})  # fmt: skip

    assert done.status_code == 303
    assert done.headers["location"] == f"/monitoring/{app_id}?submitted=2019-Q1"
    landed = leader.get(done.headers["location"])
    assert "Rapportage ingediend: 2019-Q1" in landed.text
    warning = _alert(landed.text)
    assert "Let op bij de bestedingen" in warning
    assert f"De besteding tot nu toe, € 70.000,00, {ABOVE} van € 64.389,00." in warning
    again = leader.get(done.headers["location"])  # shown once: the notice is gone
    assert ABOVE not in again.text

    lower = leader.post(f"/monitoring/{app_id}/report", data={
        "csrf": csrf, **REPORT, "label": "2019-Q2", "spent": "10.000"})  # fmt: skip
    lowered = leader.get(lower.headers["location"]).text
    assert "is lager dan de € 70.000,00 die eerder is gemeld" in lowered
    quiet = leader.post(f"/monitoring/{app_id}/report", data={
        "csrf": csrf, **REPORT, "label": "2019-Q3", "spent": "20.000"})  # fmt: skip
    assert "kracht_flash" not in quiet.headers.get("set-cookie", "")
    assert 'role="alert"' not in leader.get(quiet.headers["location"]).text


def _flash(client: httpx.Client, value: str | None = None) -> str:
    """The warning cookie `client` holds; with `value`, replace it with that."""
    cookie = next(c for c in client.cookies.jar if c.name == "kracht_flash")
    if value is not None:
        client.cookies.delete("kracht_flash")
        client.cookies.set("kracht_flash", value, domain=cookie.domain, path="/")
    return str(cookie.value)


def test_a_forged_misplaced_or_anothers_warning_is_not_shown(site, any_world):
    app_id = _approved_on(any_world, dt.date(2019, 1, 31))
    elsewhere = _approved_on(any_world, dt.date(2019, 1, 31), title="Elsewhere")
    leader = signed_in(site, any_world.url, f.LEADER)
    other = browser(site)  # another session of the same person
    form = csrf_of(other.get("/sign-in").text)
    fields = {"csrf": form, "email": f.LEADER, "password": PASSWORD}
    assert other.post("/sign-in", data=fields).status_code == 303
    csrf = csrf_of(leader.get(f"/monitoring/{app_id}").text)
    leader.post(f"/monitoring/{app_id}/report", data={"csrf": csrf, **REPORT, "spent": "70.000"})
    kept = _flash(leader)
    landing = f"/monitoring/{app_id}?submitted=2019-Q1"

    assert ABOVE not in leader.get(f"/monitoring/{elsewhere}?submitted=x").text
    other.cookies.set("kracht_flash", kept, domain=next(iter(leader.cookies.jar)).domain)
    assert ABOVE not in other.get(landing).text
    body, _, signature = kept.partition(".")
    _flash(leader, f"{body}.{'0' * len(signature)}")
    assert ABOVE not in leader.get(landing).text
    _flash(leader, kept)  # the genuine notice, still unshown, shows
    assert ABOVE in leader.get(landing).text


# -- committee assignment -------------------------------------------------------------------------


def _seats(page: str) -> dict[str, str]:
    """The members the assignment form offers: {e-mail: field name}."""
    return {email: name for name, email in
            re.findall(r'name="(member-\d+)" value="([^"]+)"', page)}  # fmt: skip


def _committee(url: str, app_id: int) -> dict[str, Any]:
    return run(url, f.LEADER, score_sheets.view, app_id)


def test_the_programme_leader_assigns_members_and_a_linked_one_is_recused(site, any_world):
    app_id = make_application(any_world, "assessment_committee")
    run(any_world.url, f.LEADER, applications.add_partner, app_id, organisation="Saxion")
    leader = signed_in(site, any_world.url, f.LEADER)
    page = leader.get(f"/committee/{app_id}")
    assert f"/committee/{app_id}/assign" in _post_forms(page.text)
    seats = _seats(page.text)
    assert set(seats) == {f.CHAIR, f.MEMBER, f.MEMBER2, f.SAXION_MEMBER}  # committee roles only
    assert (f"Committee Chair &lt;{f.CHAIR}&gt;: voorzitter van de commissie, commissielid"
            in page.text)  # fmt: skip
    linked = f'id="{seats[f.SAXION_MEMBER]}-linked">werkt bij de aanvrager of een partner'
    assert linked in page.text

    done = leader.post(f"/committee/{app_id}/assign", data={
        "csrf": csrf_of(page.text), seats[f.MEMBER]: f.MEMBER,
        seats[f.SAXION_MEMBER]: f.SAXION_MEMBER})  # fmt: skip

    assert done.status_code == 303
    assert done.headers["location"] == f"/committee/{app_id}?done=assigned"
    members = {m["member"]: m for m in _committee(any_world.url, app_id)["members"]}
    assert set(members) == {f.MEMBER, f.SAXION_MEMBER}
    assert (members[f.MEMBER]["recused"], members[f.SAXION_MEMBER]["recused"]) == (False, True)
    shown = leader.get(done.headers["location"])
    assert "De leden zijn toegewezen." in shown.text
    assert "teruggetrokken (belangenconflict): works at Saxion, a partner" in shown.text
    assert set(_seats(shown.text)) == {f.CHAIR, f.MEMBER2}  # the assigned are offered no more
    last = _last_event(any_world.url)
    assert (last.action, last.payload["channel"]) == ("committee.assign", "web")


@pytest.mark.parametrize(
    ("chosen", "message"),
    [
        ({}, "name at least one member to assign"),
        ({"member-9001": f.STEERING, "member-9002": f.MEMBER},
         f"{f.STEERING} is not a committee member; nobody was assigned"),
        ({"member-9003": f.CHAIR}, f"{f.CHAIR} is already assigned to application"),
        ({"member-9004": "nobody@example.org"}, "no person &#39;nobody@example.org&#39;"),
    ],
)  # fmt: skip
def test_a_refused_assignment_says_why_and_assigns_nobody(site, any_world, chosen, message):
    app_id = make_application(any_world, "assessment_committee")
    leader = signed_in(site, any_world.url, f.LEADER)
    csrf = csrf_of(leader.get(f"/committee/{app_id}").text)
    leader.post(f"/committee/{app_id}/assign", data={"csrf": csrf, "member-1": f.CHAIR})
    before = _written(any_world.url), _committee(any_world.url, app_id)

    refused = leader.post(f"/committee/{app_id}/assign", data={"csrf": csrf, **chosen})

    assert refused.status_code in (400, 404)
    alert = _alert(refused.text)
    assert message in alert
    assert alert.count("<p>") == 1
    assert (_written(any_world.url), _committee(any_world.url, app_id)) == before


def test_members_are_assigned_only_while_the_committee_has_the_application(site, any_world):
    app_id = make_application(any_world, "idea")
    leader = signed_in(site, any_world.url, f.LEADER)
    page = leader.get(f"/committee/{app_id}")
    assert f"/committee/{app_id}/assign" not in _post_forms(page.text)
    before = _written(any_world.url)

    refused = leader.post(f"/committee/{app_id}/assign",
                          data={"csrf": csrf_of(page.text), "member-1": f.MEMBER})  # fmt: skip

    assert refused.status_code == 409
    assert "members are assigned while the application is with the committee" in refused.text
    assert _written(any_world.url) == before


@pytest.mark.parametrize("who", [f.MEMBER, f.STEERING, f.APPLICANT, f.OUTSIDER])
def test_who_may_not_assign_is_refused_and_nothing_is_written(site, any_world, who):
    app_id = make_application(any_world, "assessment_committee")
    client = signed_in(site, any_world.url, who)
    csrf = csrf_of(client.get("/").text)
    before = _written(any_world.url), _committee(any_world.url, app_id)

    refused = client.post(f"/committee/{app_id}/assign", data={"csrf": csrf, "member-1": f.MEMBER})

    assert refused.status_code == 403
    assert (_written(any_world.url), _committee(any_world.url, app_id)) == before
    page = client.get(f"/committee/{app_id}")
    assert f"/committee/{app_id}/assign" not in _post_forms(page.text)


# -- the application page's links -----------------------------------------------------------------


def _links(client: httpx.Client, app_id: int) -> set[str]:
    page = client.get(f"/applications/{app_id}")
    assert page.status_code == 200
    if "Verder met deze aanvraag" not in page.text:
        return set()
    nav = page.text[page.text.index('<nav aria-labelledby="pages-title">') :]
    return set(re.findall(r'href="([^"]+)"', nav[: nav.index("</nav>")]))


def test_the_application_page_links_to_the_pages_that_concern_the_person_now(site, any_world):
    url = any_world.url
    idea = make_application(any_world, "idea")
    committee = make_application(any_world, "assessment_committee")
    deciding = make_application(any_world, "steering_decision")
    project = make_application(any_world, "monitoring")
    people = {who: signed_in(site, url, who) for who in
              (f.LEADER, f.MEMBER, f.STEERING, f.APPLICANT, f.AUDITOR)}  # fmt: skip
    timeline = "/audit/applications/{}"
    expected = {
        (f.LEADER, idea): {timeline},
        (f.MEMBER, idea): set(),
        (f.LEADER, committee): {"/committee/{}", timeline},
        (f.MEMBER, committee): {"/committee/{}"},
        (f.STEERING, committee): set(),
        (f.STEERING, deciding): {"/steering/{}"},
        (f.LEADER, deciding): {"/committee/{}", "/steering/{}", timeline},  # the leader defers
        (f.MEMBER, deciding): {"/committee/{}"},
        (f.APPLICANT, deciding): set(),
        (f.APPLICANT, project): {"/monitoring/{}"},
        (f.STEERING, project): {"/monitoring/{}"},
        (f.AUDITOR, project): {"/committee/{}", "/monitoring/{}", timeline},
    }
    for (who, app_id), paths in expected.items():
        links = _links(people[who], app_id)
        assert links == {p.format(app_id) for p in paths}, (who, app_id)
        for link in links:
            assert people[who].get(link).status_code == 200, (who, link)


def test_an_english_reader_gets_the_forms_and_warnings_in_english(site, any_world):
    app_id = _approved_on(any_world, dt.date(2019, 1, 31))
    with session(any_world.url, write=True) as db:
        leader = db.exec(sa.select(Person).where(Person.email == f.LEADER)).scalars().one()  # type: ignore[call-overload]
        leader.language = "en"
    client = signed_in(site, any_world.url, f.LEADER)
    page = client.get(f"/monitoring/{app_id}")
    assert '<h2 id="replan">Replan the reports</h2>' in page.text
    assert '<label for="close-final-report">Final report</label>' in page.text

    done = client.post(f"/monitoring/{app_id}/report",
                       data={"csrf": csrf_of(page.text), **REPORT, "spent": "70.000"})  # fmt: skip

    spent, granted = format_euros(7000000, "en"), format_euros(6438900, "en")
    landed = client.get(done.headers["location"]).text
    assert f"Spending so far, {spent}, exceeds the grant of {granted}." in _alert(landed)
    record = client.get(f"/applications/{app_id}").text
    assert f'<a href="/monitoring/{app_id}">Monitoring</a>' in record
    assert "Work on this application" in record
