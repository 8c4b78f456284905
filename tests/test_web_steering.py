"""The steering and money pages (issue 14) over a real HTTP server: the decision previewed as a
dry run that writes nothing, then confirmed; the letter; budgets with the multiplier; conditions
met with evidence. Each refused role gets its status and nothing is written."""

from __future__ import annotations

import html
import re

import pytest
import sqlalchemy as sa

from kracht.storage.database import session
from kracht.storage.tables import Application, AuditEvent
from kracht.workflow.services import budgets, directory
from tests import factories as f
from tests import web_server
from tests.factories import THIS_YEAR, make_application, run
from tests.web_server import csrf_of, running, signed_in


@pytest.fixture
def site(any_world):  # type: ignore[no-untyped-def]
    with running(any_world.url) as base:
        yield base


def _events(url: str) -> list[tuple[int, str, str | None, str]]:
    with session(url) as db:
        rows = db.exec(sa.select(AuditEvent).order_by(AuditEvent.seq)).scalars()  # type: ignore[call-overload, arg-type]
        return [(e.seq, e.action, e.trigger, e.outcome) for e in rows]


def _app(url: str, app_id: int) -> tuple[str, int]:
    with session(url) as db:
        found = db.get(Application, app_id)
        assert found is not None
        return found.state, found.version


def _money(url: str) -> list[dict]:
    return run(url, f.LEADER, budgets.budget_overview)["budgets"]


def _written(url: str, app_id: int) -> tuple:
    """What a write would change: the audit trail, the application, the budgets."""
    return _events(url), _app(url, app_id), _money(url)


def _line_budget(url: str, amount: str) -> None:
    run(url, f.LEADER, budgets.set_budget, programme=f.AVT_2018, year=THIS_YEAR,
        line="talent", amount=amount)  # fmt: skip


def _hidden(page: str, action: str) -> dict[str, str]:
    """The hidden fields of the form posting to `action` (the confirm button's)."""
    start = page.index(f'action="{action}"')
    form = page[start : page.index("</form>", start)]
    return {
        html.unescape(n): html.unescape(v)
        for n, v in re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', form)
    }


APPROVE = {"outcome": "approve", "reason": "innovatief, veel bedrijven", "amount": "64.389"}


def test_a_steering_member_previews_a_decision_that_writes_nothing_then_confirms_it(
    site, any_world
):
    url = any_world.url
    app_id = make_application(any_world, "steering_decision")
    steering = signed_in(site, url, f.STEERING)
    listed = steering.get("/steering")
    assert listed.status_code == 200
    assert f'href="/steering/{app_id}"' in listed.text
    form = steering.get(f"/steering/{app_id}")
    assert form.status_code == 200
    assert f'action="/steering/{app_id}/preview"' in form.text
    assert '<option value="approve_with_conditions">' in form.text
    before = _written(url, app_id)

    preview = steering.post(f"/steering/{app_id}/preview",
                            data={"csrf": csrf_of(form.text), **APPROVE})  # fmt: skip

    assert preview.status_code == 200, preview.text
    assert _written(url, app_id) == before  # not an audit event, not a cent
    assert "Voorbeeld: er is nog niets vastgelegd" in preview.text
    assert "€ 64.389,00" in preview.text  # read the Dutch way, shown the Dutch way
    assert "€ 2.000.000,00" in preview.text
    assert "€ 1.935.611,00" in preview.text
    assert "monitoring" in preview.text
    assert "De besluitbrief die zou worden verstuurd" in preview.text
    assert "innovatief, veel bedrijven" in preview.text.split("zou worden verstuurd", 1)[1]
    confirm = _hidden(preview.text, f"/steering/{app_id}/decide")
    assert confirm["amount"] == "64.389"
    assert confirm["version"] == str(before[1][1])

    done = steering.post(f"/steering/{app_id}/decide", data=confirm)

    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"/steering/{app_id}/letter"
    assert _app(url, app_id)[0] == "monitoring"
    seq, action, trigger, outcome = _events(url)[-1]
    assert (action, trigger, outcome) == ("fire", "approve", "ok")
    with session(url) as db:
        event = db.exec(sa.select(AuditEvent).where(AuditEvent.seq == seq)).scalar_one()  # type: ignore[call-overload, arg-type]
        assert (event.actor, event.payload["channel"]) == (f.STEERING, "web")
    pool = next(b for b in _money(url) if b["programme"] == f.AVT_2018)
    assert pool["committed_cents"] == 6438900
    letter = steering.get(f"/steering/{app_id}/letter")
    assert letter.status_code == 200
    assert "TalentIT Twente" in letter.text
    assert 'lang="nl"' in letter.text
    english = steering.get(f"/steering/{app_id}/letter?lang=en")
    assert english.status_code == 200
    assert '<article lang="en"' in english.text


