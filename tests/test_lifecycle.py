"""One application, TalentIT Twente, walked from idea to every outcome the documents describe."""

import pytest

from kracht.basics.errors import GuardFailed, NotAllowed
from kracht.commands import hints
from kracht.storage import audit
from kracht.storage.database import session
from kracht.workflow import engine
from kracht.workflow.definition import OPEN, TRANSITIONS, WORKFLOW_VERSION
from kracht.workflow.services import applications, approval_conditions
from tests.factories import (
    AVT_2018,
    AVT_2023,
    CHAIR,
    LEADER,
    STEERING,
    TABLE_CHAIR,
    make_application,
    measure_indicators,
    prepare,
    run,
)


def _events(world, app_id):
    with session(world.url) as db:
        return audit.history(db, app_id)


def test_talentit_walks_from_idea_to_closed(world):
    app_id = make_application(world, stage="monitoring")
    measure_indicators(world, app_id, "162")

    world.fire(app_id, "close", values={"final_report": "162 students met more than 50 firms"})

    assert world.state(app_id) == "closed"
    moves = [
        (e["from_state"], e["to_state"])
        for e in _events(world, app_id)
        if e["action"] == "fire" and e["outcome"] == "ok"
    ]
    assert moves == [
        ("idea", "innovation_table"),
        ("innovation_table", "ecosystem_analysis"),
        ("ecosystem_analysis", "assessment_committee"),
        ("assessment_committee", "kracht_scoring"),
        ("kracht_scoring", "steering_decision"),
        ("steering_decision", "monitoring"),
        ("monitoring", "closed"),
    ]


def test_approve_records_the_granted_amount_in_the_same_transaction(world):
    app_id = make_application(world, stage="steering_decision")

    world.fire(app_id, "approve", STEERING, values={"granted": "64389"}, reason="innovative")

    record = world.show(app_id)
    assert record["state"] == "monitoring"
    assert record["stage_data"]["steering_decision"] == {"granted": 6438900}
    event = _events(world, app_id)[-1]
    assert (event["trigger"], event["reason"]) == ("approve", "innovative")
    assert event["payload"]["values"] == {"granted": 6438900}


def test_conditional_approval_reaches_monitoring_once_the_conditions_are_met(world):
    app_id = make_application(world, stage="approved_with_conditions")
    with pytest.raises(GuardFailed) as early:
        world.fire(app_id, "conditions_met")

    run(
        world.url,
        LEADER,
        approval_conditions.meet_condition,
        app_id,
        1,
        "2019 implementation plan received",
    )
    world.fire(app_id, "conditions_met")

    assert hints.need_lines(early.value) == [
        "every condition met (1 still open; `kracht conditions list`)"
    ]
    assert world.state(app_id) == "monitoring"


def test_reject_needs_reasons_and_ends_the_road(world):
    app_id = make_application(world, stage="steering_decision")

    world.fire(
        app_id,
        "reject",
        STEERING,
        reason="no business involvement",
        values={"departure_rationale": "the business role is not credible"},
    )

    assert world.state(app_id) == "rejected"
    assert _events(world, app_id)[-1]["reason"] == "no business involvement"


@pytest.mark.parametrize("stage", ["assessment_committee", "kracht_scoring", "steering_decision"])
def test_deferral_resumes_at_the_stage_it_was_deferred_from(world, stage):
    app_id = make_application(world, stage=stage)
    world.fire(
        app_id,
        "defer",
        STEERING,
        values={"deferred_until": "2019-03-01"},
        reason="more parties needed",
    )
    assert world.state(app_id) == "deferred"

    world.fire(app_id, "resume")

    assert world.state(app_id) == stage


def test_rework_returns_a_2018_application_to_the_innovation_table(world):
    app_id = make_application(world, stage="kracht_scoring")

    world.fire(app_id, "return_for_rework", CHAIR, reason="sharpen the test gardens")

    assert world.state(app_id) == "innovation_table"


def test_rework_returns_a_2023_application_to_the_ecosystem_analysis(world):
    app_id = make_application(world, stage="steering_decision", programme=AVT_2023)

    world.fire(app_id, "return_for_rework", STEERING, reason="analysis too thin")

    assert world.state(app_id) == "ecosystem_analysis"


def test_reworked_application_returns_to_the_committee_with_its_data_kept(world):
    app_id = make_application(world, stage="steering_decision")
    world.fire(app_id, "return_for_rework", STEERING, reason="elaborate")

    world.fire(app_id, "start_ecosystem_analysis", TABLE_CHAIR)

    assert world.state(app_id) == "assessment_committee"


WITHDRAWABLE = next(row.sources for row in TRANSITIONS if row.trigger == "withdraw")


def test_every_open_stage_may_be_withdrawn_from():
    assert set(WITHDRAWABLE) == set(OPEN)
    assert "ecosystem_analysis" in WITHDRAWABLE


@pytest.mark.parametrize("stage", WITHDRAWABLE)
def test_withdraw_is_possible_at_every_open_stage(world, stage):
    # the 2018 programme passes the ecosystem analysis; the 2023 programme has it
    programme = AVT_2023 if stage == "ecosystem_analysis" else AVT_2018
    app_id = make_application(world, stage=stage, programme=programme)
    assert world.state(app_id) == stage

    world.fire(app_id, "withdraw", reason="the applicant stops")

    assert world.state(app_id) == "withdrawn"
    withdrawal = _events(world, app_id)[-1]
    assert (withdrawal["trigger"], withdrawal["from_state"], withdrawal["reason"]) == (
        "withdraw",
        stage,
        "the applicant stops",
    )


