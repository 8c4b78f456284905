"""The assessment committee: interests declared, scoring blind, quorum kept, advice joint."""

import datetime as dt

import pytest
import time_machine

from storage import audit
from storage.database import session
from tests import factories as f
from tests.factories import ADVICE, COMMITTEE, make_application, prepare, score_sheet
from workflow import applications, committee, directory, engine
from workflow.errors import GuardFailed, InvalidInput, NotAllowed

ALL_FOURS = {"innovation": "4", "cooperation": "4", "business_commitment": "4",
             "economic_impact": "4", "regional_support": "4", "future_proof": "4"}  # fmt: skip


def _scores(values: dict[str, str]) -> dict[str, tuple[str, str]]:
    return {key: (value, f"{key} judged") for key, value in values.items()}


def _events(world, action):
    with session(world.url) as db:
        return [e for e in audit.history(db) if e["action"] == action]


@pytest.fixture
def scoring_open(world):
    """TalentIT in KRACHT scoring, with three members assigned and a deadline in 30 days."""
    return make_application(world, stage="kracht_scoring")


def test_a_member_cannot_read_other_scores_before_submitting(world, scoring_open):
    score_sheet(world, scoring_open, f.CHAIR, value=5)
    committee.declare(world.url, f.MEMBER, scoring_open, None)
    committee.score(world.url, f.MEMBER, scoring_open, _scores({"innovation": "3"}))

    before = committee.view(world.url, f.MEMBER, scoring_open)["rounds"][-1]
    history = applications.history(world.url, f.MEMBER, scoring_open)
    committee.score(world.url, f.MEMBER, scoring_open, _scores(ALL_FOURS))
    committee.submit(world.url, f.MEMBER, scoring_open)
    after = committee.view(world.url, f.MEMBER, scoring_open)["rounds"][-1]

    assert before["visible"] is False
    assert "sheets" not in before
    assert "aggregate" not in before
    assert before["own_sheet"]["scores"]["innovation"]["score"] == 3
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
    applications.add_partner(world.url, f.LEADER, app_id, organisation="Saxion",
                             commitment="knowledge")  # fmt: skip

    result = committee.assign(world.url, f.LEADER, app_id, f.SAXION_MEMBER)

    assert result["recused"] == "works at Saxion, a partner"
    recusal = _events(world, "committee.recuse")[-1]
    assert (recusal["application_id"], recusal["reason"]) == (app_id, "works at Saxion, a partner")
    assert recusal["payload"] == {"member": f.SAXION_MEMBER, "how": "automatic"}


def test_a_declared_conflict_recuses_the_member_who_then_cannot_score(world, scoring_open):
    committee.declare(world.url, f.MEMBER2, scoring_open, "my brother runs the applicant")

    with pytest.raises(NotAllowed) as error:
        committee.score(world.url, f.MEMBER2, scoring_open, _scores({"innovation": "4"}))

    assert str(error.value) == (
        f"{f.MEMBER2} is recused from application {scoring_open}: declared a conflict of "
        "interest: my brother runs the applicant"
    )
    assert _events(world, "committee.recuse")[-1]["payload"] == {
        "member": f.MEMBER2, "how": "declared"
    }  # fmt: skip


def test_recused_members_do_not_count_toward_the_quorum(world, scoring_open):
    committee.declare(world.url, f.MEMBER2, scoring_open, "conflict")
    score_sheet(world, scoring_open, f.CHAIR)
    score_sheet(world, scoring_open, f.MEMBER)

    with pytest.raises(GuardFailed) as error:
        committee.advise(world.url, f.CHAIR, scoring_open, "positive", "fine")

    assert error.value.missing == ["submitted score sheets from 3 members (2 so far)"]
    committee.assign(world.url, f.LEADER, scoring_open, f.SAXION_MEMBER)
    score_sheet(world, scoring_open, f.SAXION_MEMBER)
    committee.advise(world.url, f.CHAIR, scoring_open, "positive", "fine")
    assert world.state(scoring_open) == "steering_decision"


def test_the_advice_waits_for_the_quorum_and_goes_with_the_application(world, scoring_open):
    for member in COMMITTEE[:2]:
        score_sheet(world, scoring_open, member)
    with pytest.raises(GuardFailed):
        committee.advise(world.url, f.CHAIR, scoring_open, "positive", "innovative")
    score_sheet(world, scoring_open, COMMITTEE[2])

    committee.advise(world.url, f.CHAIR, scoring_open, "positive_with_conditions", "regional")

    record = applications.show(world.url, f.STEERING, scoring_open)
    assert record["state"] == "steering_decision"
    assert record["stage_data"]["kracht_scoring"] == {
        "advice": "positive_with_conditions", "advice_rationale": "regional"
    }  # fmt: skip
    last_round = record["committee"]["rounds"][-1]
    assert last_round["visible"] is True
    assert last_round["aggregate"]["weighted_total"] == 4.0


def test_the_advice_can_only_be_recorded_with_its_trigger(world, scoring_open):
    with pytest.raises(NotAllowed) as error:
        engine.record(world.url, f.CHAIR, scoring_open, "kracht_scoring", ADVICE)

    assert str(error.value).startswith("kracht_scoring data is recorded only with the trigger "
                                       "submit_advice")  # fmt: skip


