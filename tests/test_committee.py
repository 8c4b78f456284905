"""The assessment committee: interests declared, scoring blind, quorum kept, advice joint."""

import csv
import datetime as dt
import json

import pytest
import time_machine

from kracht.basics.errors import GuardFailed, InvalidInput, NotAllowed, NotFound
from kracht.cli import main
from kracht.commands import hints
from kracht.storage import audit, clock, repository
from kracht.storage.database import session
from kracht.workflow import engine
from kracht.workflow.config import DEFAULT_FILE
from kracht.workflow.services import (
    applications,
    assignment,
    decisions,
    directory,
    policy,
    score_sheets,
)
from tests import factories as f
from tests.factories import ADVICE, COMMITTEE, make_application, prepare, run, score_sheet

ALL_FOURS = {"innovation": "4", "cooperation": "4", "business_commitment": "4",
             "economic_impact": "4", "regional_support": "4", "future_proof": "4"}  # fmt: skip


def _scores(values: dict[str, str]) -> dict[str, tuple[str, str]]:
    return {key: (value, f"{key} judged") for key, value in values.items()}


def _events(world, action):
    with session(world.url) as db:
        return [e for e in audit.history(db) if e["action"] == action]


def _trail(world):
    with session(world.url) as db:
        return audit.history(db)


def _since(world, trail):
    """The audit events appended after `trail` was taken."""
    return _trail(world)[len(trail) :]


def _record(world, app_id, member):
    """What a refused action must leave alone: the version, the member's sheet, the committee."""
    view = run(world.url, member, score_sheets.view, app_id)
    return {
        "version": run(world.url, f.LEADER, applications.show, app_id)["version"],
        "own_sheet": view["rounds"][-1].get("own_sheet") if view["rounds"] else None,
        "members": view["members"],
    }


def _refusal(event):
    return (event["actor"], event["action"], event["trigger"], event["outcome"],
            event["payload"]["error"])  # fmt: skip


def _visible(world, app_id, actor):
    """The last round of the committee part of `kracht app show --json`, as `actor` sees it."""
    return run(world.url, actor, applications.show, app_id)["committee"]["rounds"][-1]


def _export(world, actor, round_label="2018-1"):
    return list(csv.DictReader(run(world.url, actor, score_sheets.export_matrix, round_label)))


def _hidden_score_events(world, app_id, actor, of):
    history = run(world.url, actor, applications.history, app_id)
    return [e["payload"] for e in history if e["action"].startswith("score.") and e["actor"] == of]


HIDDEN = {"hidden": "blind scoring: submit your own sheet first"}
BLIND_ROUND = (
    "may not see the scores of round 2018-1 yet: scoring is blind: a member sees the scores "
    "after submitting their own sheet, a steering member once the committee has given its joint "
    "advice"
)


@pytest.fixture
def scoring_open(world):
    """TalentIT in KRACHT scoring, with three members assigned and a deadline in 30 days."""
    return make_application(world, stage="kracht_scoring")


def test_a_member_cannot_read_other_scores_before_submitting(world, scoring_open):
    score_sheet(world, scoring_open, f.CHAIR, value=5)
    run(world.url, f.MEMBER, assignment.declare, scoring_open, None)
    run(world.url, f.MEMBER, score_sheets.score, scoring_open, _scores({"innovation": "3"}))

    before = run(world.url, f.MEMBER, score_sheets.view, scoring_open)["rounds"][-1]
    shown = _visible(world, scoring_open, f.MEMBER)
    history = run(world.url, f.MEMBER, applications.history, scoring_open)
    run(world.url, f.MEMBER, score_sheets.score, scoring_open, _scores(ALL_FOURS))
    run(world.url, f.MEMBER, score_sheets.submit, scoring_open)
    after = run(world.url, f.MEMBER, score_sheets.view, scoring_open)["rounds"][-1]

    assert before["visible"] is False
    assert "sheets" not in before
    assert "aggregate" not in before
    assert before["own_sheet"]["scores"]["innovation"]["score"] == 3
    assert shown == before
    chair_events = [
        e for e in history if e["action"].startswith("score.") and e["actor"] == f.CHAIR
    ]
    assert {str(e["payload"]) for e in chair_events} == {
        "{'hidden': 'blind scoring: submit your own sheet first'}"
    }
    assert after["visible"] is True
    assert [s["member"] for s in after["sheets"]] == [f.CHAIR, f.MEMBER]


