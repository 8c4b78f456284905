"""The web interface and the JSON API (issue 14) over a real HTTP server: sign-in, the form
token, roles checked on the server for every request, refusals that write nothing, and the
channel in the audit trail."""

from __future__ import annotations

import httpx
import pytest
import sqlalchemy as sa

from kracht.notifications.settings import Settings, Web
from kracht.storage.database import session
from kracht.storage.tables import Application, AuditEvent
from kracht.web import throttle
from kracht.workflow.services import accounts, applications
from kracht.workflow.unit import Units
from tests import factories as f
from tests import web_server
from tests.factories import make_application, run
from tests.web_server import PASSWORD, browser, csrf_of, running, signed_in


@pytest.fixture
def site(any_world):  # type: ignore[no-untyped-def]
    with running(any_world.url, Web(lockout_attempts=3)) as base:
        yield base


_sign_in = signed_in


def _events(url: str) -> list[AuditEvent]:
    with session(url) as db:
        return list(db.exec(sa.select(AuditEvent).order_by(AuditEvent.seq)).scalars())  # type: ignore[call-overload, arg-type]


def _state(url: str, app_id: int) -> str:
    with session(url) as db:
        found = db.get(Application, app_id)
        assert found is not None
        return found.state


# -- what every response carries -------------------------------------------------------------------


def test_pages_carry_the_security_headers_and_a_csp_without_inline_script(site):
    page = web_server.get(f"{site}/sign-in")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    assert "<script>" not in page.text  # every script is a file
    assert web_server.get(f"{site}/static/htmx.min.js").status_code == 200
    assert web_server.get(f"{site}/healthz").json() == {"status": "ok"}


def test_a_page_sends_whoever_is_not_signed_in_to_sign_in_and_back(site):
    response = web_server.get(f"{site}/applications/1")
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=/applications/1"


# -- signing in ------------------------------------------------------------------------------------


def test_an_invited_person_chooses_a_password_and_is_signed_in_with_a_safe_cookie(site, any_world):
    client = _sign_in(site, any_world.url, f.MEMBER)
    cookie = next(c for c in client.cookies.jar if c.name == "kracht_session")
    assert cookie.has_nonstandard_attr("HttpOnly")
    tasks = client.get("/")
    assert tasks.status_code == 200
    assert "Committee Member" in tasks.text
    assert 'lang="nl"' in tasks.text


def test_signing_in_with_the_password_and_out_again(site, any_world):
    _sign_in(site, any_world.url, f.MEMBER)
    client = browser(site)
    form = client.get("/sign-in")
    refused = client.post("/sign-in", data={"csrf": csrf_of(form.text), "email": f.MEMBER,
                                            "password": "niet goed"})  # fmt: skip
    assert refused.status_code == 401
    assert accounts.WRONG in refused.text
    fields = {"email": f.MEMBER, "password": PASSWORD, "next": "/applications"}
    signed = client.post("/sign-in", data={"csrf": csrf_of(form.text), **fields})
    assert signed.status_code == 303
    assert signed.headers["location"] == "/applications"
    page = client.get("/applications")
    assert page.status_code == 200
    out = client.post("/sign-out", data={"csrf": csrf_of(page.text)})
    assert out.status_code == 303
    assert client.get("/applications").status_code == 303  # the session has ended


def test_failed_sign_ins_lock_the_account_and_say_until_when(site, any_world):
    _sign_in(site, any_world.url, f.MEMBER)
    client = browser(site)
    csrf = csrf_of(client.get("/sign-in").text)
    codes = [
        client.post(
            "/sign-in", data={"csrf": csrf, "email": f.MEMBER, "password": "fout"}
        ).status_code
        for _ in range(3)
    ]
    right = client.post("/sign-in", data={"csrf": csrf, "email": f.MEMBER, "password": PASSWORD})
    assert codes == [401, 401, 429]
    assert right.status_code == 429
    assert "too many failed sign-ins" in right.text


def test_after_signing_in_only_a_path_of_this_site_is_followed(site, any_world):
    _sign_in(site, any_world.url, f.MEMBER)
    for evil in ("//evil.example", "https://evil.example/", "/\\evil.example", "javascript:x"):
        client = browser(site)
        csrf = csrf_of(client.get("/sign-in").text)
        signed = client.post("/sign-in", data={"csrf": csrf, "email": f.MEMBER,
                                               "password": PASSWORD, "next": evil})  # fmt: skip
        assert signed.headers["location"] == "/", evil


# -- the form token --------------------------------------------------------------------------------


