"""Whole flows of issue 14 in a real browser (tests/browser.py) over a real server on SQLite:
a committee member's blind sheet and the chair's joint advice, a steering decision previewed
and then taken, and an auditor who reads everything and can change nothing. The factories set
up the state; the browser does only the steps under test."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa

from kracht.storage.database import session
from kracht.storage.tables import (
    Application,
    AuditEvent,
    DecisionLetter,
    GrantAllocation,
    OutboxMessage,
)
from kracht.workflow.config import default_document, scoring
from kracht.workflow.services import assignment, score_sheets
from tests import factories as f
from tests.browser import VIEWPORT
from tests.factories import World, make_application, run
from tests.test_browser import sign_in
from tests.web_server import running

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

SECRET = "Alleen na het eigen oordeel te lezen"  # the other member's motivation


@pytest.fixture
def site(world: World) -> Iterator[str]:
    with running(world.url) as base:
        yield base


@pytest.fixture
def other(chromium: Browser) -> Iterator[Page]:
    """A second browser window with its own cookies, for a second person."""
    context = chromium.new_context(viewport=VIEWPORT, locale="nl-NL")  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def _criteria() -> list[tuple[str, str]]:
    return [(c.key, c.name) for c in scoring(default_document()).criteria]


def _scored_with(world: World, app_id: int, member: str, motivation: str) -> None:
    """`member` declares no conflict and submits a sheet with `motivation` on every criterion."""
    run(world.url, member, assignment.declare, app_id, None)
    scores = {key: ("4", f"{motivation} ({name})") for key, name in _criteria()}
    run(world.url, member, score_sheets.score, app_id, scores)
    run(world.url, member, score_sheets.submit, app_id)


def _written(url: str, app_id: int) -> tuple[int, ...]:
    """What a decision would write: audit events, allocations, letters, messages, the version."""
    with session(url) as db:
        counts = [
            db.exec(sa.select(sa.func.count()).select_from(table)).scalar_one()  # type: ignore[call-overload]
            for table in (AuditEvent, GrantAllocation, DecisionLetter, OutboxMessage)
        ]
        found = db.get(Application, app_id)
        assert found is not None
        return (*counts, found.version)


def _state(url: str, app_id: int) -> str:
    with session(url) as db:
        found = db.get(Application, app_id)
        assert found is not None
        return found.state


def _own_sheet(world: World, app_id: int, member: str) -> dict:  # type: ignore[type-arg]
    current = run(world.url, member, score_sheets.view, app_id)["rounds"][-1]
    return dict(current.get("own_sheet") or {})


# -- the committee ---------------------------------------------------------------------------------


def test_a_member_declares_drafts_and_submits_a_blind_sheet_then_the_chair_advises(
    page: Page,
    other: Page,
    site: str,
    world: World,
):
    app_id = make_application(world, "kracht_scoring")
    _scored_with(world, app_id, f.MEMBER2, SECRET)
    f.score_sheet(world, app_id, f.CHAIR)
    sign_in(page, site, world, f.MEMBER)
    page.get_by_role("navigation").get_by_role("link", name="Commissie").click()
    page.get_by_role("link", name="TalentIT Twente").click()
    page.wait_for_url(f"{site}/committee/{app_id}")
    assert SECRET not in page.content()  # not before declaring

    page.get_by_label("Ik heb geen belangenconflict bij deze aanvraag").check()
    page.get_by_role("button", name="Verklaring vastleggen").click()
    page.wait_for_url(f"{site}/committee/{app_id}?done=declared")
    assert SECRET not in page.content()  # declared, but no sheet in yet

    first_key, _ = _criteria()[0]
    page.locator(f"#score-{first_key}").select_option("3")
    page.locator(f"#motivation-{first_key}").fill("Een eerste indruk")
    page.get_by_role("button", name="Concept opslaan").click()
    page.wait_for_url(f"{site}/committee/{app_id}?done=draft")
    draft = _own_sheet(world, app_id, f.MEMBER)
    assert draft["submitted_at"] is None
    assert draft["scores"][first_key]["motivation"] == "Een eerste indruk"
    assert page.locator(f"#motivation-{first_key}").input_value() == "Een eerste indruk"
    assert SECRET not in page.content()  # a draft is not a submitted sheet

    for key, name in _criteria():
        page.locator(f"#score-{key}").select_option("5")
        page.locator(f"#motivation-{key}").fill(f"Sterk op {name}")
    page.get_by_role("button", name="Opslaan en inleveren").click()
    page.wait_for_url(f"{site}/committee/{app_id}?done=submitted")
    assert _own_sheet(world, app_id, f.MEMBER)["submitted_at"] is not None
    assert SECRET in page.content()  # now the matrix and the others' motivations show
    assert page.get_by_role("heading", name="Scorematrix").is_visible()
    assert page.errors == []  # type: ignore[attr-defined]

    sign_in(other, site, world, f.CHAIR)
    other.goto(f"{site}/committee/{app_id}")
    assert other.locator("#advice-missing").count() == 0  # the quorum has scored
    other.get_by_label("Advies", exact=True).select_option("positive")
    other.get_by_label("Onderbouwing").fill("Innovatief; meerdere O's werken samen")
    other.get_by_role("button", name=re.compile("advies", re.I)).click()
    other.wait_for_url(f"{site}/committee/{app_id}?done=advised")
    assert _state(world.url, app_id) == "steering_decision"
    advised = world.show(app_id)["stage_data"]["kracht_scoring"]
    assert (advised["advice"], advised["advice_rationale"]) == (
        "positive",
        "Innovatief; meerdere O's werken samen",
    )
    with session(world.url) as db:
        query = sa.select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)  # type: ignore[attr-defined]
        last = db.exec(query).scalars().one()  # type: ignore[call-overload]
    assert (last.actor, last.payload["channel"]) == (f.CHAIR, "web")


# -- the steering committee ------------------------------------------------------------------------


def test_a_steering_member_previews_a_decision_which_writes_nothing_then_decides(
    page: Page,
    site: str,
    world: World,
):
    app_id = make_application(world, "steering_decision")
    sign_in(page, site, world, f.STEERING)
    page.get_by_role("navigation").get_by_role("link", name="Besluiten").click()
    page.get_by_role("link", name="TalentIT Twente").click()
    page.wait_for_url(f"{site}/steering/{app_id}")
    before = _written(world.url, app_id)

    page.get_by_label("Besluit", exact=True).select_option("approve")
    page.get_by_label("Motivering (komt in de besluitbrief)").fill("Innovatief en regionaal")
    page.get_by_label("Toegekend bedrag in euro").fill("64389")
    page.get_by_role("button", name="Bekijk wat dit besluit doet").click()

    preview = page.get_by_role("region", name="Voorbeeld: er is nog niets vastgelegd")
    assert preview.is_visible()
    charged = preview.locator("table tbody tr").first.inner_text()
    assert "€ 64.389,00" in charged
    assert _written(world.url, app_id) == before  # nothing at all was written
    assert _state(world.url, app_id) == "steering_decision"

    page.get_by_role("button", name="Besluit definitief nemen").click()
    page.wait_for_url(f"{site}/steering/{app_id}/letter")
    assert _state(world.url, app_id) == "monitoring"
    after = _written(world.url, app_id)
    assert after[0] > before[0]  # audited
    assert after[1] == before[1] + 1  # one allocation, as previewed
    assert after[2] > before[2]  # the decision letter (in each language)
    assert page.get_by_role("heading", level=1).is_visible()
    assert page.errors == []  # type: ignore[attr-defined]


# -- the auditor -----------------------------------------------------------------------------------

# The controls on a page that would change something: neither a search (a GET form) nor one's
# own sessions and tokens (web/guard.py's OWN_ACCESS, which an auditor keeps).
WRITES = """() => [...document.querySelectorAll(
    "main button, main textarea, main select, main input:not([type=hidden]), main form,"
    + " [hx-post], [hx-put], [hx-patch], [hx-delete]"
  )].filter(e => {
    const form = e.closest("form");
    if (!form) return true;
    const own = new URL(form.action).pathname.startsWith("/account/");
    return form.getAttribute("method") !== "get" && !own;
  }).map(e => e.outerHTML.slice(0, 80))"""


def test_an_auditor_sees_the_trail_intact_and_no_write_control_on_any_page(
    page: Page,
    site: str,
    world: World,
):
    scoring_id = make_application(world, "kracht_scoring")
    deciding = make_application(world, "steering_decision", title="Circulaire kunststoffen")
    granted = make_application(world, "monitoring", title="Digitale werkplaats")
    sign_in(page, site, world, f.AUDITOR)
    page.get_by_role("navigation").get_by_role("link", name="Audit").click()
    page.wait_for_url(f"{site}/audit")
    intact = page.locator(".aud-intact")
    assert re.fullmatch(r"De audittrail is intact: alle \d+ gebeurtenissen kloppen\.",
                        intact.inner_text())  # fmt: skip
    assert page.get_by_role("alert").count() == 0

    menu = (
        page.get_by_role("navigation")
        .locator("a")
        .evaluate_all("links => links.map(a => a.pathname)")
    )
    paths = [
        *menu,
        f"/applications/{granted}",
        f"/applications/{deciding}",
        f"/committee/{scoring_id}",
        f"/monitoring/{granted}",
        f"/audit/applications/{granted}",
    ]
    visited = {}
    for path in dict.fromkeys(paths):
        response = page.goto(site + path)
        assert response is not None
        visited[path] = (response.status, page.evaluate(WRITES))
    assert {"/audit", "/applications", "/account"} <= set(visited)
    assert {path: shown for path, shown in visited.items() if shown != (200, [])} == {}
    assert page.errors == []  # type: ignore[attr-defined]