def test_a_member_linked_to_a_partner_is_recused_automatically_and_audited(world):
    app_id = make_application(world, stage="assessment_committee")
    run(world.url, f.LEADER, applications.add_partner, app_id, organisation="Saxion",
                             commitment="knowledge")  # fmt: skip

    result = run(world.url, f.LEADER, assignment.assign, app_id, f.SAXION_MEMBER)

    assert result["recused"] == "works at Saxion, a partner"
    recusal = _events(world, "committee.recuse")[-1]
    assert (recusal["application_id"], recusal["reason"]) == (app_id, "works at Saxion, a partner")
    assert recusal["payload"] == {"member": f.SAXION_MEMBER, "how": "automatic"}


def test_a_declared_conflict_recuses_the_member_who_then_cannot_score(world, scoring_open):
    run(world.url, f.MEMBER2, assignment.declare, scoring_open, "my brother runs the applicant")

    with pytest.raises(NotAllowed) as error:
        run(world.url, f.MEMBER2, score_sheets.score, scoring_open, _scores({"innovation": "4"}))

    assert str(error.value) == (
        f"{f.MEMBER2} is recused from application {scoring_open}: declared a conflict of "
        "interest: my brother runs the applicant"
    )
    assert _events(world, "committee.recuse")[-1]["payload"] == {
        "member": f.MEMBER2, "how": "declared"
    }  # fmt: skip


def test_recused_members_do_not_count_toward_the_quorum(world, scoring_open):
    run(world.url, f.MEMBER2, assignment.declare, scoring_open, "conflict")
    score_sheet(world, scoring_open, f.CHAIR)
    score_sheet(world, scoring_open, f.MEMBER)

    with pytest.raises(GuardFailed) as error:
        run(world.url, f.CHAIR, score_sheets.advise, scoring_open, "positive", "fine")

    assert error.value.missing == ["submitted score sheets from 3 members (2 so far)"]
    run(world.url, f.LEADER, assignment.assign, scoring_open, f.SAXION_MEMBER)
    score_sheet(world, scoring_open, f.SAXION_MEMBER)
    run(world.url, f.CHAIR, score_sheets.advise, scoring_open, "positive", "fine")
    assert world.state(scoring_open) == "steering_decision"


def test_the_advice_waits_for_the_quorum_and_goes_with_the_application(world, scoring_open):
    for member in COMMITTEE[:2]:
        score_sheet(world, scoring_open, member)
    with pytest.raises(GuardFailed):
        run(world.url, f.CHAIR, score_sheets.advise, scoring_open, "positive", "innovative")
    score_sheet(world, scoring_open, COMMITTEE[2])

    run(
        world.url,
        f.CHAIR,
        score_sheets.advise,
        scoring_open,
        "positive_with_conditions",
        "regional",
    )

    record = run(world.url, f.STEERING, applications.show, scoring_open)
    assert record["state"] == "steering_decision"
    assert record["stage_data"]["kracht_scoring"] == {
        "advice": "positive_with_conditions", "advice_rationale": "regional"
    }  # fmt: skip
    last_round = record["committee"]["rounds"][-1]
    assert last_round["visible"] is True
    assert last_round["aggregate"]["weighted_total"] == 4.0


def test_the_advice_can_only_be_recorded_with_its_trigger(world, scoring_open):
    with pytest.raises(NotAllowed) as error:
        run(world.url, f.CHAIR, engine.record, scoring_open, "kracht_scoring", ADVICE)

    assert str(error.value).startswith("kracht_scoring data is recorded only with the trigger "
                                       "submit_advice")  # fmt: skip


def test_weighted_total_knock_outs_and_disagreement_follow_the_configuration(world, scoring_open):
    rows = [
        {**ALL_FOURS, "innovation": "5", "business_commitment": "1"},
        {**ALL_FOURS, "innovation": "5", "business_commitment": "2"},
        {**ALL_FOURS, "innovation": "2", "business_commitment": "1"},
    ]
    for member, row in zip(COMMITTEE, rows, strict=True):
        run(world.url, member, assignment.declare, scoring_open, None)
        run(world.url, member, score_sheets.score, scoring_open, _scores(row))
        run(world.url, member, score_sheets.submit, scoring_open)

    result = run(world.url, f.LEADER, score_sheets.view, scoring_open)["rounds"][-1]["aggregate"]

    by_key = {c["key"]: c for c in result["criteria"]}
    assert (by_key["innovation"]["mean"], by_key["innovation"]["median"]) == (4.0, 5.0)
    assert by_key["innovation"]["spread"] == 3
    assert by_key["business_commitment"]["mean"] == 1.33
    # weights 20, 15, 20, 20, 10, 15: (20*4 + 15*4 + 20*1.33 + 20*4 + 10*4 + 15*4) / 100
    assert result["weighted_total"] == 3.47
    assert result["knock_outs"] == ["business_commitment"]
    assert result["disagreements"] == ["innovation"]


