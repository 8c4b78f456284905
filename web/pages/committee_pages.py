"""The assessment committee: the applications with the committee, one application's declaration
of interests, blind score sheet, score matrix (only after one's own sheet), corrections and the
chair's joint advice, and a round's ranking. Every page and form calls the services the
`kracht committee`, `score`, `scores` and `advice` commands call; they decide who may do what.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from kracht.basics.actors import Actor
from kracht.basics.errors import InvalidInput, KrachtError, NotPermitted
from kracht.basics.roles import Role
from kracht.states.kracht_scoring import ADVICE
from kracht.web import guard, views
from kracht.web.committee_words import WORDS as WORDS
from kracht.workflow.definition import TERMINAL
from kracht.workflow.services import applications, assignment, directory, score_sheets
from kracht.workflow.services.accounts import Signer
from kracht.workflow.services.policy import INSIDERS, SEES_RANKING

router = APIRouter(include_in_schema=False)
ROLES = ("committee_member", "committee_chair", "programme_leader", "auditor")
MENU = [(30, "/committee", "committee", ROLES)]
STATES = ("assessment_committee", "kracht_scoring")
DONE = ("declared", "draft", "submitted", "corrected", "advised", "assigned")  # after a 303
SEATS = {str(r) for r in assignment.MEMBERS}  # the roles a person sits on a committee with


@router.get("/committee")
def committee_list(request: Request, who: guard.SignedIn) -> Response:
    """The applications with the committee, with where the signed-in person stands on each."""
    pages, actor = guard.site(request).pages, who["actor"]
    _not_assessed(actor)
    found = [app for state in STATES for app in pages.run(actor, applications.list_all, state)]
    rows = [
        {**app, **_standing(pages.run(actor, score_sheets.view, app["id"]), actor.email)}
        for app in sorted(found, key=lambda a: a["id"])
    ]
    rounds = sorted({app["round"] for app in found if app["round"]})
    return views.page(request, "committee_list.html.j2", who, rows=rows, rounds=rounds,
                      ranks=actor.holds(SEES_RANKING))  # fmt: skip


@router.get("/committee/ranking")
def committee_ranking(
    request: Request, who: guard.SignedIn, round_label: str = Query("", alias="round")
) -> Response:
    """A round's applications side by side, best weighted total first, disagreements flagged."""
    rows = guard.site(request).pages.run(who["actor"], score_sheets.ranking, round_label)
    return views.page(request, "committee_ranking.html.j2", who, rows=rows, label=round_label)


@router.get("/committee/{application_id}")
def committee_page(
    request: Request, application_id: int, who: guard.SignedIn, done: str = ""
) -> Response:
    _not_assessed(who["actor"])
    return _shown(request, who, application_id, done=done if done in DONE else "")


def _not_assessed(actor: Actor) -> None:
    """The committee's pages are the programme's own: an applicant is refused them (who
    assesses their application, and how far, is not theirs to see; `score_sheets.describe`)."""
    if not actor.holds(INSIDERS):
        raise NotPermitted(
            actor.email,
            "see the assessment committee's pages",
            roles_held=sorted(actor.roles),
            because="they are for the programme's own people; applicants follow their "
            "applications on My applications",
        )


@router.post("/committee/{application_id}/declare")
def committee_declare(
    request: Request, application_id: int, who: guard.SignedIn, form: guard.CheckedForm
) -> Response:
    """Declare no conflict of interest, or a conflict (which recuses the member)."""

    def act(run: Runner) -> None:
        choice, text = str(form.get("declaration", "")), str(form.get("conflict", "")).strip()
        if choice not in ("none", "conflict"):
            raise InvalidInput("choose: no conflict of interest, or a conflict",
                               field="declaration")  # fmt: skip
        if choice == "conflict" and not text:
            raise InvalidInput("describe the conflict of interest", field="conflict")
        run(assignment.declare, application_id, text if choice == "conflict" else None)

    return _acted(request, who, application_id, form, act, "declared")


@router.post("/committee/{application_id}/scores")
def committee_scores(
    request: Request, application_id: int, who: guard.SignedIn, form: guard.CheckedForm
) -> Response:
    """Save the sheet's scores as a draft; with `action=submit`, then submit the sheet."""
    submitting = form.get("action") == "submit"

    def act(run: Runner) -> None:
        values = _entered_scores(form)
        if values or not submitting:
            run(score_sheets.score, application_id, values)
        if submitting:
            run(score_sheets.submit, application_id)

    return _acted(request, who, application_id, form, act,
                  "submitted" if submitting else "draft")  # fmt: skip


@router.post("/committee/{application_id}/correct")
def committee_correct(
    request: Request, application_id: int, who: guard.SignedIn, form: guard.CheckedForm
) -> Response:
    """Correct a submitted score, with the reason; the old score stays on record."""

    def act(run: Runner) -> None:
        run(score_sheets.correct, application_id, *(str(form.get(name, "")) for name in
            ("criterion", "score", "motivation", "reason")))  # fmt: skip

    return _acted(request, who, application_id, form, act, "corrected")


@router.post("/committee/{application_id}/advice")
def committee_advice(
    request: Request, application_id: int, who: guard.SignedIn, form: guard.CheckedForm
) -> Response:
    """The chair's joint advice, once the quorum has scored: the application moves on."""

    def act(run: Runner) -> None:
        advice, rationale = str(form.get("advice", "")), str(form.get("rationale", ""))
        run(score_sheets.advise, application_id, advice, rationale)

    return _acted(request, who, application_id, form, act, "advised")


