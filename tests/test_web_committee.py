"""The committee's pages (issue 14) over a real HTTP server: the declaration of interests, the
blind score sheet (drafts, then submit), the matrix only after one's own sheet, corrections, the
chair's joint advice after the quorum, the round's ranking; refusals that write nothing."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from kracht.storage.database import session
from kracht.storage.tables import AuditEvent
from kracht.workflow.config import default_document, scoring
from kracht.workflow.services import applications, assignment, score_sheets
from tests import factories as f
from tests.factories import make_application, run, score_sheet
from tests.web_server import csrf_of, running, signed_in

CRITERIA = [c.key for c in scoring(default_document()).criteria]
SECRET = "Zebra <b>crossing</b> ahead"  # the chair's motivation, markup and all


@pytest.fixture
def site(any_world):  # type: ignore[no-untyped-def]
    with running(any_world.url) as base:
        yield base


@pytest.fixture
def scoring_open(any_world):  # type: ignore[no-untyped-def]
    """TalentIT in KRACHT scoring in round 2018-1: chair, member and second member assigned."""
    return make_application(any_world, "kracht_scoring", round_label="2018-1")


def _events(url: str) -> list[AuditEvent]:
    with session(url) as db:
        return list(db.exec(sa.select(AuditEvent).order_by(AuditEvent.seq)).scalars())  # type: ignore[call-overload, arg-type]


def _record(url: str, app_id: int) -> dict[str, Any]:
    """What a refused form must leave alone: the application and everything the committee has."""
    shown = run(url, f.LEADER, applications.show, app_id)
    return {"version": shown["version"], "state": shown["state"],
            "committee": run(url, f.LEADER, score_sheets.view, app_id)}  # fmt: skip


def _only_refusals(url: str, before: int) -> list[str]:
    """The outcomes of the audit events since `before`: a refused attempt leaves its trace."""
    return [e.outcome for e in _events(url)[before:]]


def _sheet(value: int, motivation: str = "judged") -> dict[str, str]:
    fields = {f"score-{key}": str(value) for key in CRITERIA}
    return fields | {f"motivation-{key}": f"{key} {motivation}" for key in CRITERIA}


def _post(client: httpx.Client, path: str, page: str, data: dict[str, str]) -> httpx.Response:
    return client.post(path, data={"csrf": csrf_of(page), **data})


def _reachable(client: httpx.Client, start: list[str]) -> dict[str, httpx.Response]:
    """Every page of this site a person reaches by following links from `start` (GET only)."""
    seen: dict[str, httpx.Response] = {}
    todo = list(start)
    while todo and len(seen) < 80:
        path = html.unescape(todo.pop())
        if path in seen or path.startswith("/static/"):
            continue
        seen[path] = page = client.get(path)
        todo += re.findall(r'href="(/[^"#]*)"', page.text)
    return seen


# -- the list --------------------------------------------------------------------------------------


def test_the_committee_list_shows_each_application_and_where_the_member_stands(
    site, any_world, scoring_open
):
    waiting = make_application(any_world, "assessment_committee", title="Mineral <i>Valley</i>",
                               applicant=f.OTHER_APPLICANT)  # fmt: skip
    member = signed_in(site, any_world.url, f.MEMBER)
    listed = member.get("/committee")
    assert listed.status_code == 200
    assert 'href="/committee"' in listed.text  # the menu entry
    assert f'href="/committee/{scoring_open}"' in listed.text
    assert f'href="/committee/{waiting}"' in listed.text
    assert "Mineral &lt;i&gt;Valley&lt;/i&gt;" in listed.text  # markup in user data is text
    assert "belangen verklaren" in listed.text
    assert "0 van 3" in listed.text
    assert "/committee/ranking?round=2018-1" in listed.text  # blind per application
    leader = signed_in(site, any_world.url, f.LEADER)
    assert "/committee/ranking?round=2018-1" in leader.get("/committee").text


def test_the_menu_entry_shows_for_the_committee_the_leader_and_the_auditor_only(site, any_world):
    for email, shown in ((f.CHAIR, True), (f.LEADER, True), (f.AUDITOR, True),
                         (f.STEERING, False), (f.APPLICANT, False)):  # fmt: skip
        page = signed_in(site, any_world.url, email).get("/")
        assert ('href="/committee"' in page.text) is shown, email


# -- declare, draft, submit ------------------------------------------------------------------------


def test_a_member_declares_saves_a_draft_then_submits_and_only_then_sees_the_matrix(
    site, any_world, scoring_open
):
    url = any_world.url
    member = signed_in(site, url, f.MEMBER)
    page = member.get(f"/committee/{scoring_open}")
    assert page.status_code == 200
    assert f'action="/committee/{scoring_open}/declare"' in page.text
    assert f'action="/committee/{scoring_open}/scores"' not in page.text  # declare first

    declared = _post(member, f"/committee/{scoring_open}/declare", page.text,
                     {"declaration": "none"})  # fmt: skip
    assert declared.status_code == 303
    assert declared.headers["location"] == f"/committee/{scoring_open}?done=declared"
    page = member.get(declared.headers["location"])
    assert "Uw verklaring is vastgelegd." in page.text
    assert f'action="/committee/{scoring_open}/scores"' in page.text

    draft = {"score-innovation": "3", "motivation-innovation": "new for <Twente>"}
    saved = _post(member, f"/committee/{scoring_open}/scores", page.text,
                  {**draft, "action": "draft"})  # fmt: skip
    assert saved.status_code == 303
    page = member.get(f"/committee/{scoring_open}")
    assert "new for &lt;Twente&gt;</textarea>" in page.text  # the draft, kept as text
    assert '<option value="3" selected>' in page.text
    own = run(url, f.MEMBER, score_sheets.view, scoring_open)["rounds"][-1]["own_sheet"]
    assert (own["submitted_at"], own["scores"]["innovation"]["score"]) == (None, 3)

    submitted = _post(member, f"/committee/{scoring_open}/scores", page.text,
                      {**_sheet(4), "action": "submit"})  # fmt: skip
    assert submitted.status_code == 303
    page = member.get(submitted.headers["location"])
    assert "Uw scoreformulier is ingeleverd." in page.text
    assert f'action="/committee/{scoring_open}/scores"' not in page.text  # final now
    assert f'action="/committee/{scoring_open}/correct"' in page.text
    assert "Scorematrix" in page.text  # their own sheet is in: the matrix shows
    last = _events(url)[-1]
    assert (last.actor, last.action, last.payload["channel"]) == (f.MEMBER, "score.submit", "web")


def test_submitting_an_incomplete_sheet_keeps_the_draft_and_says_what_is_missing(
    site, any_world, scoring_open
):
    run(any_world.url, f.MEMBER, assignment.declare, scoring_open, None)
    member = signed_in(site, any_world.url, f.MEMBER)
    page = member.get(f"/committee/{scoring_open}")
    refused = _post(member, f"/committee/{scoring_open}/scores", page.text,
                    {"score-innovation": "5", "motivation-innovation": "bold",
                     "action": "submit"})  # fmt: skip
    assert refused.status_code == 400
    assert 'role="alert"' in refused.text
    assert "score every criterion before submitting; missing: cooperation" in refused.text
    own = run(any_world.url, f.MEMBER, score_sheets.view, scoring_open)["rounds"][-1]["own_sheet"]
    assert own["submitted_at"] is None
    assert own["scores"]["innovation"]["score"] == 5  # the draft was saved


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"score-innovation": "9", "motivation-innovation": "x"}, 400, "outside the scale 1-5"),
        (
            {"score-innovation": "4", "motivation-innovation": " "},
            400,
            "needs a written motivation",
        ),
        ({"score-nonsense": "4", "motivation-nonsense": "x"}, 400, "unknown criterion"),
        ({}, 400, "give at least one criterion to score"),
    ],
)
def test_a_bad_draft_is_refused_with_its_reason_and_nothing_is_written(
    site, any_world, scoring_open, fields, status, message
):
    run(any_world.url, f.MEMBER, assignment.declare, scoring_open, None)
    member = signed_in(site, any_world.url, f.MEMBER)
    page = member.get(f"/committee/{scoring_open}")
    before, events = _record(any_world.url, scoring_open), len(_events(any_world.url))
    refused = _post(member, f"/committee/{scoring_open}/scores", page.text,
                    {**fields, "action": "draft"})  # fmt: skip
    assert refused.status_code == status
    assert message in html.unescape(refused.text)
    assert _record(any_world.url, scoring_open) == before
    assert "ok" not in _only_refusals(any_world.url, events)


def test_a_declaration_needs_a_choice_and_a_conflict_its_description(site, any_world, scoring_open):
    member = signed_in(site, any_world.url, f.MEMBER)
    page = member.get(f"/committee/{scoring_open}")
    before, events = _record(any_world.url, scoring_open), len(_events(any_world.url))
    blank = {"declaration": "conflict", "conflict": " "}
    for data, message in (({}, "choose: no conflict"), (blank, "describe the conflict")):
        refused = _post(member, f"/committee/{scoring_open}/declare", page.text, data)
        assert refused.status_code == 400
        assert message in refused.text
    assert _record(any_world.url, scoring_open) == before
    assert len(_events(any_world.url)) == events


# -- blind -----------------------------------------------------------------------------------------


def test_a_member_cannot_see_anothers_scores_on_any_page_before_submitting_their_own(
    site, any_world, scoring_open
):
    url = any_world.url
    run(url, f.CHAIR, assignment.declare, scoring_open, None)
    run(url, f.CHAIR, score_sheets.score, scoring_open,
        dict.fromkeys(CRITERIA, ("5", SECRET)))  # fmt: skip
    run(url, f.CHAIR, score_sheets.submit, scoring_open)
    member = signed_in(site, url, f.MEMBER)
    page = member.get(f"/committee/{scoring_open}")
    _post(member, f"/committee/{scoring_open}/declare", page.text, {"declaration": "none"})
    page = member.get(f"/committee/{scoring_open}")
    draft = {"score-innovation": "2", "motivation-innovation": "mine", "action": "draft"}
    _post(member, f"/committee/{scoring_open}/scores", page.text, draft)

    start = ["/", f"/committee/{scoring_open}", f"/applications/{scoring_open}",
             "/committee/ranking?round=2018-1"]  # fmt: skip
    pages = _reachable(member, start)
    assert {f"/committee/{scoring_open}", "/committee", "/account"} <= set(pages)
    for path, shown in pages.items():
        assert "Zebra" not in shown.text, path  # neither as text nor as markup
        assert "Scorematrix" not in shown.text, path
    assert pages["/committee/ranking?round=2018-1"].status_code == 409  # not before their own
    assert "pas als u uw eigen formulier" in pages[f"/committee/{scoring_open}"].text

    page = member.get(f"/committee/{scoring_open}")
    assert _post(member, f"/committee/{scoring_open}/scores", page.text,
                 {**_sheet(3), "action": "submit"}).status_code == 303  # fmt: skip
    after = member.get(f"/committee/{scoring_open}").text
    assert "Scorematrix" in after
    assert "Zebra &lt;b&gt;crossing&lt;/b&gt; ahead" in after  # now shown, as text
    assert "<b>crossing</b>" not in after


def test_the_matrix_flags_disagreement_and_shows_the_aggregate_the_dutch_way(
    site, any_world, scoring_open
):
    score_sheet(any_world, scoring_open, f.CHAIR, value=5)
    score_sheet(any_world, scoring_open, f.MEMBER2, value=2)
    score_sheet(any_world, scoring_open, f.MEMBER, value=4)
    page = signed_in(site, any_world.url, f.MEMBER).get(f"/committee/{scoring_open}").text
    assert "verschil van inzicht" in page  # 5 against 2: a spread of 3
    assert "3,67" in page  # the mean, with a decimal comma
    assert '<th scope="row">Committee Chair</th>' in page


# -- corrections -----------------------------------------------------------------------------------


def test_a_submitted_score_is_corrected_with_a_reason_and_the_old_one_kept(
    site, any_world, scoring_open
):
    url = any_world.url
    score_sheet(any_world, scoring_open, f.MEMBER, value=4)
    member = signed_in(site, url, f.MEMBER)
    page = member.get(f"/committee/{scoring_open}")
    correction = {"criterion": "innovation", "score": "2", "motivation": "less new than I thought"}
    before, events = _record(url, scoring_open), len(_events(url))
    refused = _post(member, f"/committee/{scoring_open}/correct", page.text,
                    {**correction, "reason": " "})  # fmt: skip
    assert refused.status_code == 400
    assert "a correction needs a reason" in refused.text
    assert _record(url, scoring_open) == before
    assert len(_events(url)) == events

    done = _post(member, f"/committee/{scoring_open}/correct", page.text,
                 {**correction, "reason": "misread the <plan>"})  # fmt: skip
    assert done.status_code == 303
    page = member.get(done.headers["location"]).text
    assert "De correctie is vastgelegd." in page
    assert "innovation: 2 (versie 1): misread the &lt;plan&gt;" in page
    last = _events(url)[-1]
    assert (last.action, last.payload["old"], last.payload["new"]) == ("score.correct", 4, 2)


# -- refused -----------------------------------------------------------------------------------


def test_an_unassigned_member_is_refused_every_form_and_nothing_is_written(
    site, any_world, scoring_open
):
    url = any_world.url
    outsider = signed_in(site, url, f.SAXION_MEMBER)  # a committee member, not on this one
    page = outsider.get(f"/committee/{scoring_open}")
    assert page.status_code == 200
    assert '<form method="post" action="/committee/' not in page.text
    before, events = _record(url, scoring_open), len(_events(url))
    for path, data in (("declare", {"declaration": "none"}),
                       ("scores", {**_sheet(4), "action": "submit"}),
                       ("correct", {"criterion": "innovation", "score": "2", "motivation": "x",
                                    "reason": "y"})):  # fmt: skip
        refused = _post(outsider, f"/committee/{scoring_open}/{path}", page.text, data)
        assert refused.status_code == 409, path
        assert f"{f.SAXION_MEMBER} is not assigned to application {scoring_open}" in refused.text
    assert _record(url, scoring_open) == before
    assert set(_only_refusals(url, events)) == {"refused"}


def test_a_member_who_declares_a_conflict_is_recused_and_refused_scoring(
    site, any_world, scoring_open
):
    url = any_world.url
    member = signed_in(site, url, f.MEMBER2)
    page = member.get(f"/committee/{scoring_open}")
    declared = _post(member, f"/committee/{scoring_open}/declare", page.text,
                     {"declaration": "conflict", "conflict": "my <brother> runs it"})  # fmt: skip
    assert declared.status_code == 303
    page = member.get(f"/committee/{scoring_open}")
    assert "U bent teruggetrokken van deze aanvraag" in page.text
    assert "my &lt;brother&gt; runs it" in page.text
    assert f'action="/committee/{scoring_open}/scores"' not in page.text

    before, events = _record(url, scoring_open), len(_events(url))
    refused = _post(member, f"/committee/{scoring_open}/scores", page.text,
                    {**_sheet(4), "action": "draft"})  # fmt: skip
    again = _post(member, f"/committee/{scoring_open}/declare", page.text, {"declaration": "none"})
    assert refused.status_code == 409
    assert "is recused from application" in refused.text
    assert again.status_code == 409
    assert "a declared conflict of interest stands" in again.text
    assert _record(url, scoring_open) == before
    assert set(_only_refusals(url, events)) == {"refused"}


def test_an_applicant_is_refused_the_committees_pages_even_of_their_own_application(
    site, any_world, scoring_open
):
    for applicant in (f.APPLICANT, f.OUTSIDER):  # its applicant, another organisation's
        client = signed_in(site, any_world.url, applicant)
        for path in (f"/committee/{scoring_open}", "/committee", "/committee/999999"):
            page = client.get(path)
            assert page.status_code == 403, (applicant, path)
            assert f.MEMBER not in page.text
    member = signed_in(site, any_world.url, f.MEMBER)
    assert member.get("/committee/999999").status_code == 404


def test_a_form_without_this_sessions_token_is_refused(site, any_world, scoring_open):
    member = signed_in(site, any_world.url, f.MEMBER)
    events = len(_events(any_world.url))
    refused = member.post(f"/committee/{scoring_open}/declare", data={"declaration": "none"})
    assert refused.status_code == 403
    assert len(_events(any_world.url)) == events


# -- the joint advice ------------------------------------------------------------------------------


def test_the_chair_advises_only_once_the_quorum_has_scored(site, any_world, scoring_open):
    url = any_world.url
    score_sheet(any_world, scoring_open, f.CHAIR)
    score_sheet(any_world, scoring_open, f.MEMBER)
    chair = signed_in(site, url, f.CHAIR)
    events = len(_events(url))
    page = chair.get(f"/committee/{scoring_open}")
    assert f'action="/committee/{scoring_open}/advice"' in page.text
    assert "submitted score sheets from 3 members (2 so far)" in page.text  # still missing
    assert "the rationale of the joint advice" not in page.text  # the form itself gives it
    assert len(_events(url)) == events  # the page tried the advice and wrote nothing
    advice = {"advice": "positive", "rationale": "innovative, several O's cooperate"}
    before, events = _record(url, scoring_open), len(_events(url))
    early = _post(chair, f"/committee/{scoring_open}/advice", page.text, advice)
    assert early.status_code == 422
    assert 'role="alert"' in early.text
    assert "2 so far" in early.text
    assert _record(url, scoring_open) == before
    assert set(_only_refusals(url, events)) == {"refused"}

    member = signed_in(site, url, f.MEMBER)
    assert (
        _post(
            member,
            f"/committee/{scoring_open}/advice",
            member.get(f"/committee/{scoring_open}").text,
            advice,
        ).status_code
        == 403
    )
    score_sheet(any_world, scoring_open, f.MEMBER2)
    done = _post(chair, f"/committee/{scoring_open}/advice", page.text, advice)
    assert done.status_code == 303
    assert "Het gezamenlijk advies is vastgelegd." in chair.get(done.headers["location"]).text
    shown = run(url, f.LEADER, applications.show, scoring_open)
    assert shown["state"] == "steering_decision"
    assert shown["stage_data"]["kracht_scoring"]["advice"] == "positive"


# -- the ranking and the auditor -------------------------------------------------------------------


def test_the_round_ranking_orders_by_weighted_total_and_flags_disagreement(site, any_world):
    low = make_application(any_world, "kracht_scoring", round_label="2018-1")
    high = make_application(any_world, "kracht_scoring", round_label="2018-1",
                            title="Mineral Valley", applicant=f.OTHER_APPLICANT)  # fmt: skip
    for member, value in ((f.CHAIR, 1), (f.MEMBER, 5), (f.MEMBER2, 3)):
        score_sheet(any_world, low, member, value=value)
        score_sheet(any_world, high, member, value=5)
    leader = signed_in(site, any_world.url, f.LEADER)
    page = leader.get("/committee/ranking?round=2018-1")
    assert page.status_code == 200
    assert page.text.index(f'href="/committee/{high}"') < page.text.index(
        f'href="/committee/{low}"'
    )
    assert "verschil van inzicht" in page.text
    assert leader.get("/committee/ranking?round=nosuch").status_code == 404
    member = signed_in(site, any_world.url, f.MEMBER)
    ranked = member.get("/committee/ranking?round=2018-1")  # their own sheets are in
    assert ranked.status_code == 200
    assert ranked.text.index(f'href="/committee/{high}"') < ranked.text.index(
        f'href="/committee/{low}"'
    )


def test_an_auditor_reads_every_committee_page_and_every_post_is_refused(
    site, any_world, scoring_open
):
    url = any_world.url
    score_sheet(any_world, scoring_open, f.CHAIR)
    auditor = signed_in(site, url, f.AUDITOR)
    for path in ("/committee", f"/committee/{scoring_open}", "/committee/ranking?round=2018-1"):
        page = auditor.get(path)
        assert page.status_code == 200, path
        assert '<form method="post" action="/committee/' not in page.text, path
    page = auditor.get(f"/committee/{scoring_open}")
    assert "Scorematrix" in page.text  # an auditor sees every sheet

    before, events = _record(url, scoring_open), len(_events(url))
    forms = {
        "declare": {"declaration": "none"},
        "scores": {**_sheet(4), "action": "draft"},
        "correct": {"criterion": "innovation", "score": "2", "motivation": "x", "reason": "y"},
        "advice": {"advice": "positive", "rationale": "fine"},
    }
    for path, data in forms.items():
        refused = _post(auditor, f"/committee/{scoring_open}/{path}", page.text, data)
        assert refused.status_code == 403, path
        assert 'role="alert"' in refused.text
    submit = _post(auditor, f"/committee/{scoring_open}/scores", page.text, {"action": "submit"})
    assert submit.status_code == 403
    assert _record(url, scoring_open) == before
    assert set(_only_refusals(url, events)) <= {"refused"}  # refused before any service ran