def test_a_configuration_change_leaves_an_earlier_round_unchanged(world, scoring_open, tmp_path):
    for member in COMMITTEE:
        score_sheet(world, scoring_open, member)
    first = run(world.url, f.LEADER, score_sheets.view, scoring_open)["rounds"][-1]
    config = tmp_path / "weights.toml"
    config.write_text(
        "[committee]\nminimum_members = 3\nquorum = 3\n[scale]\nmin = 1\nmax = 10\n"
        '[[criteria]]\nkey = "impact"\nname = "Impact"\nquestion = "Impact?"\nweight = 1\n'
    )

    run(world.url, f.LEADER, directory.configure_programme, f.AVT_2018, config)
    world.fire(scoring_open, "return_for_rework", f.CHAIR, reason="sharpen")
    prepare(world, scoring_open, "innovation_table")
    world.fire(scoring_open, "start_ecosystem_analysis", f.TABLE_CHAIR)
    prepare(world, scoring_open, "assessment_committee")
    world.fire(scoring_open, "open_scoring")

    rounds = run(world.url, f.LEADER, score_sheets.view, scoring_open)["rounds"]
    assert rounds[0] == first
    assert rounds[1]["criteria_version"] != first["criteria_version"]
    assert [c["key"] for c in rounds[1]["criteria"]] == ["impact"]
    with pytest.raises(InvalidInput) as error:
        run(world.url, f.CHAIR, score_sheets.score, scoring_open, _scores({"innovation": "4"}))
    assert str(error.value) == "unknown criterion 'innovation'; the criteria are: impact"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"innovation": ("6", "great")}, "innovation: 6 is outside the scale 1-5"),
        ({"innovation": ("0", "poor")}, "innovation: 0 is outside the scale 1-5"),
        ({"innovation": ("four", "x")}, "innovation: 'four' is not a whole-number score"),
        ({"kracht": ("4", "x")}, "unknown criterion 'kracht'; the criteria are: innovation, "
         "cooperation, business_commitment, economic_impact, regional_support, future_proof"),
        ({"innovation": ("4", " ")}, "innovation: a score needs a written motivation"),
    ],
)  # fmt: skip
def test_invalid_scores_are_refused_and_nothing_is_written(world, scoring_open, values, message):
    run(world.url, f.MEMBER, assignment.declare, scoring_open, None)
    version = run(world.url, f.LEADER, applications.show, scoring_open)["version"]

    with pytest.raises(InvalidInput) as error:
        run(world.url, f.MEMBER, score_sheets.score, scoring_open, values)

    assert str(error.value) == message
    assert run(world.url, f.LEADER, applications.show, scoring_open)["version"] == version
    assert (
        "own_sheet" not in run(world.url, f.MEMBER, score_sheets.view, scoring_open)["rounds"][-1]
    )


def test_scoring_after_the_deadline_is_refused_and_nothing_is_written(any_world):
    app_id = make_application(any_world, stage="kracht_scoring")
    run(any_world.url, f.MEMBER, assignment.declare, app_id, None)
    run(any_world.url, f.MEMBER, score_sheets.score, app_id, _scores({"innovation": "3"}))
    before, trail = _record(any_world, app_id, f.MEMBER), _trail(any_world)
    late = clock.today() + dt.timedelta(days=31)

    with time_machine.travel(dt.datetime.combine(late, dt.time(9)), tick=False):
        with pytest.raises(NotAllowed) as error:
            run(any_world.url, f.MEMBER, score_sheets.score, app_id, _scores({"innovation": "4"}))
        with pytest.raises(NotAllowed):
            run(any_world.url, f.MEMBER, score_sheets.submit, app_id)

    message = f"the scoring deadline for application {app_id} passed on {f.DEADLINE}"
    assert str(error.value) == message
    assert _record(any_world, app_id, f.MEMBER) == before
    assert [_refusal(e) for e in _since(any_world, trail)] == [
        (f.MEMBER, "score.draft", None, "refused", message),
        (f.MEMBER, "score.submit", None, "refused", message),
    ]