def test_the_preview_warns_when_little_of_the_budget_is_left(site, any_world):
    url = any_world.url
    _line_budget(url, "100000")
    app_id = make_application(any_world, "steering_decision", requested="100000")
    steering = signed_in(site, url, f.STEERING)
    csrf = csrf_of(steering.get(f"/steering/{app_id}").text)
    before = _written(url, app_id)
    preview = steering.post(f"/steering/{app_id}/preview",
                            data={"csrf": csrf, **APPROVE, "amount": "95000"})  # fmt: skip
    assert preview.status_code == 200
    assert 'role="alert"' in preview.text
    assert "less than 10% of its EUR 100,000.00" in preview.text
    assert "€ 5.000,00 van € 100.000,00" in preview.text
    assert _written(url, app_id) == before


def test_a_grant_spread_over_two_years_previews_each_years_charge(site, any_world):
    url = any_world.url
    run(url, f.LEADER, budgets.set_budget, programme=f.AVT_2018, year=THIS_YEAR + 1,
        amount="1000000")  # fmt: skip
    app_id = make_application(any_world, "steering_decision", requested="100000")
    steering = signed_in(site, url, f.STEERING)
    csrf = csrf_of(steering.get(f"/steering/{app_id}").text)
    before = _written(url, app_id)
    data = {"csrf": csrf, **APPROVE, "amount": "64.389,01", "year": str(THIS_YEAR),
            "spread_until": str(THIS_YEAR + 1)}  # fmt: skip
    preview = steering.post(f"/steering/{app_id}/preview", data=data)
    assert preview.status_code == 200, preview.text
    rows = re.findall(r"<tr>\s*<td>(\d{4})</td>.*?<td class=\"num\">([^<]+)</td>", preview.text,
                      re.S)  # fmt: skip
    assert rows == [(str(THIS_YEAR), "€ 32.194,51"), (str(THIS_YEAR + 1), "€ 32.194,50")]
    assert "€ 967.805,50 van € 1.000.000,00" in preview.text
    assert _written(url, app_id) == before


def test_a_preview_the_guard_refuses_shows_what_is_missing_and_writes_nothing(site, any_world):
    url = any_world.url
    app_id = make_application(any_world, "steering_decision")
    steering = signed_in(site, url, f.STEERING)
    csrf = csrf_of(steering.get(f"/steering/{app_id}").text)
    before = _written(url, app_id)
    for data, status, said in (
        ({"outcome": "approve", "reason": "goed"}, 422, "a granted amount (granted)"),
        ({**APPROVE, "amount": "64389000"}, 422, "no higher than the requested amount"),
        ({**APPROVE, "amount": "1,500"}, 400, "1,500"),
        ({**APPROVE, "year": "20x6"}, 400, "is not a year"),
        ({"outcome": "reject", "reason": "nee", "amount": "5"}, 400, "leave it out"),
        ({"outcome": "defer", "reason": "later"}, 422, "deferred_until"),
        ({**APPROVE, "outcome": "approve_with_conditions", "condition_text_1": "x"}, 400,
         "condition 1: give its due date, owner and text"),
    ):  # fmt: skip
        refused = steering.post(f"/steering/{app_id}/preview", data={"csrf": csrf, **data})
        assert refused.status_code == status, (data, refused.text)
        assert 'role="alert"' in refused.text, data
        assert html.escape(said) in refused.text, data
        assert 'action="/steering/' + str(app_id) + '/decide"' not in refused.text
    assert _written(url, app_id) == before