def test_a_change_without_this_sessions_form_token_is_refused_and_writes_nothing(site, any_world):
    app_id = make_application(any_world, "idea")
    leader = _sign_in(site, any_world.url, f.LEADER)
    other = _sign_in(site, any_world.url, f.STEERING)
    theirs = csrf_of(other.get("/").text)
    before = len(_events(any_world.url))

    for data in ({"reason": "gone"}, {"reason": "gone", "csrf": theirs}, {"csrf": "x" * 43}):
        refused = leader.post(f"/applications/{app_id}/fire/withdraw", data=data)
        assert refused.status_code == 403, data
        assert "not from your current session" in refused.text
    assert _state(any_world.url, app_id) == "idea"
    assert len(_events(any_world.url)) == before
    anonymous = browser(site).post("/sign-in", data={"email": f.LEADER, "password": PASSWORD})
    assert anonymous.status_code == 403  # no form cookie, no token: a cross-site post


# -- acting through the pages ----------------------------------------------------------------------


def test_a_step_fired_from_the_page_is_audited_as_the_signed_in_person_through_the_web(
    site, any_world
):
    app_id = make_application(any_world, "idea")
    leader = _sign_in(site, any_world.url, f.LEADER)
    page = leader.get(f"/applications/{app_id}")
    assert page.status_code == 200
    assert f'action="/applications/{app_id}/fire/withdraw"' in page.text

    done = leader.post(f"/applications/{app_id}/fire/withdraw",
                       data={"csrf": csrf_of(page.text), "reason": "partners left"})  # fmt: skip

    assert done.status_code == 303
    assert _state(any_world.url, app_id) == "withdrawn"
    last = _events(any_world.url)[-1]
    assert (last.actor, last.trigger, last.reason) == (f.LEADER, "withdraw", "partners left")
    assert last.payload["channel"] == "web"


def test_a_guard_refusal_shows_what_is_missing_and_writes_nothing(site, any_world):
    app_id = make_application(any_world, "idea")
    leader = _sign_in(site, any_world.url, f.LEADER)
    page = leader.get(f"/applications/{app_id}")
    before = len(_events(any_world.url))
    refused = leader.post(f"/applications/{app_id}/fire/present_at_table",
                          data={"csrf": csrf_of(page.text)})  # fmt: skip
    assert refused.status_code == 422
    assert "<strong>Deze stap kan nog niet: er ontbreekt nog iets</strong>" in refused.text
    assert "<li>een quickscan (kansenscan) van het idee</li>" in refused.text  # in Dutch
    assert '<p lang="en">cannot present_at_table' in refused.text  # the service's own words
    assert _state(any_world.url, app_id) == "idea"
    assert [e.outcome for e in _events(any_world.url)[before:]] == ["refused"]  # only its trace


def test_an_auditor_reads_everything_and_every_write_is_refused(site, any_world):
    app_id = make_application(any_world, "idea")
    auditor = _sign_in(site, any_world.url, f.AUDITOR)
    page = auditor.get(f"/applications/{app_id}")
    assert page.status_code == 200
    assert '<form method="post" action="/applications/' not in page.text  # no button to press
    refused = auditor.post(f"/applications/{app_id}/fire/withdraw",
                           data={"csrf": csrf_of(page.text), "reason": "x"})  # fmt: skip
    assert refused.status_code == 403
    assert _state(any_world.url, app_id) == "idea"


def test_an_applicant_sees_only_their_own_organisations_applications(site, any_world):
    own = make_application(any_world, "idea")
    other = make_application(any_world, "idea", applicant=f.OTHER_APPLICANT, title="Elsewhere")
    applicant = _sign_in(site, any_world.url, f.APPLICANT)
    listed = applicant.get("/applications")
    assert f'href="/applications/{own}"' in listed.text
    assert f'href="/applications/{other}"' not in listed.text
    assert applicant.get(f"/applications/{other}").status_code == 403


def test_markup_in_a_title_is_shown_as_text(site, any_world):
    fields = dict(programme=f.AVT_2018, applicant=f.TALENTIT, requested="1000", line="talent")
    made = run(any_world.url, f.LEADER, applications.create, title="<script>alert(1)</script>",
               **fields)  # fmt: skip
    app_id = made["id"]
    leader = _sign_in(site, any_world.url, f.LEADER)
    page = leader.get(f"/applications/{app_id}")
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_ending_another_session_signs_that_browser_out(site, any_world):
    first = _sign_in(site, any_world.url, f.MEMBER)
    second = browser(site)
    csrf = csrf_of(second.get("/sign-in").text)
    second.post("/sign-in", data={"csrf": csrf, "email": f.MEMBER, "password": PASSWORD})
    account = first.get("/account")
    assert account.status_code == 200
    ended = first.post("/account/sessions/end-others", data={"csrf": csrf_of(account.text)})
    assert ended.status_code == 303
    assert second.get("/").status_code == 303
    assert first.get("/").status_code == 200


# -- the JSON API ----------------------------------------------------------------------------------