def test_submitted_scores_are_final_and_corrections_keep_the_old_score(any_world):
    world = any_world
    scoring_open = make_application(world, stage="kracht_scoring")
    score_sheet(world, scoring_open, f.MEMBER, value=4)
    before, trail = _record(world, scoring_open, f.MEMBER), _trail(world)

    with pytest.raises(NotAllowed) as after_submit:
        run(world.url, f.MEMBER, score_sheets.score, scoring_open, _scores({"innovation": "5"}))
    with pytest.raises(NotAllowed) as resubmit:
        run(world.url, f.MEMBER, score_sheets.submit, scoring_open)
    unchanged, refusals = _record(world, scoring_open, f.MEMBER), _since(world, trail)
    run(world.url, f.MEMBER, score_sheets.correct, scoring_open, "innovation", "5", "on reflection",
                      "misread the proposal")  # fmt: skip

    sheet = run(world.url, f.MEMBER, score_sheets.view, scoring_open)["rounds"][-1]["own_sheet"]
    final = "your score sheet is submitted and final; use `kracht score correct`"
    assert hints.line(after_submit.value) == final
    assert str(resubmit.value) == "your score sheet is already submitted"
    assert unchanged == before
    assert [_refusal(e) for e in refusals] == [
        (f.MEMBER, "score.draft", None, "refused", str(after_submit.value)),  # without the hint
        (f.MEMBER, "score.submit", None, "refused", "your score sheet is already submitted"),
    ]
    assert sheet["scores"]["innovation"] == {"score": 5, "motivation": "on reflection",
                                             "revision": 1}  # fmt: skip
    assert sheet["corrections"] == [
        {"criterion": "innovation", "score": 5, "revision": 1, "reason": "misread the proposal"}
    ]
    assert _events(world, "score.correct")[-1]["payload"]["old"] == 4


def test_only_assigned_declared_members_score(world, scoring_open):
    with pytest.raises(NotAllowed) as outsider:
        run(world.url, f.STEERING, score_sheets.score, scoring_open, _scores({"innovation": "4"}))
    with pytest.raises(NotAllowed) as not_assigned:
        run(
            world.url,
            f.SAXION_MEMBER,
            score_sheets.score,
            scoring_open,
            _scores({"innovation": "4"}),
        )
    with pytest.raises(NotAllowed) as undeclared:
        run(world.url, f.MEMBER, score_sheets.score, scoring_open, _scores({"innovation": "4"}))

    assert str(outsider.value).startswith(f"{f.STEERING} (steering_member) may not score.draft")
    assert str(not_assigned.value) == (
        f"{f.SAXION_MEMBER} is not assigned to application {scoring_open}"
    )
    assert hints.line(undeclared.value) == (
        f"declare your interests first: `kracht committee declare {scoring_open} --none` or "
        "`--conflict TEXT`"
    )


def test_scoring_cannot_open_without_enough_members_or_with_a_past_deadline(world):
    app_id = make_application(world, stage="assessment_committee")
    run(world.url, f.LEADER, engine.record, app_id, "assessment_committee",
                  {"scoring_deadline": "2018-10-31"})  # fmt: skip
    run(world.url, f.LEADER, assignment.assign, app_id, f.CHAIR)

    with pytest.raises(GuardFailed) as error:
        world.fire(app_id, "open_scoring")

    assert hints.need_lines(error.value) == [
        "a scoring deadline that has not passed (2018-10-31 has; a past round is recorded with "
        "the day scoring opened, scoring_opened_on)",
        "3 committee members without a conflict of interest (1 assigned; "
        "`kracht committee assign`)",
    ]


def test_the_round_ranking_and_score_matrix_export(world):
    first = make_application(world, stage="kracht_scoring", round_label="2018-1")
    second = make_application(world, stage="kracht_scoring", title="Mineral Valley Twente",
                              applicant=f.OTHER_APPLICANT, round_label="2018-1")  # fmt: skip
    for app_id, value in ((first, 3), (second, 5)):
        for member in COMMITTEE:
            score_sheet(world, app_id, member, value=value)

    ranking = run(world.url, f.LEADER, score_sheets.ranking, "2018-1")
    lines = list(run(world.url, f.AUDITOR, score_sheets.export_matrix, "2018-1"))

    assert [(r["id"], r["weighted_total"]) for r in ranking] == [(second, 5.0), (first, 3.0)]
    assert len(lines) == 1 + 2 * 3 * 6
    assert lines[0].startswith("application_id,title,scoring_round,criteria_version,member")
    assert lines[0].endswith(",submitted_at,status")


# -- blind scoring everywhere scores are read ---------------------------------------------------