@pytest.mark.parametrize("person", [f.MEMBER, f.AUDITOR, f.APPLICANT, f.OUTSIDER])
def test_whoever_is_not_on_the_steering_committee_is_refused_and_nothing_is_written(
    site, any_world, person
):
    url = any_world.url
    app_id = make_application(any_world, "steering_decision")
    other = signed_in(site, url, person)
    page = other.get("/")
    assert 'href="/steering"' not in page.text  # no menu entry; the server refuses anyway
    status = 403  # another organisation's application is refused as well
    assert other.get(f"/steering/{app_id}").status_code == status
    csrf = csrf_of(page.text)
    before = _written(url, app_id)
    preview = other.post(f"/steering/{app_id}/preview", data={"csrf": csrf, **APPROVE})
    assert preview.status_code == status
    assert _written(url, app_id) == before  # a dry run leaves no trace, not even a refusal's
    decided = other.post(f"/steering/{app_id}/decide", data={"csrf": csrf, **APPROVE})
    assert decided.status_code == status
    events, state, money = _written(url, app_id)
    assert (state, money) == before[1:]
    assert [e[3] for e in events[len(before[0]) :]] in ([], ["refused"])  # only its trace


def test_a_confirmation_after_the_application_changed_is_refused(site, any_world):
    url = any_world.url
    app_id = make_application(any_world, "steering_decision")
    steering = signed_in(site, url, f.STEERING)
    form = steering.get(f"/steering/{app_id}")
    preview = steering.post(f"/steering/{app_id}/preview",
                            data={"csrf": csrf_of(form.text), **APPROVE})  # fmt: skip
    confirm = _hidden(preview.text, f"/steering/{app_id}/decide")
    any_world.fire(app_id, "defer", actor=f.LEADER, reason="wait",
                   values={"deferred_until": "2030-01-01"})  # fmt: skip
    any_world.fire(app_id, "resume", actor=f.LEADER)
    before = _written(url, app_id)
    stale = steering.post(f"/steering/{app_id}/decide", data=confirm)
    assert stale.status_code == 409
    assert _written(url, app_id)[1:] == before[1:]


def test_the_programme_leader_may_only_defer_and_defers_to_a_round(site, any_world):
    url = any_world.url
    app_id = make_application(any_world, "steering_decision")
    leader = signed_in(site, url, f.LEADER)
    form = leader.get(f"/steering/{app_id}")
    assert form.status_code == 200
    assert re.findall(r'<option value="([a-z_]+)"', form.text) == ["defer"]
    csrf = csrf_of(form.text)
    data = {"csrf": csrf, "outcome": "defer", "reason": "meer partners nodig",
            "deferred_to_round": "2019-1"}  # fmt: skip
    preview = leader.post(f"/steering/{app_id}/preview", data=data)
    assert preview.status_code == 200
    assert "Dit besluit brengt geen geld ten laste." in preview.text
    refused = leader.post(f"/steering/{app_id}/decide", data={"csrf": csrf, **APPROVE})
    assert refused.status_code == 403
    assert _app(url, app_id)[0] == "steering_decision"
    done = leader.post(f"/steering/{app_id}/decide",
                       data=_hidden(preview.text, f"/steering/{app_id}/decide"))  # fmt: skip
    assert done.status_code == 303
    assert _app(url, app_id)[0] == "deferred"
    assert leader.get(f"/steering/{app_id}").status_code == 409  # nothing left to decide


def test_markup_typed_into_the_decision_shows_as_text(site, any_world):
    url = any_world.url
    app_id = make_application(any_world, "steering_decision")
    steering = signed_in(site, url, f.STEERING)
    csrf = csrf_of(steering.get(f"/steering/{app_id}").text)
    evil = '<script>alert(1)</script>"><b>'
    preview = steering.post(f"/steering/{app_id}/preview",
                            data={"csrf": csrf, **APPROVE, "reason": evil})  # fmt: skip
    assert preview.status_code == 200
    assert evil not in preview.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in preview.text
    assert _hidden(preview.text, f"/steering/{app_id}/decide")["reason"] == evil
    confirmed = steering.post(f"/steering/{app_id}/decide",
                              data=_hidden(preview.text, f"/steering/{app_id}/decide"))  # fmt: skip
    assert confirmed.status_code == 303
    letter = steering.get(f"/steering/{app_id}/letter")
    assert evil not in letter.text
    assert "&lt;script&gt;" in letter.text


# -- money -----------------------------------------------------------------------------------------