def _token(url: str, email: str, roles: list[str] | None = None) -> dict[str, str]:
    made = Units(url, Settings()).run(email, accounts.create_token, "tests", roles, 30)
    return {"Authorization": f"Bearer {made['token']}"}


def test_the_api_needs_a_token_and_answers_with_problems(site, any_world):
    bare = web_server.get(f"{site}/api/v1/me")
    assert bare.status_code == 401
    assert bare.headers["content-type"] == "application/problem+json"
    assert bare.headers["www-authenticate"] == "Bearer"
    assert bare.json()["type"] == "urn:kracht:problem:not-identified"
    forged = web_server.get(f"{site}/api/v1/me", headers={"Authorization": "Bearer kr_" + "A" * 43})
    assert forged.status_code == 401
    me = web_server.get(f"{site}/api/v1/me", headers=_token(any_world.url, f.LEADER))
    assert me.json() == {
        "email": f.LEADER,
        "name": "Aleid Diepeveen",
        "roles": ["programme_leader"],
    }


def test_the_api_maps_each_refusal_to_its_status_and_writes_nothing(site, any_world):
    app_id = make_application(any_world, "idea")
    leader = _token(any_world.url, f.LEADER)
    auditor = _token(any_world.url, f.AUDITOR)
    before = len([e for e in _events(any_world.url) if e.outcome == "ok"])

    def fire(headers: dict[str, str], body: object, target: int = app_id) -> httpx.Response:
        return web_server.post(
            f"{site}/api/v1/applications/{target}/fire", json=body, headers=headers
        )

    guard = fire(leader, {"trigger": "present_at_table"})
    assert guard.status_code == 422
    assert guard.json()["missing"]
    assert fire(auditor, {"trigger": "withdraw", "reason": "x"}).status_code == 403
    stale = fire(leader, {"trigger": "withdraw", "reason": "x", "expected_version": 99})
    assert stale.status_code == 409
    assert fire(leader, {"trigger": "withdraw"}, target=99999).status_code == 404
    invalid = fire(leader, {"trigger": "withdraw", "extra": 1})
    assert invalid.status_code == 400
    assert invalid.json()["field"] == "extra"
    assert _state(any_world.url, app_id) == "idea"
    assert len([e for e in _events(any_world.url) if e.outcome == "ok"]) == before

    version = web_server.get(f"{site}/api/v1/applications/{app_id}", headers=leader).json()[
        "version"
    ]
    done = fire(leader, {"trigger": "withdraw", "reason": "partners left",
                         "expected_version": version})  # fmt: skip
    assert done.status_code == 200, done.text
    assert done.json()["to"] == "withdrawn"
    assert _events(any_world.url)[-1].payload["channel"] == "api"


def test_a_token_acts_only_with_the_roles_it_was_given(site, any_world):
    app_id = make_application(any_world, "idea")
    reader = _token(any_world.url, f.LEADER, ["programme_leader"])
    assert web_server.get(f"{site}/api/v1/applications/{app_id}", headers=reader).status_code == 200
    applicant = _token(any_world.url, f.APPLICANT)
    other = make_application(any_world, "idea", applicant=f.OTHER_APPLICANT, title="Elsewhere")
    assert (
        web_server.get(f"{site}/api/v1/applications/{other}", headers=applicant).status_code == 403
    )


def test_the_openapi_document_lists_the_api(site):
    document = web_server.get(f"{site}/api/openapi.json").json()
    assert set(document["paths"]) >= {
        "/api/v1/me", "/api/v1/applications", "/api/v1/applications/{application_id}",
        "/api/v1/applications/{application_id}/fire",
    }  # fmt: skip
    assert not any(path.startswith(("/sign-in", "/account")) for path in document["paths"])


def test_one_address_may_make_only_so_many_sign_in_attempts_a_minute(site):
    client = browser(site)
    csrf = csrf_of(client.get("/sign-in").text)
    answers = [
        client.post(
            "/sign-in", data={"csrf": csrf, "email": f"x{n}@example.org", "password": "geraden"}
        ).status_code  # fmt: skip
        for n in range(throttle.ATTEMPTS + 1)
    ]
    assert answers == [401] * throttle.ATTEMPTS + [429]
    refused = client.post("/sign-in", data={"csrf": csrf, "email": f.MEMBER, "password": "x"})
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= throttle.WINDOW + 1
    assert "too many sign-in attempts" in refused.text


def test_the_throttle_lets_an_address_try_again_once_its_window_has_passed():
    limit = throttle.Throttle(attempts=2, window=60)
    assert [limit.wait("a", now=t) for t in (0, 1)] == [0, 0]
    assert limit.wait("a", now=2) == 58  # until the first attempt leaves the window
    assert limit.wait("b", now=2) == 0  # another address counts on its own
    assert limit.wait("a", now=60.5) == 0