def test_a_member_who_also_steers_sees_no_scores_before_submitting_their_own(any_world):
    both = "member.and.steering@example.org"
    run(any_world.url, f.LEADER, directory.add_person, name="Both Roles", email=both,
                         roles=["committee_member", "steering_member"])  # fmt: skip
    app_id = make_application(any_world, stage="kracht_scoring", round_label="2018-1")
    run(any_world.url, f.LEADER, assignment.assign, app_id, both)
    score_sheet(any_world, app_id, f.CHAIR, value=5)
    run(any_world.url, f.MEMBER, assignment.declare, app_id, None)
    run(
        any_world.url, f.MEMBER, score_sheets.score, app_id, _scores({"innovation": "2"})
    )  # a draft
    run(any_world.url, both, assignment.declare, app_id, None)
    run(any_world.url, both, score_sheets.score, app_id, _scores({"innovation": "3"}))

    before = _visible(any_world, app_id, both)
    chair_events = _hidden_score_events(any_world, app_id, both, of=f.CHAIR)
    with pytest.raises(NotAllowed) as ranking:
        run(any_world.url, both, score_sheets.ranking, "2018-1")
    with pytest.raises(NotAllowed) as export:
        _export(any_world, both)
    run(any_world.url, both, score_sheets.score, app_id, _scores(ALL_FOURS))
    run(any_world.url, both, score_sheets.submit, app_id)

    assert (before["visible"], "sheets" in before, "aggregate" in before) == (False, False, False)
    assert chair_events == [HIDDEN, HIDDEN]  # the draft and the submission
    assert str(ranking.value) == str(export.value) == f"{both} {BLIND_ROUND}"
    assert [r["sheets"] for r in run(any_world.url, both, score_sheets.ranking, "2018-1")] == [2]
    rows = _export(any_world, both)
    assert {(r["member"], r["status"]) for r in rows} == {(f.CHAIR, "submitted"),
                                                          (both, "submitted")}  # fmt: skip
    assert len(rows) == 2 * 6


def test_a_steering_member_sees_a_rounds_scores_only_once_its_advice_is_given(any_world):
    app_id = make_application(any_world, stage="kracht_scoring", round_label="2018-1")
    for member in COMMITTEE:
        score_sheet(any_world, app_id, member)
    scoring = _visible(any_world, app_id, f.STEERING)
    any_world.fire(app_id, "defer", f.STEERING, values={"deferred_until": "2019-03-01"},
                   reason="more parties needed")  # fmt: skip

    deferred = _visible(any_world, app_id, f.STEERING)
    member_events = _hidden_score_events(any_world, app_id, f.STEERING, of=f.MEMBER)
    with pytest.raises(NotAllowed) as ranking:
        run(any_world.url, f.STEERING, score_sheets.ranking, "2018-1")
    with pytest.raises(NotAllowed):
        _export(any_world, f.STEERING)
    any_world.fire(app_id, "resume")
    run(any_world.url, f.CHAIR, score_sheets.advise, app_id, "positive", "innovative")
    advised = _visible(any_world, app_id, f.STEERING)
    advised_ranking = run(any_world.url, f.STEERING, score_sheets.ranking, "2018-1")
    advised_events = _hidden_score_events(any_world, app_id, f.STEERING, of=f.MEMBER)
    any_world.fire(app_id, "return_for_rework", f.STEERING, reason="sharpen the business case")
    prepare(any_world, app_id, "innovation_table")
    any_world.fire(app_id, "start_ecosystem_analysis", f.TABLE_CHAIR)
    prepare(any_world, app_id, "assessment_committee")
    any_world.fire(app_id, "open_scoring")

    assert (scoring["visible"], deferred["visible"], "sheets" in deferred) == (False, False, False)
    assert member_events == [HIDDEN, HIDDEN]
    assert str(ranking.value) == f"{f.STEERING} {BLIND_ROUND}"
    assert advised["visible"] is True
    assert [s["member"] for s in advised["sheets"]] == [f.CHAIR, f.MEMBER, f.MEMBER2]
    assert [(r["id"], r["weighted_total"]) for r in advised_ranking] == [(app_id, 4.0)]
    assert HIDDEN not in advised_events
    rounds = run(any_world.url, f.STEERING, score_sheets.view, app_id)["rounds"]
    assert [r["visible"] for r in rounds] == [True, False]  # the new round has no advice yet


def test_programme_leaders_and_auditors_see_every_sheet_with_its_status(any_world):
    app_id = make_application(any_world, stage="kracht_scoring", round_label="2018-1")
    run(any_world.url, f.LEADER, assignment.assign, app_id, f.SAXION_MEMBER)
    score_sheet(any_world, app_id, f.SAXION_MEMBER, value=1)
    run(any_world.url, f.LEADER, applications.add_partner, app_id, organisation="Saxion",
                             commitment="knowledge")  # fmt: skip
    score_sheet(any_world, app_id, f.CHAIR, value=5)
    run(any_world.url, f.MEMBER, assignment.declare, app_id, None)
    run(any_world.url, f.MEMBER, score_sheets.score, app_id, _scores({"innovation": "2"}))

    rows = _export(any_world, f.AUDITOR)
    seen = _visible(any_world, app_id, f.AUDITOR)
    ranking = run(any_world.url, f.LEADER, score_sheets.ranking, "2018-1")

    assert {(r["member"], r["status"]) for r in rows} == {
        (f.CHAIR, "submitted"), (f.MEMBER, "draft"), (f.SAXION_MEMBER, "recused")
    }  # fmt: skip
    assert len(rows) == 6 + 1 + 6
    assert seen["visible"] is True
    assert [s["member"] for s in seen["sheets"]] == [f.CHAIR]
    assert seen["aggregate"]["sheets"] == 1
    assert [(r["sheets"], r["weighted_total"]) for r in ranking] == [(1, 5.0)]
    assert _hidden_score_events(any_world, app_id, f.AUDITOR, of=f.CHAIR)[0] != HIDDEN


