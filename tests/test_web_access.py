"""Who may use which page and API route (issue 14), as one matrix over a real HTTP server.

The table ACCESS declares, for every route of the app (as the FastAPI app lists them), which of
the principals may use it: a person of each role (one role each), an applicant of another
organisation than the world's applications, and nobody signed in. Left out are only the
visitors' routes in VISITORS (signing in and out, the invitation), which every other test of
the web interface covers. A route the app has and the table lacks fails the coverage test, and
so does a route the table names that the app no longer has: every new route is declared here.

Every GET route is asked by every principal: 200 where allowed, else the refusal the route
documents (403 for a role; 303 to the sign-in page for nobody on a page, 401 with an RFC 9457
problem on the API; a route's own status where it says so, such as 404 for another
organisation's decision letter). Every POST route is sent, by every principal it does not allow,
a well-formed request (the session's own form token, plausible fields; the API with the
principal's own bearer token): it must be refused with its status and write nothing. Nothing
written means: every table but the audit trail reads the same before and after (web sessions
and API tokens without their last-seen and last-used moments), and the audit trail keeps every
event it had and gains at most the refusal's own record (outcome `refused`), which kracht
writes for a refused attempt on purpose (workflow/unit.py). Allowed POSTs are left to the
tests of each page: they would change the world the rest of the matrix reads.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi.routing import APIRoute
from sqlmodel import SQLModel

from kracht.basics.checkpoints import SigningKey
from kracht.basics.roles import Role
from kracht.notifications.settings import Audit
from kracht.storage import tables
from kracht.storage.database import engine_for
from kracht.web.server import create_app
from kracht.workflow.services import accounts, attachments, directory, monitor_views
from kracht.workflow.unit import Units
from tests import factories as f
from tests.factories import make_application, run
from tests.web_server import browser, csrf_of, running, signed_in

CHAIR_ONLY = "chair.only@example.org"  # the factories' chair is a committee member as well
PEOPLE: dict[str, str | None] = {
    Role.PROGRAMME_LEADER: f.LEADER,
    Role.INNOVATION_TABLE_CHAIR: f.TABLE_CHAIR,
    Role.COMMITTEE_MEMBER: f.MEMBER,  # assigned to the committee of the application scored
    Role.COMMITTEE_CHAIR: CHAIR_ONLY,
    Role.STEERING_MEMBER: f.STEERING,
    Role.AUDITOR: f.AUDITOR,
    Role.APPLICANT: f.APPLICANT,  # of the organisation every application of the world is from
    "other_applicant": f.OUTSIDER,  # an applicant of another organisation
    "nobody": None,
}
PRINCIPALS = tuple(PEOPLE)
EVERYONE = frozenset(PRINCIPALS) - {"nobody"}  # everyone signed in
INSIDERS = frozenset(Role) - {Role.APPLICANT}  # every role but the applicant's
OWN = INSIDERS | {Role.APPLICANT}  # who may see one of the applicant's applications
PL, STEER, AUDITOR = Role.PROGRAMME_LEADER, Role.STEERING_MEMBER, Role.AUDITOR

# The visitors' routes: for someone not (yet) signed in, or signing out; not in the matrix.
VISITORS = frozenset(
    {
        ("GET", "/healthz"),  # the load balancer's
        ("GET", "/sign-in"),
        ("POST", "/sign-in"),
        ("POST", "/sign-in/link"),
        ("GET", "/sign-in/code"),  # the second factor, between password and session
        ("POST", "/sign-in/code"),
        ("GET", "/sign-in/{token}"),  # an e-mailed sign-in link
        ("POST", "/sign-in/{token}"),
        ("GET", "/welcome/{token}"),  # an invitation's link: choosing a password
        ("POST", "/welcome/{token}"),
        ("POST", "/sign-out"),  # everyone's, and it would end the matrix's sessions
    }
)
# Not APIRoutes, so not routes of the matrix either: the static files (htmx, the style sheet)
# and the API's OpenAPI schema, public by design.
NOT_ROUTES = ("/static", "/api/openapi.json")


@dataclasses.dataclass(frozen=True)
class Access:
    """Who may use a route, and how the matrix asks it: `target` is the path (and query) with
    the world's ids in braces (see `world`), `form` the fields a POST sends, `refused` a status
    other than the usual refusal, by principal."""

    allowed: frozenset[str]
    target: str
    form: dict[str, str] = dataclasses.field(default_factory=dict)
    refused: dict[str, int] = dataclasses.field(default_factory=dict)


def _a(allowed: set[str] | frozenset[str], target: str, **kw: Any) -> Access:
    return Access(frozenset(allowed), target, **kw)


# Another organisation's decision letter is not found (decisions.letter), where the rest of
# another organisation's application is refused (403, workflow/services/policy.py).
LETTER_HIDDEN = {"other_applicant": 404}
# A chair may act as a member of a committee they are assigned to; this one is not (409).
UNASSIGNED = {Role.COMMITTEE_CHAIR: 409}
REPORT = {"label": "{report}", "light": "green", "narrative": "on plan", "spent": "1.000"}
DECISION = {"outcome": "approve", "amount": "64.389", "reason": "sound", "version": "{version}"}
SHEET = {"score-innovation": "4", "motivation-innovation": "convincing", "action": "submit"}

ACCESS: dict[tuple[str, str], Access] = {
    # -- pages ---------------------------------------------------------------------------------
    ("GET", "/"): _a(EVERYONE, "/"),
    ("GET", "/account"): _a(EVERYONE, "/account"),
    ("GET", "/applications"): _a(EVERYONE, "/applications"),
    ("GET", "/applications/{application_id}"): _a(OWN, "/applications/{idea}"),
    ("GET", "/applications/{application_id}/attachments/{attachment_id}"): _a(
        OWN, "/applications/{idea}/attachments/{attachment}"
    ),  # a download, for whoever may see the application
    ("GET", "/organisation"): _a({Role.APPLICANT, "other_applicant"}, "/organisation"),
    ("GET", "/organisation/letters/{application_id}"): _a(
        OWN, "/organisation/letters/{monitoring}", refused=LETTER_HIDDEN
    ),  # the letter, for whoever may see the application: the steering letter page's too
    ("GET", "/audit"): _a({PL, AUDITOR}, "/audit"),
    ("GET", "/audit/applications/{application_id}"): _a(OWN, "/audit/applications/{idea}"),
    ("GET", "/audit/export/{fmt}"): _a({PL, AUDITOR}, "/audit/export/csv"),
    ("GET", "/audit/checkpoint"): _a({PL, AUDITOR}, "/audit/checkpoint"),
    ("GET", "/committee"): _a(INSIDERS, "/committee"),  # not for applicants
    ("GET", "/committee/ranking"): _a(
        {PL, AUDITOR, STEER, Role.COMMITTEE_MEMBER},
        "/committee/ranking?round={advised}",
        refused={Role.COMMITTEE_CHAIR: 409},  # a chair not on its committee: scoring is blind
    ),
    ("GET", "/committee/{application_id}"): _a(INSIDERS, "/committee/{scoring}"),
    ("GET", "/money/budgets"): _a(EVERYONE, "/money/budgets"),  # "any known person may read"
    ("GET", "/money/conditions"): _a(EVERYONE, "/money/conditions"),  # an applicant: their own
    ("GET", "/monitoring"): _a(EVERYONE, "/monitoring"),
    ("GET", "/monitoring/{application_id}"): _a(OWN, "/monitoring/{monitoring}"),
    ("GET", "/programmes"): _a(EVERYONE, "/programmes"),
    ("GET", "/programmes/{code}"): _a(EVERYONE, "/programmes/avt-2018"),
    ("GET", "/steering"): _a(EVERYONE, "/steering"),
    ("GET", "/steering/{application_id}"): _a({PL, STEER}, "/steering/{steering}"),
    ("GET", "/steering/{application_id}/letter"): _a(
        OWN, "/steering/{monitoring}/letter", refused=LETTER_HIDDEN
    ),
    # -- forms ---------------------------------------------------------------------------------
    ("POST", "/applications/{application_id}/fire/{trigger}"): _a(
        {PL, STEER, Role.APPLICANT},
        "/applications/{idea}/fire/withdraw",
        form={"reason": "partners left", "version": "{version}"},
    ),
    ("POST", "/applications/{application_id}/attachments"): _a(
        {PL, Role.APPLICANT}, "/applications/{idea}/attachments", form={"kind": "proposal"}
    ),  # who may is checked before the file is looked at: the matrix sends none
    ("POST", "/committee/{application_id}/declare"): _a(
        {Role.COMMITTEE_MEMBER},
        "/committee/{scoring}/declare",
        form={"declaration": "none"},
        refused=UNASSIGNED,
    ),
    ("POST", "/committee/{application_id}/scores"): _a(
        {Role.COMMITTEE_MEMBER}, "/committee/{scoring}/scores", form=SHEET, refused=UNASSIGNED
    ),
    ("POST", "/committee/{application_id}/correct"): _a(
        {Role.COMMITTEE_MEMBER},
        "/committee/{scoring}/correct",
        form={
            "criterion": "innovation",
            "score": "3",
            "motivation": "less so",
            "reason": "misread the plan",
        },
        refused=UNASSIGNED,
    ),
    ("POST", "/committee/{application_id}/assign"): _a(
        {PL, Role.COMMITTEE_CHAIR}, "/committee/{scoring}/assign", form={"member-1": f.CHAIR}
    ),
    ("POST", "/committee/{application_id}/advice"): _a(
        {Role.COMMITTEE_CHAIR},
        "/committee/{scoring}/advice",
        form={"advice": "positive", "rationale": "innovative"},
    ),
    ("POST", "/money/budgets"): _a(
        {PL},
        "/money/budgets",
        form={"programme": f.AVT_2018, "year": "2030", "amount": "1.000.000"},
    ),
    ("POST", "/money/conditions/{application_id}/{number}/meet"): _a(
        {PL, STEER}, "/money/conditions/{conditional}/1/meet", form={"evidence": "a letter"}
    ),
    ("POST", "/monitoring/{application_id}/report"): _a(
        {PL, Role.APPLICANT}, "/monitoring/{monitoring}/report", form=REPORT
    ),
    ("POST", "/monitoring/{application_id}/replan"): _a(
        {PL}, "/monitoring/{monitoring}/replan", form={"every": "6"}
    ),
    ("POST", "/monitoring/{application_id}/close"): _a(
        {PL}, "/monitoring/{monitoring}/close", form={"final_report": "done", "final_spent": "1"}
    ),
    ("POST", "/monitoring/{application_id}/value"): _a(
        {PL, Role.APPLICANT},
        "/monitoring/{monitoring}/value",
        form={"indicator": "{indicator}", "value": "3"},
    ),
    ("POST", "/steering/{application_id}/preview"): _a(
        {PL, STEER}, "/steering/{steering}/preview", form=DECISION
    ),
    ("POST", "/steering/{application_id}/decide"): _a(
        {PL, STEER}, "/steering/{steering}/decide", form=DECISION
    ),
    ("POST", "/account/sessions/{session_id}/end"): _a(EVERYONE, "/account/sessions/{session}/end"),
    ("POST", "/account/sessions/end-others"): _a(EVERYONE, "/account/sessions/end-others"),
    ("POST", "/account/tokens"): _a(EVERYONE, "/account/tokens", form={"name": "export"}),
    ("POST", "/account/tokens/{token_id}/revoke"): _a(EVERYONE, "/account/tokens/{token}/revoke"),
    # -- the API (bearer tokens) ---------------------------------------------------------------
    ("GET", "/api/v1/me"): _a(EVERYONE, "/api/v1/me"),
    ("GET", "/api/v1/applications"): _a(EVERYONE, "/api/v1/applications"),
    ("GET", "/api/v1/applications/{application_id}"): _a(OWN, "/api/v1/applications/{idea}"),
    ("GET", "/api/v1/applications/{application_id}/history"): _a(
        OWN, "/api/v1/applications/{idea}/history"
    ),
    ("POST", "/api/v1/applications/{application_id}/fire"): _a(
        {PL, STEER, Role.APPLICANT},
        "/api/v1/applications/{idea}/fire",
        form={"trigger": "withdraw", "reason": "partners left"},
    ),
    ("GET", "/api/v1/audit/verify"): _a({PL, AUDITOR}, "/api/v1/audit/verify"),
}


def _app_routes() -> Iterator[tuple[str, str]]:
    """(method, path) of every APIRoute of the app, through included routers."""

    def walk(routes: list[Any], prefix: str) -> Iterator[tuple[str, str]]:
        for route in routes:
            if hasattr(route, "original_router"):  # an included router kept whole
                yield from walk(route.original_router.routes,
                                prefix + route.include_context.prefix)  # fmt: skip
            elif isinstance(route, APIRoute):
                for method in sorted(route.methods - {"HEAD"}):
                    yield method, prefix + route.path
            else:
                path = prefix + getattr(route, "path", "")
                assert path in NOT_ROUTES, f"{path}: a route the matrix does not know how to ask"

    yield from walk(create_app(Units("sqlite://")).routes, "")


def _matrix(method: str) -> list[Any]:
    return [
        pytest.param(route, who, id=f"{route[0]} {route[1]} as {who}")
        for route, access in ACCESS.items()
        if route[0] == method
        for who in PRINCIPALS
        if method == "GET" or who not in access.allowed
    ]


# -- the world: one database, one server, one session and one token per principal ------------


@dataclasses.dataclass
class World:
    url: str
    base: str
    ids: dict[str, Any]
    clients: dict[str, httpx.Client]
    csrf: dict[str, str]
    tokens: dict[str, str]

    def target(self, access: Access) -> str:
        return access.target.format(**self.ids)

    def fields(self, access: Access) -> dict[str, str]:
        return {k: v.format(**self.ids) for k, v in access.form.items()}


@pytest.fixture(scope="module")
def world(module_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """Applications where each page applies: an idea, one in KRACHT scoring (round 2018-1, the
    committee member assigned, nothing scored yet), one awaiting the steering decision (round
    2018-2, scored and advised), a project in monitoring and one approved with conditions, all
    of TalentIT; then a server, everyone signed in with a form token and an API token."""
    url = module_db_url
    seeded = f.seed(url)
    run(url, f.LEADER, directory.add_person, name="Chair Only", email=CHAIR_ONLY,
        roles=[Role.COMMITTEE_CHAIR])  # fmt: skip
    ids: dict[str, Any] = {
        "idea": make_application(seeded, "idea"),
        "scoring": make_application(seeded, "kracht_scoring", round_label="2018-1"),
        "steering": make_application(seeded, "steering_decision", round_label="2018-2"),
        "monitoring": make_application(seeded, "monitoring"),
        "conditional": make_application(seeded, "approved_with_conditions"),
        "advised": "2018-2",  # the round the steering application was scored and advised in
    }
    project = run(url, f.LEADER, monitor_views.project, ids["monitoring"])
    ids["indicator"] = str(project["indicators"][0]["id"])
    ids["report"] = project["reports"][0]["label"]  # its first report
    ids["attachment"] = run(url, f.LEADER, attachments.add, ids["idea"], "plan.pdf",
                            b"%PDF-1.7\n%plan")["attachment"]["id"]  # fmt: skip
    ids["version"] = "1"  # each form's own: the version of the application now (`_version`)
    key = tmp_path_factory.mktemp("audit") / "audit.key"
    key.write_text(SigningKey.generate("agendavoortwente.nl/kracht").private_text())
    with running(url, audit=Audit(key=str(key))) as base:
        clients, csrf, tokens = {}, {}, {}
        for who, email in PEOPLE.items():
            if email is None:  # a visitor's form token: the form cookie's (double submit)
                clients[who] = browser(base)
                csrf[who] = csrf_of(clients[who].get("/sign-in").text)
                continue
            clients[who] = signed_in(base, url, email)
            csrf[who] = csrf_of(clients[who].get("/").text)
            tokens[who] = run(url, email, accounts.create_token, "matrix", None, 30)["token"]
        ids["session"] = run(url, f.LEADER, accounts.sessions, 0)[0]["id"]
        ids["token"] = run(url, f.LEADER, accounts.list_tokens)[0]["id"]
        yield World(url, base, ids, clients, csrf, tokens)
        for client in clients.values():
            client.close()


def _ask(world: World, method: str, access: Access, who: str) -> httpx.Response:
    target = world.target(access)
    if target.startswith("/api/"):
        token = world.tokens.get(who)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        body = world.fields(access) if method == "POST" else None
        return httpx.request(method, world.base + target, json=body, headers=headers, timeout=60)
    client = world.clients[who]
    if method == "GET":
        return client.get(target)
    return client.post(target, data={"csrf": world.csrf[who], **world.fields(access)})


def _refusal(access: Access, target: str, who: str) -> int:
    if who in access.refused:
        return access.refused[who]
    if who == "nobody":
        return 401 if target.startswith("/api/") else 303
    return 403


def _check_refused(answer: httpx.Response, target: str, status: int) -> None:
    assert answer.status_code == status, answer.text[:500]
    if status == 303:
        assert answer.headers["location"].startswith("/sign-in")
    elif target.startswith("/api/"):
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["status"] == status
    else:
        assert 'role="alert"' in answer.text or status == 404


# -- the tests -----------------------------------------------------------------------------------


def test_every_route_of_the_app_is_declared_in_the_matrix_and_none_more():
    app = set(_app_routes())
    assert sorted(app - set(ACCESS) - VISITORS) == [], "routes the matrix does not declare"
    assert sorted(set(ACCESS) - app) == [], "routes the matrix declares that the app lacks"
    assert sorted(VISITORS - app) == [], "visitors' routes the app no longer has"
    assert not set(ACCESS) & VISITORS


def test_every_role_is_one_person_of_that_role_only(world):
    assert set(Role) <= set(PEOPLE)
    for who, token in world.tokens.items():
        me = httpx.get(f"{world.base}/api/v1/me", timeout=60,
                       headers={"Authorization": f"Bearer {token}"}).json()  # fmt: skip
        assert me["roles"] == [str(Role.APPLICANT if who == "other_applicant" else who)]


@pytest.mark.parametrize(("route", "who"), _matrix("GET"))
def test_a_page_or_api_read_answers_who_may_and_refuses_everyone_else(world, route, who):
    access = ACCESS[route]
    target = world.target(access)

    answer = _ask(world, "GET", access, who)

    if who in access.allowed:
        assert answer.status_code == 200, answer.text[:500]
    else:
        _check_refused(answer, target, _refusal(access, target, who))


@pytest.mark.parametrize(("route", "who"), _matrix("POST"))
def test_a_write_refused_to_a_principal_writes_nothing(world, route, who):
    access = ACCESS[route]
    target = world.target(access)
    world.ids["version"] = str(_version(world.url, target))
    before = _contents(world.url)

    answer = _ask(world, "POST", access, who)

    _check_refused(answer, target, _refusal(access, target, who))
    after = _contents(world.url)
    changed = [name for name in before["tables"] if before["tables"][name] != after["tables"][name]]
    assert changed == [], f"tables written by a refused {route}"
    kept, added = after["events"][: len(before["events"])], after["events"][len(before["events"]) :]
    assert kept == before["events"]
    assert [(e[1], e[2]) for e in added] in ([], [("refused", PEOPLE[who] or "(nobody)")])


def _version(url: str, target: str) -> int:
    """The version of the application a target names (which a form carries), else 1."""
    found = re.search(r"/(?:applications|steering)/(\d+)", target)
    if not found:
        return 1
    with engine_for(url).connect() as db:
        query = sa.select(tables.Application.version).where(  # type: ignore[call-overload]
            tables.Application.id == int(found.group(1))
        )
        return int(db.execute(query).scalar_one())


VOLATILE = {"web_session": {"seen_at", "expires_at"}, "api_token": {"used_at"}}


def _contents(url: str) -> dict[str, Any]:
    """Every table's rows (but the volatile moments of sessions and tokens), and the audit
    trail's events as (seq, outcome, actor, hash)."""
    found: dict[str, Any] = {"tables": {}}
    with engine_for(url).connect() as db:
        for table in SQLModel.metadata.sorted_tables:
            if table.name in ("audit_event", "audit_head", "audit_node"):
                continue
            columns = [c for c in table.columns if c.name not in VOLATILE.get(table.name, ())]
            query = sa.select(*columns).order_by(*table.primary_key.columns)
            found["tables"][table.name] = [tuple(map(repr, row)) for row in db.execute(query)]
        trail = tables.AuditEvent.__table__.c  # type: ignore[attr-defined]
        query = sa.select(trail.seq, trail.outcome, trail.actor, trail.hash).order_by(trail.seq)
        found["events"] = [tuple(row) for row in db.execute(query)]
    return found


@pytest.mark.parametrize(
    "target", ["/account/sessions/{session}/end", "/account/tokens/{token}/revoke"],
    ids=["end another's session", "revoke another's token"],
)  # fmt: skip
@pytest.mark.parametrize("who", sorted(EVERYONE - {PL}))
def test_ones_own_account_routes_refuse_another_persons_session_or_token(world, target, who):
    """The account's routes are everyone's, for their own sessions and tokens only: the
    programme leader's, asked by anyone else, are not found and stay as they were."""
    before = _contents(world.url)

    answer = world.clients[who].post(target.format(**world.ids), data={"csrf": world.csrf[who]})

    assert answer.status_code == 404, answer.text[:500]
    assert _contents(world.url)["tables"] == before["tables"]
