"""The web interface in a real browser (Chromium, tests/browser.py) over a real server on SQLite:
what a person does with the mouse and the keyboard, and what axe-core finds on every main page.

To test a new page, add a `Shown` to PAGES: it is then checked with axe, for console errors
(a script that fails, something the CSP blocks), and, with KRACHT_SCREENSHOTS=1, photographed
into docs/screenshots/ when it has a `screenshot` name.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa

from kracht.basics.checkpoints import SigningKey
from kracht.notifications.settings import Audit, Settings
from kracht.storage.database import session
from kracht.storage.tables import Application, AuditEvent
from kracht.workflow.services import accounts, applications, assignment
from kracht.workflow.unit import Units
from tests import factories as f
from tests.browser import axe_violations, described
from tests.factories import World, make_application, run
from tests.web_server import PASSWORD, running, signed_in

if TYPE_CHECKING:
    from playwright.sync_api import Page

SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


@pytest.fixture
def site(world: World, tmp_path: Path) -> Iterator[str]:
    """The server, with a key that signs checkpoints (the auditor's desk offers one)."""
    key = tmp_path / "audit.key"
    key.write_text(SigningKey.generate("agendavoortwente.nl/kracht").private_text())
    with running(world.url, audit=Audit(key=str(key))) as base:
        yield base


def invitation(world: World, email: str) -> str:
    """The path of a fresh invitation link for `email`, made by the programme leader."""
    made = run(world.url, f.LEADER, accounts.invite, email, show_link=True, mail=False)
    return str(made["link"]).removeprefix("http://127.0.0.1:8000")


def sign_in(page: Page, base: str, world: World, email: str) -> None:
    """`email` chooses PASSWORD through an invitation, then signs in with it in this browser."""
    signed_in(base, world.url, email).close()
    page.goto(f"{base}/sign-in")
    page.get_by_label("E-mailadres", exact=True).first.fill(email)
    page.get_by_label("Wachtwoord", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Aanmelden").click()
    page.wait_for_url(f"{base}/")


def _state(url: str, app_id: int) -> str:
    with session(url) as db:
        found = db.get(Application, app_id)
        assert found is not None
        return found.state


def _last_event(url: str) -> AuditEvent:
    with session(url) as db:
        query = sa.select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)  # type: ignore[attr-defined]
        return db.exec(query).scalars().one()  # type: ignore[call-overload]


def _focused(page: Page) -> str:
    """The focused element, as `tag#id.class`."""
    return str(
        page.evaluate(
            "() => { const e = document.activeElement;"
            " return e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')"
            " + (e.className ? '.' + e.className : ''); }"
        )
    )


# -- what a person does ----------------------------------------------------------------------------


def test_a_leader_accepts_the_invitation_and_withdraws_an_application_with_the_button(
    page: Page,
    site: str,
    world: World,
):
    app_id = make_application(world, "idea")
    page.goto(site + invitation(world, f.LEADER))
    assert page.get_by_role("heading", level=1).inner_text() == "Welkom bij kracht, Aleid Diepeveen"
    page.get_by_label("Nieuw wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Wachtwoord opslaan").click()
    page.wait_for_url(f"{site}/")
    assert page.get_by_role("heading", level=1).inner_text() == "Mijn taken"
    assert page.locator(".who").inner_text() == "Aleid Diepeveen"

    page.get_by_role("navigation").get_by_role("link", name="Aanvragen").click()
    page.get_by_role("link", name="TalentIT Twente").click()
    page.wait_for_url(f"{site}/applications/{app_id}")
    page.get_by_label("Toelichting").nth(_step_index(page, "withdraw")).fill("partners left")
    page.get_by_role("button", name=re.compile(r"^Intrekken")).click()
    page.wait_for_url(f"{site}/applications/{app_id}")

    assert page.locator(".facts dd").first.inner_text() == "ingetrokken"
    assert _state(world.url, app_id) == "withdrawn"
    last = _last_event(world.url)
    assert (last.actor, last.trigger, last.reason) == (f.LEADER, "withdraw", "partners left")
    assert last.payload["channel"] == "web"
    assert page.errors == []  # type: ignore[attr-defined]


def _step_index(page: Page, trigger: str) -> int:
    """Which of the page's step forms fires `trigger`."""
    actions = page.locator("main form").evaluate_all("forms => forms.map(f => f.action)")
    return next(i for i, action in enumerate(actions) if action.endswith(f"/fire/{trigger}"))


def test_a_wrong_password_shows_the_refusal_and_signs_nobody_in(page: Page, site: str, world):
    signed_in(site, world.url, f.MEMBER).close()
    page.goto(f"{site}/sign-in")
    page.locator("#email").fill(f.MEMBER)
    page.locator("#password").fill("niet mijn wachtwoord")
    page.get_by_role("button", name="Aanmelden").click()

    alert = page.get_by_role("alert")
    assert alert.inner_text() == accounts.WRONG
    assert page.locator("#email").get_attribute("aria-describedby") == alert.get_attribute("id")
    assert page.locator("#email").input_value() == f.MEMBER  # kept, to correct the password
    page.goto(f"{site}/")
    assert page.url == f"{site}/sign-in"


def test_an_applicant_sees_only_their_own_organisations_applications(
    page: Page,
    site: str,
    world: World,
):
    own = make_application(world, "idea")
    other = make_application(world, "idea", applicant=f.OTHER_APPLICANT, title="Elsewhere")
    sign_in(page, site, world, f.APPLICANT)
    page.get_by_role("link", name="Aanvragen").click()

    listed = page.locator("main table a").evaluate_all("links => links.map(a => a.pathname)")
    assert listed == [f"/applications/{own}"]
    refused = page.goto(f"{site}/applications/{other}")
    assert refused is not None
    assert refused.status == 403
    assert page.get_by_role("alert").is_visible()
    assert "Elsewhere" not in page.content()


def test_an_auditor_reads_an_application_and_finds_no_button_to_change_it(
    page: Page,
    site: str,
    world: World,
):
    app_id = make_application(world, "idea")
    sign_in(page, site, world, f.AUDITOR)
    page.goto(f"{site}/applications/{app_id}")

    assert page.get_by_role("heading", level=1).inner_text() == "TalentIT Twente"
    assert page.locator("main button, main input:not([type=hidden])").count() == 0
    assert page.locator("main form").count() == 0
    assert page.locator(".steps em").first.inner_text() == "(Niet voor uw rol)"
    assert _state(world.url, app_id) == "idea"


# -- with the keyboard only ------------------------------------------------------------------------


def test_the_sign_in_form_is_filled_and_sent_with_the_keyboard_only(page: Page, site, world):
    signed_in(site, world.url, f.MEMBER).close()
    page.goto(f"{site}/sign-in")
    order = []
    for _ in range(3):
        page.keyboard.press("Tab")
        order.append(_focused(page))
    assert order == ["a.skip", "a.brand", "input#email"]
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"  # where the focus is shows
    page.keyboard.type(f.MEMBER)
    page.keyboard.press("Tab")
    assert _focused(page) == "input#password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    page.wait_for_url(f"{site}/")
    assert page.get_by_role("heading", level=1).inner_text() == "Mijn taken"


def test_the_skip_link_shows_when_focused_and_moves_the_focus_to_the_content(
    page: Page,
    site: str,
    world: World,
):
    sign_in(page, site, world, f.MEMBER)
    page.goto(f"{site}/account")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Naar de inhoud")
    assert _focused(page) == "a.skip"
    box = skip.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["y"] >= 0  # on screen while it has the focus

    page.keyboard.press("Enter")
    assert _focused(page) == "main#main"
    page.keyboard.press("Tab")  # the next stop is inside the content, past the menu
    assert page.evaluate("document.querySelector('main').contains(document.activeElement)")


# -- every main page: axe, the console, a screenshot -----------------------------------------------


@dataclass(frozen=True)
class Shown:
    """A page to check: who looks (None: nobody signed in), how to reach it in a world (a
    function that makes what the page shows and returns its path), the status it answers, and
    the screenshot's name, if one is kept in docs/screenshots/."""

    name: str
    who: str | None
    path: Callable[[World], str]
    status: int = 200
    screenshot: str | None = None


def _scored(world: World) -> str:
    make_application(world, "kracht_scoring")  # each committee member has a deadline
    return "/"


def _with_token(world: World) -> str:
    Units(world.url, Settings()).run(f.MEMBER, accounts.create_token, "rapportage", None, 90)
    return "/account"


def _forbidden(world: World) -> str:
    other = make_application(world, "idea", applicant=f.OTHER_APPLICANT, title="Elsewhere")
    return f"/applications/{other}"


def _one_application(world: World) -> str:
    fields = dict(programme=f.AVT_2018, applicant=f.BUSINESS, requested="250000", line="circular")
    run(world.url, f.LEADER, applications.create, title="Circulaire kunststoffen", **fields)
    return f"/applications/{make_application(world, 'idea')}"


def _listed(world: World) -> str:
    _one_application(world)
    return "/applications"


def _to_score(world: World) -> str:
    """An application whose sheets are in but for the member looking, who has declared."""
    app_id = make_application(world, "kracht_scoring")
    f.score_sheet(world, app_id, f.CHAIR)
    f.score_sheet(world, app_id, f.MEMBER2)
    run(world.url, f.MEMBER, assignment.declare, app_id, None)
    return f"/committee/{app_id}"


def _to_assign(world: World) -> str:
    """An application with the committee, nobody assigned yet: the leader's assignment form."""
    return f"/committee/{make_application(world, 'assessment_committee')}"


def _deciding(world: World) -> str:
    return f"/steering/{make_application(world, 'steering_decision')}"


def _in_monitoring(world: World) -> str:
    make_application(world, "monitoring")
    make_application(world, "closed", title="Digitale werkplaats")
    return "/monitoring"


def _a_project(world: World) -> str:
    return f"/monitoring/{make_application(world, 'monitoring')}"


def _audited(world: World) -> str:
    make_application(world, "steering_decision")
    return "/audit"


PAGES = [
    Shown("sign-in", None, lambda w: "/sign-in", screenshot="sign-in"),
    Shown("welcome", None, lambda w: invitation(w, f.MEMBER2)),
    Shown("my tasks", f.MEMBER, _scored, screenshot="my-tasks"),
    Shown("no tasks", f.LEADER, lambda w: "/"),
    Shown("applications", f.LEADER, _listed),
    Shown("an application", f.LEADER, _one_application, screenshot="application"),
    Shown("an application, read only", f.AUDITOR, _one_application),
    Shown("my account", f.MEMBER, _with_token, screenshot="account"),
    Shown("committee", f.MEMBER, lambda w: _scored(w) and "/committee"),
    Shown("a score sheet", f.MEMBER, _to_score, screenshot="committee"),
    Shown("assigning the committee", f.LEADER, _to_assign),
    Shown("steering decision", f.STEERING, _deciding, screenshot="steering"),
    Shown("budgets", f.LEADER, lambda w: "/money/budgets"),
    Shown("monitoring", f.LEADER, _in_monitoring, screenshot="monitoring"),
    Shown("a project", f.LEADER, _a_project),
    Shown("audit", f.AUDITOR, _audited, screenshot="audit"),
    Shown("a refusal", f.APPLICANT, _forbidden, status=403),
    Shown("not found", f.LEADER, lambda w: "/nothing-here", status=404),
]


@pytest.mark.parametrize("shown", PAGES, ids=[p.name for p in PAGES])
def test_a_main_page_has_no_serious_accessibility_violation(
    page: Page,
    site: str,
    world: World,
    shown: Shown,
):
    if shown.who:
        sign_in(page, site, world, shown.who)
    path = shown.path(world)
    response = page.goto(site + path)
    assert response is not None
    assert response.status == shown.status

    found = axe_violations(page)
    assert not found, described(found)
    assert page.errors == []  # type: ignore[attr-defined]
    if shown.screenshot and os.environ.get("KRACHT_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"{shown.screenshot}.png")