def _shown_as(world, actor, app_id, capsys):
    """`kracht app show ID --json` as `actor`: exit code, the parsed record (or None), stderr."""
    code = main(["--db", world.url, "--as", actor, "app", "show", str(app_id), "--json"])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out else None, err


def test_app_show_json_carries_the_committees_work_for_who_may_see_it(world, tmp_path, capsys):
    app_id = make_application(world, stage="kracht_scoring")
    for member, value in zip(COMMITTEE, (5, 4, 3), strict=True):
        score_sheet(world, app_id, member, value=value)
    run(
        world.url,
        f.CHAIR,
        score_sheets.advise,
        app_id,
        "positive",
        "innovative, several O's cooperate",
    )
    opened_with = run(world.url, f.LEADER, directory.programme_criteria, f.AVT_2018)["version"]
    newer = tmp_path / "newer.toml"
    newer.write_text(DEFAULT_FILE.read_text().replace("weight = 20", "weight = 21", 1))
    run(world.url, f.LEADER, directory.configure_programme, f.AVT_2018, newer)  # after the scoring

    seen = {who: _shown_as(world, who, app_id, capsys) for who in (f.LEADER, f.STEERING)}
    applicant_code, applicant, _ = _shown_as(world, f.APPLICANT, app_id, capsys)
    outsider_code, outsider, refusal = _shown_as(world, f.OUTSIDER, app_id, capsys)

    for who, (code, record, _) in seen.items():
        part = record["committee"]
        (scored,) = part["rounds"]
        assert code == 0, who
        assert [(m["member"], m["declaration"], m["recused"]) for m in part["members"]] == [
            (member, "none", False) for member in COMMITTEE
        ]
        assert scored["criteria_version"] == opened_with  # the sheets were scored against it
        keys = [c["key"] for c in scored["criteria"]]
        assert scored["visible"] is True
        assert scored["submitted"] == sorted(COMMITTEE)
        assert [s["member"] for s in scored["sheets"]] == list(COMMITTEE)
        for sheet, value in zip(scored["sheets"], (5, 4, 3), strict=True):
            assert sheet["submitted_at"] is not None
            assert sorted(sheet["scores"]) == sorted(keys)  # every criterion of that version
            assert {s["score"] for s in sheet["scores"].values()} == {value}
        aggregate = scored["aggregate"]
        assert (aggregate["sheets"], aggregate["weighted_total"]) == (3, 4.0)
        assert {c["key"]: c["mean"] for c in aggregate["criteria"]} == dict.fromkeys(keys, 4.0)
        assert record["stage_data"]["kracht_scoring"] == {
            "advice": "positive", "advice_rationale": "innovative, several O's cooperate"
        }  # fmt: skip
    assert (
        opened_with != run(world.url, f.LEADER, directory.programme_criteria, f.AVT_2018)["version"]
    )
    assert applicant_code == 0
    # an applicant learns neither who assesses them nor how far they are (not even the names)
    assert applicant["committee"] == {"application_id": app_id, "members": [], "rounds": []}
    assert not any(member in json.dumps(applicant) for member in COMMITTEE)
    assert (outsider_code, outsider) == (4, None)
    assert refusal == (
        f"kracht: {f.OUTSIDER} may not see application {app_id}: it is another organisation's "
        "application\n"
    )


def test_the_applicant_reads_the_joint_advice_only_with_the_decision_on_it(world):
    app_id = make_application(world, stage="steering_decision")  # advised, not yet decided

    def advice_seen_by(person):
        shown = run(world.url, person, applications.show, app_id)["stage_data"].get(
            "kracht_scoring"
        )
        events = run(world.url, person, applications.history, app_id)
        advised = next(e for e in events if e["trigger"] == "submit_advice")
        return shown, advised["payload"].get("values")

    assert advice_seen_by(f.APPLICANT) == (None, None)
    assert advice_seen_by(f.STEERING) == (ADVICE, ADVICE)
    assert advice_seen_by(f.AUDITOR) == (ADVICE, ADVICE)
    hidden = next(e for e in run(world.url, f.APPLICANT, applications.history, app_id)
                  if e["trigger"] == "submit_advice")  # fmt: skip
    assert hidden["payload"] == {"hidden": policy.WITHHELD}

    run(world.url, f.STEERING, decisions.decide, app_id, "approve", reason="sound", amount="64389")

    assert advice_seen_by(f.APPLICANT) == (ADVICE, ADVICE)  # part of the decision's motivation