def test_a_conditional_grant_is_decided_its_condition_listed_and_met_with_evidence(site, any_world):
    url = any_world.url
    app_id = make_application(any_world, "steering_decision")
    steering = signed_in(site, url, f.STEERING)
    csrf = csrf_of(steering.get(f"/steering/{app_id}").text)
    data = {"csrf": csrf, "outcome": "approve_with_conditions", "reason": "veelbelovend",
            "amount": "60000", "departure_rationale": "alleen voor de hele regio",
            "condition_due_1": f.DEADLINE, "condition_owner_1": f.LEADER,
            "condition_text_1": "de hele regio <bedienen>"}  # fmt: skip
    preview = steering.post(f"/steering/{app_id}/preview", data=data)
    assert preview.status_code == 200, preview.text
    confirmed = steering.post(f"/steering/{app_id}/decide",
                              data=_hidden(preview.text, f"/steering/{app_id}/decide"))  # fmt: skip
    assert confirmed.status_code == 303
    assert _app(url, app_id)[0] == "approved_with_conditions"

    listed = steering.get("/money/conditions")
    assert listed.status_code == 200
    assert "de hele regio &lt;bedienen&gt;" in listed.text
    assert "<td>open</td>" in listed.text
    action = f"/money/conditions/{app_id}/1/meet"
    assert f'action="{action}"' in listed.text

    member = signed_in(site, url, f.MEMBER)
    before = _written(url, app_id)
    refused = member.post(action, data={"csrf": csrf_of(member.get("/").text), "evidence": "x"})
    assert refused.status_code == 403
    assert _written(url, app_id)[1:] == before[1:]
    assert "<td>open</td>" in steering.get("/money/conditions").text
    empty = steering.post(action, data={"csrf": csrf, "evidence": " "})
    assert empty.status_code == 400
    assert 'role="alert"' in empty.text

    met = steering.post(action, data={"csrf": csrf, "evidence": "plan voor 14 gemeenten"})
    assert met.status_code == 303
    shown = steering.get("/money/conditions")
    assert "<td>voldaan</td>" in shown.text
    assert "plan voor 14 gemeenten" in shown.text
    auditor = signed_in(site, url, f.AUDITOR)
    read = auditor.get("/money/conditions")
    assert read.status_code == 200
    assert "plan voor 14 gemeenten" in read.text
    assert "/meet" not in read.text


def test_budgets_show_money_the_dutch_way_with_the_multiplier(site, any_world):
    url = any_world.url
    make_application(any_world, "monitoring")  # 64,389 granted, 10,000 from a partner
    leader = signed_in(site, url, f.LEADER)
    page = leader.get("/money/budgets")
    assert page.status_code == 200
    assert "€ 2.000.000,00" in page.text
    assert "€ 64.389,00" in page.text
    assert "€ 1.935.611,00" in page.text
    assert "0,16" in page.text  # 10,000 per 64,389 granted
    assert '<th scope="col" class="num">Beschikbaar</th>' in page.text
    only = leader.get(f"/money/budgets?programme={f.AVT_2023}&year={THIS_YEAR}")
    assert only.status_code == 200
    assert "€ 64.389,00" not in only.text
    assert leader.get("/money/budgets?programme=nope").status_code == 404

    run(url, f.LEADER, directory.add_person, name="English Steering", email="en@example.org",
        roles=["steering_member"], language="en")  # fmt: skip
    english = signed_in(site, url, "en@example.org").get("/money/budgets")
    assert "EUR 2,000,000.00" in english.text
    assert "0.16" in english.text
    assert 'action="/money/budgets"' in english.text
    assert 'method="post"' not in english.text.split("<main", 1)[1]


def test_the_programme_leader_sets_a_budget_and_others_are_refused(site, any_world):
    url = any_world.url
    leader = signed_in(site, url, f.LEADER)
    csrf = csrf_of(leader.get("/money/budgets").text)
    data = {"csrf": csrf, "programme": f.AVT_2018, "line": "talent", "year": str(THIS_YEAR),
            "kind": "projects", "amount": "1.250.000,50"}  # fmt: skip
    done = leader.post("/money/budgets", data=data)
    assert done.status_code == 303
    talent = next(b for b in _money(url) if b["line"] == "talent")
    assert talent["budget_cents"] == 125000050
    shown = leader.get(done.headers["location"])
    assert "€ 1.250.000,50" in shown.text
    assert "De begroting is vastgelegd." in shown.text

    before = (_events(url), _money(url))
    capped = leader.post("/money/budgets", data={**data, "kind": "development",
                                                 "amount": "500000"})  # fmt: skip
    assert capped.status_code == 409
    assert "12.5%" in capped.text
    assert 'role="alert"' in capped.text
    wrong = leader.post("/money/budgets", data={**data, "amount": "1,500"})
    assert wrong.status_code == 400
    assert _money(url) == before[1]
    assert [e[3] for e in _events(url)[len(before[0]) :]] == ["refused"]  # the cap's trace

    for person in (f.STEERING, f.AUDITOR, f.APPLICANT):
        other = signed_in(site, url, person)
        refused = other.post("/money/budgets",
                             data={**data, "csrf": csrf_of(other.get("/").text)})  # fmt: skip
        assert refused.status_code == 403, person
    assert _money(url) == before[1]