def test_2018_application_passes_the_ecosystem_analysis_with_the_reason_audited(world):
    app_id = make_application(world, stage="innovation_table")
    table = {"table_date": "2018-09-17", "table_outcome": "aligned"}
    run(world.url, TABLE_CHAIR, engine.record, app_id, "innovation_table", table)

    world.fire(app_id, "start_ecosystem_analysis", TABLE_CHAIR)

    assert world.state(app_id) == "assessment_committee"
    passing = _events(world, app_id)[-1]
    assert (passing["trigger"], passing["from_state"]) == (
        "refer_to_committee",
        "ecosystem_analysis",
    )
    assert passing["reason"] == (
        "ecosystem_analysis does not apply: no ecosystem analysis in the 2018-2022 process"
    )
    assert passing["payload"]["not_applicable"] == {
        "ecosystem_analysis": "no ecosystem analysis in the 2018-2022 process"
    }
    assert "ecosystem_analysis" not in world.show(app_id)["stage_data"]


def test_2023_application_passes_the_innovation_table_without_invented_table_data(world):
    app_id = make_application(world, stage="idea", programme=AVT_2023)
    run(world.url, LEADER, engine.record, app_id, "idea", {"quickscan": "hydrogen hub"})

    world.fire(app_id, "present_at_table")

    assert world.state(app_id) == "ecosystem_analysis"
    assert "innovation_table" not in world.show(app_id)["stage_data"]
    passing = _events(world, app_id)[-1]
    assert passing["payload"]["not_applicable"] == {
        "innovation_table": "no innovation tables from 2023 on"
    }


def test_every_fire_bumps_the_version_once(world):
    app_id = make_application(world, stage="assessment_committee")
    prepare(world, app_id, "assessment_committee")
    before = world.show(app_id)["version"]

    world.fire(app_id, "open_scoring")

    assert world.show(app_id)["version"] == before + 1


def test_application_under_another_workflow_version_is_refused_until_upgraded(world, monkeypatch):
    app_id = make_application(world, stage="assessment_committee")
    prepare(world, app_id, "assessment_committee")
    monkeypatch.setattr(engine, "WORKFLOW_VERSION", WORKFLOW_VERSION + 1)
    monkeypatch.setattr(applications, "WORKFLOW_VERSION", WORKFLOW_VERSION + 1)

    with pytest.raises(NotAllowed) as refused:
        world.fire(app_id, "open_scoring")
    run(world.url, LEADER, applications.upgrade_workflow, app_id)
    world.fire(app_id, "open_scoring")

    assert hints.line(refused.value) == (
        f"application {app_id} runs under workflow version {WORKFLOW_VERSION}, but this kracht "
        f"declares version {WORKFLOW_VERSION + 1}; move it explicitly with "
        f"`kracht app upgrade-workflow {app_id}`"
    )
    assert world.show(app_id)["workflow_version"] == WORKFLOW_VERSION + 1
    assert world.state(app_id) == "kracht_scoring"


def test_a_refused_move_through_a_stage_that_does_not_apply_names_where_it_goes(world):
    """Issue 16, point 7: in the 2018 programme start_ecosystem_analysis leads to the committee;
    its refusal says so, in the message and in the problem's facts."""
    from kracht.basics.errors import GuardRefused

    app_id = make_application(world, stage="innovation_table")

    with pytest.raises(GuardRefused) as refused:
        world.fire(app_id, "start_ecosystem_analysis", TABLE_CHAIR)

    assert str(refused.value).startswith(
        f"cannot start_ecosystem_analysis application {app_id} (to assessment_committee: "
        "ecosystem_analysis does not apply): needs "
    )
    problem = refused.value.as_problem()
    assert (problem["to"], problem["passing"]) == ("assessment_committee", ["ecosystem_analysis"])


def test_a_refused_move_that_passes_nothing_says_nothing_more(world):
    from kracht.basics.errors import GuardRefused

    plain = make_application(world, stage="idea")  # 2018: the innovation table applies
    passing = make_application(world, stage="idea", programme=AVT_2023)  # 2023: it does not
    with pytest.raises(GuardRefused) as refused:
        world.fire(plain, "present_at_table")
    with pytest.raises(GuardRefused) as passed:
        world.fire(passing, "present_at_table")

    assert str(refused.value).startswith(f"cannot present_at_table application {plain}: needs ")
    assert "passing" not in refused.value.as_problem()
    assert str(passed.value).startswith(
        f"cannot present_at_table application {passing} (to ecosystem_analysis: "
        "innovation_table does not apply): needs "
    )


def test_the_next_steps_show_where_each_really_leads_and_all_it_needs_there(world):
    from kracht.basics.errors import GuardRefused

    app_id = make_application(world, stage="innovation_table")
    (option,) = [
        o for o in world.show(app_id)["next"] if o["trigger"] == "start_ecosystem_analysis"
    ]
    with pytest.raises(GuardRefused) as refused:
        world.fire(app_id, "start_ecosystem_analysis", TABLE_CHAIR)

    assert (option["to"], option["passing"]) == ("assessment_committee", ["ecosystem_analysis"])
    assert option["missing"] == [str(m) for m in refused.value.missing]