# -- the joint advice comes from a chair without a conflict ------------------------------------


def test_a_chair_with_a_conflict_of_interest_cannot_record_the_advice(any_world):
    app_id = make_application(any_world, stage="kracht_scoring")
    run(any_world.url, f.LEADER, assignment.assign, app_id, f.SAXION_MEMBER)
    for member in (f.MEMBER, f.MEMBER2, f.SAXION_MEMBER):
        score_sheet(any_world, app_id, member)
    run(any_world.url, f.CHAIR, assignment.declare, app_id, "chairs the applicant's board")
    before, trail = _record(any_world, app_id, f.CHAIR), _trail(any_world)

    with pytest.raises(NotAllowed) as advised:
        run(any_world.url, f.CHAIR, score_sheets.advise, app_id, "positive", "innovative")
    with pytest.raises(NotAllowed) as fired:
        any_world.fire(app_id, "submit_advice", f.CHAIR, values=ADVICE)

    message = (
        f"{f.CHAIR} is recused from application {app_id}: declared a conflict of interest: "
        "chairs the applicant's board; the joint advice is recorded by a committee chair "
        "assigned to the application without a conflict of interest"
    )
    assert str(advised.value) == str(fired.value) == message
    assert _record(any_world, app_id, f.CHAIR) == before
    record = any_world.show(app_id)
    assert (record["state"], record["stage_data"].get("kracht_scoring")) == ("kracht_scoring", None)
    assert [_refusal(e) for e in _since(any_world, trail)] == [
        (f.CHAIR, "fire", "submit_advice", "refused", message)
    ] * 2


def test_a_chair_not_on_the_applications_committee_cannot_record_the_advice(any_world):
    other_chair = "other.chair@example.org"
    run(any_world.url, f.LEADER, directory.add_person, name="Other Chair", email=other_chair,
                         roles=["committee_chair"])  # fmt: skip
    app_id = make_application(any_world, stage="kracht_scoring")
    for member in COMMITTEE:
        score_sheet(any_world, app_id, member)
    version, trail = any_world.show(app_id)["version"], _trail(any_world)

    with pytest.raises(NotAllowed) as error:
        run(any_world.url, other_chair, score_sheets.advise, app_id, "negative", "not innovative")

    assert str(error.value) == (
        f"{other_chair} is not assigned to application {app_id}: the joint advice is recorded by "
        "a committee chair assigned to the application"
    )
    assert any_world.show(app_id)["version"] == version
    assert [e["outcome"] for e in _since(any_world, trail)] == ["refused"]
    run(any_world.url, f.CHAIR, score_sheets.advise, app_id, "positive", "innovative")
    assert any_world.state(app_id) == "steering_decision"


def test_a_chair_who_has_not_declared_their_interests_cannot_record_the_advice(world):
    app_id = make_application(world, stage="kracht_scoring")
    for member in (f.MEMBER, f.MEMBER2):
        score_sheet(world, app_id, member)
    version = world.show(app_id)["version"]  # the chair, assigned, neither scored nor declared

    with pytest.raises(NotAllowed) as error:
        run(world.url, f.CHAIR, score_sheets.advise, app_id, "positive", "innovative")

    assert hints.line(error.value) == (
        f"{f.CHAIR} has not declared their interests in application {app_id}: "
        f"`kracht committee declare {app_id} --none` comes before the advice"
    )
    assert world.show(app_id)["version"] == version
    score_sheet(world, app_id, f.CHAIR)  # declares none, then scores: the quorum of three
    run(world.url, f.CHAIR, score_sheets.advise, app_id, "positive", "innovative")
    assert world.state(app_id) == "steering_decision"


# -- conflicts that arise after assignment -----------------------------------------------------