def test_money_pages_need_a_signed_in_person(site):
    for path in ("/money/budgets", "/money/conditions", "/steering", "/steering/1"):
        response = web_server.get(f"{site}{path}")
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/sign-in")


def test_a_decision_taken_at_a_past_meeting_is_dated_by_it_and_the_timeline_shows_both(
    site, any_world
):
    import datetime as dt

    from kracht.storage import clock

    url = any_world.url
    run(url, f.LEADER, budgets.set_budget, programme=f.AVT_2018, year=2018, amount="2000000")
    app_id = make_application(any_world, "steering_decision")
    steering = signed_in(site, url, f.STEERING)
    form = steering.get(f"/steering/{app_id}")
    assert '<input id="decided_on" name="decided_on" type="date"' in form.text
    csrf = csrf_of(form.text)
    tomorrow = (clock.today() + dt.timedelta(days=1)).isoformat()
    before = _written(url, app_id)

    future = steering.post(f"/steering/{app_id}/preview",
                           data={"csrf": csrf, **APPROVE, "decided_on": tomorrow})  # fmt: skip
    assert future.status_code == 400
    assert 'role="alert"' in future.text
    assert "lies in the future" in future.text
    assert f'value="{tomorrow}"' in future.text  # what was typed stays in the form
    assert _written(url, app_id) == before

    preview = steering.post(f"/steering/{app_id}/preview",
                            data={"csrf": csrf, **APPROVE, "decided_on": "2018-12-13"})  # fmt: skip
    assert preview.status_code == 200, preview.text
    assert "<td>2018</td>" in preview.text  # charged to the meeting's year
    confirm = _hidden(preview.text, f"/steering/{app_id}/decide")
    assert confirm["decided_on"] == "2018-12-13"
    done = steering.post(f"/steering/{app_id}/decide", data=confirm)
    assert done.status_code == 303, done.text
    letter = steering.get(f"/steering/{app_id}/letter")
    assert "Datum: 13 december 2018" in letter.text

    auditor = signed_in(site, url, f.AUDITOR)
    timeline = auditor.get(f"/audit/applications/{app_id}")
    assert timeline.status_code == 200
    assert "besloten op 13 december 2018<br><small>ingevoerd " in timeline.text


def test_a_condition_is_met_on_the_day_given_and_a_day_to_come_is_refused(site, any_world):
    import datetime as dt

    from kracht.storage import clock
    from kracht.workflow.services import decisions

    url = any_world.url
    run(url, f.LEADER, budgets.set_budget, programme=f.AVT_2018, year=2018, amount="2000000")
    app_id = make_application(any_world, "steering_decision")
    run(url, f.STEERING, decisions.decide, app_id, "approve_with_conditions", reason="goed",
        amount="60000", departure_rationale="voor de regio", decided_on="2018-10-31",
        conditions=[("2019-01-31", f.LEADER, "de hele regio bedienen")])  # fmt: skip
    steering = signed_in(site, url, f.STEERING)
    listed = steering.get("/money/conditions")
    field = f"met_on_{app_id}_1"
    assert f'<input id="{field}" name="met_on" type="date"' in listed.text
    csrf, action = csrf_of(listed.text), f"/money/conditions/{app_id}/1/meet"
    tomorrow = (clock.today() + dt.timedelta(days=1)).isoformat()
    before = _written(url, app_id)

    future = steering.post(action, data={"csrf": csrf, "evidence": "plan", "met_on": tomorrow})
    assert future.status_code == 400
    assert "lies in the future" in future.text
    assert f'value="{tomorrow}"' in future.text
    assert _written(url, app_id)[1:] == before[1:]

    met = steering.post(action, data={"csrf": csrf, "evidence": "plan", "met_on": "2019-01-24"})
    assert met.status_code == 303, met.text
    assert "plan (steering.member@example.org), voldaan op 24 januari 2019" in (
        steering.get("/money/conditions").text
    )