def test_weighted_total_knock_outs_and_disagreement_follow_the_configuration(world, scoring_open):
    rows = [
        {**ALL_FOURS, "innovation": "5", "business_commitment": "1"},
        {**ALL_FOURS, "innovation": "5", "business_commitment": "2"},
        {**ALL_FOURS, "innovation": "2", "business_commitment": "1"},
    ]
    for member, row in zip(COMMITTEE, rows, strict=True):
        committee.declare(world.url, member, scoring_open, None)
        committee.score(world.url, member, scoring_open, _scores(row))
        committee.submit(world.url, member, scoring_open)

    result = committee.view(world.url, f.LEADER, scoring_open)["rounds"][-1]["aggregate"]

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
    first = committee.view(world.url, f.LEADER, scoring_open)["rounds"][-1]
    config = tmp_path / "weights.toml"
    config.write_text(
        "[committee]\nminimum_members = 3\nquorum = 3\n[scale]\nmin = 1\nmax = 10\n"
        '[[criteria]]\nkey = "impact"\nname = "Impact"\nquestion = "Impact?"\nweight = 1\n'
    )

    directory.configure_programme(world.url, f.LEADER, f.AVT_2018, config)
    world.fire(scoring_open, "return_for_rework", f.CHAIR, reason="sharpen")
    prepare(world, scoring_open, "innovation_table")
    world.fire(scoring_open, "start_ecosystem_analysis", f.TABLE_CHAIR)
    prepare(world, scoring_open, "assessment_committee")
    world.fire(scoring_open, "open_scoring")

    rounds = committee.view(world.url, f.LEADER, scoring_open)["rounds"]
    assert rounds[0] == first
    assert rounds[1]["criteria_version"] != first["criteria_version"]
    assert [c["key"] for c in rounds[1]["criteria"]] == ["impact"]
    with pytest.raises(InvalidInput) as error:
        committee.score(world.url, f.CHAIR, scoring_open, _scores({"innovation": "4"}))
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
    committee.declare(world.url, f.MEMBER, scoring_open, None)
    version = applications.show(world.url, f.LEADER, scoring_open)["version"]

    with pytest.raises(InvalidInput) as error:
        committee.score(world.url, f.MEMBER, scoring_open, values)

    assert str(error.value) == message
    assert applications.show(world.url, f.LEADER, scoring_open)["version"] == version
    assert "own_sheet" not in committee.view(world.url, f.MEMBER, scoring_open)["rounds"][-1]


def test_scoring_after_the_deadline_is_refused(world, scoring_open):
    committee.declare(world.url, f.MEMBER, scoring_open, None)
    late = dt.date.today() + dt.timedelta(days=31)

    with time_machine.travel(dt.datetime.combine(late, dt.time(9)), tick=False):
        with pytest.raises(NotAllowed) as error:
            committee.score(world.url, f.MEMBER, scoring_open, _scores({"innovation": "4"}))

    assert str(error.value) == (
        f"the scoring deadline for application {scoring_open} passed on {f.DEADLINE}"
    )


def test_submitted_scores_are_final_and_corrections_keep_the_old_score(world, scoring_open):
    score_sheet(world, scoring_open, f.MEMBER, value=4)

    with pytest.raises(NotAllowed) as after_submit:
        committee.score(world.url, f.MEMBER, scoring_open, _scores({"innovation": "5"}))
    committee.correct(world.url, f.MEMBER, scoring_open, "innovation", "5", "on reflection",
                      "misread the proposal")  # fmt: skip

    sheet = committee.view(world.url, f.MEMBER, scoring_open)["rounds"][-1]["own_sheet"]
    assert str(after_submit.value) == (
        "your score sheet is submitted and final; use `kracht score correct`"
    )
    assert sheet["scores"]["innovation"] == {"score": 5, "motivation": "on reflection",
                                             "revision": 1}  # fmt: skip
    assert sheet["corrections"] == [
        {"criterion": "innovation", "score": 5, "revision": 1, "reason": "misread the proposal"}
    ]
    assert _events(world, "score.correct")[-1]["payload"]["old"] == 4


def test_only_assigned_declared_members_score(world, scoring_open):
    with pytest.raises(NotAllowed) as outsider:
        committee.score(world.url, f.STEERING, scoring_open, _scores({"innovation": "4"}))
    with pytest.raises(NotAllowed) as not_assigned:
        committee.score(world.url, f.SAXION_MEMBER, scoring_open, _scores({"innovation": "4"}))
    with pytest.raises(NotAllowed) as undeclared:
        committee.score(world.url, f.MEMBER, scoring_open, _scores({"innovation": "4"}))

    assert str(outsider.value).startswith(f"{f.STEERING} (steering_member) may not score.draft")
    assert str(not_assigned.value) == (
        f"{f.SAXION_MEMBER} is not assigned to application {scoring_open}"
    )
    assert str(undeclared.value) == (
        f"declare your interests first: `kracht committee declare {scoring_open} --none` or "
        "`--conflict TEXT`"
    )


def test_scoring_cannot_open_without_enough_members_or_with_a_past_deadline(world):
    app_id = make_application(world, stage="assessment_committee")
    engine.record(world.url, f.LEADER, app_id, "assessment_committee",
                  {"scoring_deadline": "2018-10-31"})  # fmt: skip
    committee.assign(world.url, f.LEADER, app_id, f.CHAIR)

    with pytest.raises(GuardFailed) as error:
        world.fire(app_id, "open_scoring")

    assert error.value.missing == [
        "a scoring deadline that has not passed",
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

    ranking = committee.ranking(world.url, f.LEADER, "2018-1")
    lines = list(committee.export_matrix(world.url, f.AUDITOR, "2018-1"))

    assert [(r["id"], r["weighted_total"]) for r in ranking] == [(second, 5.0), (first, 3.0)]
    assert len(lines) == 1 + 2 * 3 * 6
    assert lines[0].startswith("application_id,title,scoring_round,criteria_version,member")