def test_a_partner_added_after_assignment_recuses_the_members_who_work_there(any_world):
    app_id = make_application(any_world, stage="kracht_scoring")
    run(any_world.url, f.LEADER, assignment.assign, app_id, f.SAXION_MEMBER)
    for member in (f.SAXION_MEMBER, f.CHAIR, f.MEMBER):
        score_sheet(any_world, app_id, member)
    trail = _trail(any_world)

    result = run(any_world.url, f.LEADER, applications.add_partner, app_id, organisation="Saxion",
                                      commitment="knowledge")  # fmt: skip

    assert result["recused"] == [f.SAXION_MEMBER]
    recusal, added = _since(any_world, trail)
    assert (recusal["actor"], recusal["action"], recusal["reason"]) == (
        f.LEADER, "committee.recuse", "works at Saxion, a partner"
    )  # fmt: skip
    assert recusal["payload"] == {"member": f.SAXION_MEMBER, "how": "automatic"}
    assert (added["action"], added["payload"]["recused"]) == ("partner.add", [f.SAXION_MEMBER])
    view = run(any_world.url, f.LEADER, score_sheets.view, app_id)
    saxion = next(m for m in view["members"] if m["member"] == f.SAXION_MEMBER)
    assert (saxion["recused"], saxion["recusal_reason"]) == (True, "works at Saxion, a partner")
    assert [s["member"] for s in view["rounds"][-1]["sheets"]] == [f.CHAIR, f.MEMBER]
    assert view["rounds"][-1]["aggregate"]["sheets"] == 2
    with pytest.raises(GuardFailed) as quorum:
        run(any_world.url, f.CHAIR, score_sheets.advise, app_id, "positive", "innovative")
    assert quorum.value.missing == ["submitted score sheets from 3 members (2 so far)"]


def test_a_member_found_linked_when_scoring_is_recused_for_good_then_refused(any_world):
    app_id = make_application(any_world, stage="kracht_scoring")
    run(any_world.url, f.MEMBER, assignment.declare, app_id, None)
    with session(any_world.url, write=True) as db:  # the member has since joined the applicant
        member = repository.person_by_email(db, f.MEMBER)
        member.organisation_id = repository.org_by_name(db, f.TALENTIT).id
    trail = _trail(any_world)

    with pytest.raises(NotAllowed) as error:
        run(any_world.url, f.MEMBER, score_sheets.score, app_id, _scores({"innovation": "4"}))

    reason = f"works at {f.TALENTIT}, the applicant"
    assert str(error.value) == f"{f.MEMBER} is recused from application {app_id}: {reason}"
    recusal, refusal = _since(any_world, trail)
    assert (recusal["action"], recusal["outcome"], recusal["reason"]) == (
        "committee.recuse", "ok", reason
    )  # fmt: skip
    assert recusal["payload"] == {"member": f.MEMBER, "how": "automatic"}
    assert _refusal(refusal)[1:] == ("score.draft", None, "refused", str(error.value))
    view = run(any_world.url, f.LEADER, score_sheets.view, app_id)
    record = next(m for m in view["members"] if m["member"] == f.MEMBER)
    assert (record["recused"], record["recusal_reason"]) == (True, reason)
    assert view["rounds"][-1]["submitted"] == []
    assert "own_sheet" not in run(any_world.url, f.MEMBER, score_sheets.view, app_id)["rounds"][-1]


# -- assigning several members -----------------------------------------------------------------


def test_assigning_several_members_is_all_or_nothing(any_world):
    app_id = make_application(any_world, stage="assessment_committee")
    run(any_world.url, f.LEADER, applications.add_partner, app_id, organisation="Saxion",
                             commitment="knowledge")  # fmt: skip
    before, trail = _record(any_world, app_id, f.LEADER), _trail(any_world)

    with pytest.raises(NotFound) as typo:
        run(any_world.url, f.LEADER, assignment.assign_all, app_id,
                             [f.CHAIR, f.SAXION_MEMBER, "comittee.member@example.org"])  # fmt: skip
    refused = _record(any_world, app_id, f.LEADER), _since(any_world, trail)
    result = run(any_world.url, f.LEADER, assignment.assign_all, app_id,
                                  [f.CHAIR, f.SAXION_MEMBER, f.MEMBER])  # fmt: skip

    assert hints.line(typo.value) == (
        "no person 'comittee.member@example.org'; add them with `kracht people add`; "
        "nobody was assigned"
    )
    assert refused == (before, [])
    assert [(r["member"], r.get("recused")) for r in result] == [
        (f.CHAIR, None), (f.SAXION_MEMBER, "works at Saxion, a partner"), (f.MEMBER, None)
    ]  # fmt: skip
    events = _since(any_world, trail)
    assert [(e["action"], e["payload"]["member"]) for e in events] == [
        ("committee.assign", f.CHAIR),
        ("committee.recuse", f.SAXION_MEMBER),
        ("committee.assign", f.SAXION_MEMBER),
        ("committee.assign", f.MEMBER),
    ]
    assert any_world.show(app_id)["version"] == before["version"] + 1  # one transaction