@router.post("/committee/{application_id}/assign")
def committee_assign(
    request: Request, application_id: int, who: guard.SignedIn, form: guard.CheckedForm
) -> Response:
    """Assign the members ticked (all or none); one linked to the applicant or a partner is
    recused at once, as the service does."""
    chosen = [str(v) for k, v in form.items() if k.startswith("member-")]

    def act(run: Runner) -> None:
        run(assignment.assign_all, application_id, chosen)

    return _acted(request, who, application_id, form, act, "assigned")


Runner = Callable[..., Any]


def _acted(
    request: Request,
    who: Signer,
    application_id: int,
    form: dict[str, Any],
    act: Callable[[Runner], None],
    done: str,
) -> Response:
    """Run `act` with the person's services; back to the page, or the page with the refusal."""
    pages = guard.site(request).pages

    def run(service: Callable[..., Any], *args: Any) -> Any:
        return pages.run(who["actor"], service, *args)

    try:
        act(run)
    except KrachtError as refused:
        return _shown(request, who, application_id, refused.http_status, refused=refused,
                      entered=form)  # fmt: skip
    return RedirectResponse(f"/committee/{application_id}?done={done}", 303)


def _shown(
    request: Request, who: Signer, application_id: int, status: int = 200, **context: Any
) -> Response:
    actor = who["actor"]
    record = guard.site(request).pages.run(actor, applications.show, application_id)
    committee = record["committee"]
    names = {m["member"]: m["name"] for m in committee["members"]}
    current = committee["rounds"][-1] if committee["rounds"] else None
    may = _may(actor, record, current)
    may["assign"] = actor.holds(assignment.ASSIGNERS) and record["state"] in STATES
    seats = _seats(request, actor, record, names) if may["assign"] else []
    return views.page(
        request, "committee_application.html.j2", who, status, app=record,
        members=committee["members"], names=names, current=current, may=may,
        advice_blocked=_advice_blocked(request, who, application_id) if may["advise"] else None,
        advice_values=ADVICE, entered=context.pop("entered", {}), seats=seats, **context,
    )  # fmt: skip


def _seats(
    request: Request, actor: Actor, record: dict[str, Any], assigned: dict[str, str]
) -> list[dict[str, Any]]:
    """The directory's committee members not yet on this committee, with their roles; `linked`
    when they work at the applicant or a partner (the service recuses them at once)."""
    parties = {record["applicant"], *(p["organisation"] for p in record["partners"])}
    people = guard.site(request).pages.run(actor, directory.list_people)
    return [
        {**p, "seats": sorted(SEATS & set(p["roles"])), "linked": p["organisation"] in parties}
        for p in people
        if SEATS & set(p["roles"]) and p["email"] not in assigned
    ]


def _advice_blocked(request: Request, who: Signer, application_id: int) -> KrachtError | None:
    """What stands in the way of the chair's advice now (the quorum, say), found by trying it
    and rolling back: nothing is written and nothing audited."""
    try:
        guard.site(request).pages.try_out(
            who["actor"], score_sheets.advise, application_id, ADVICE[0], "a preview"
        )
    except KrachtError as blocked:
        return blocked
    return None


def _may(actor: Actor, record: dict[str, Any], current: dict[str, Any] | None) -> dict[str, bool]:
    """Which forms the page offers `actor`; the services refuse whatever is not theirs anyway."""
    me = _member(record["committee"], actor.email)
    active = me is not None and not me["recused"]
    declared = active and me is not None and me["declaration"] == "none"
    scoring = record["state"] == "kracht_scoring" and current is not None
    own = (current or {}).get("own_sheet")
    submitted = bool(own and own["submitted_at"])
    return {
        "declare": active and me is not None and me["declaration"] is None
        and record["state"] not in TERMINAL,
        "score": declared and scoring and not submitted,
        "correct": declared and scoring and submitted,
        "advise": active and actor.holds([Role.COMMITTEE_CHAIR]) and bool(
            _step(record, "submit_advice")),
    }  # fmt: skip


def _member(committee: dict[str, Any], email: str) -> dict[str, Any] | None:
    return next((m for m in committee["members"] if m["member"] == email), None)


def _step(record: dict[str, Any], trigger: str) -> dict[str, Any] | None:
    return next((s for s in record.get("next", []) if s["trigger"] == trigger), None)


def _standing(view: score_sheets.Committee, email: str) -> dict[str, Any]:
    """Where `email` stands on one application, and how far the committee is."""
    me = next((m for m in view["members"] if m["member"] == email), None)
    current = view["rounds"][-1] if view["rounds"] else None
    own = (current or {}).get("own_sheet")
    if me is None:
        mine = "committee_not_assigned"
    elif me["recused"]:
        mine = "committee_recused"
    elif me["declaration"] is None:
        mine = "committee_to_declare"
    elif current is None:
        mine = "committee_not_open"
    elif own and own["submitted_at"]:
        mine = "committee_submitted"
    else:
        mine = "committee_draft" if own else "committee_to_score"
    return {
        "mine": mine,
        "deadline": current["deadline"] if current else None,
        "sheets_in": len(current["submitted"]) if current else 0,
        "members_active": sum(not m["recused"] for m in view["members"]),
    }


def _entered_scores(form: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """The criteria the form gives a score or a motivation for: {criterion: (score, text)}."""
    keys = [name.removeprefix("score-") for name in form if name.startswith("score-")]
    values = {key: (str(form.get(f"score-{key}", "")), str(form.get(f"motivation-{key}", "")))
              for key in keys}  # fmt: skip
    return {key: pair for key, pair in values.items() if pair[0].strip() or pair[1].strip()}
