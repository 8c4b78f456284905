"""The full proposal: its requested amount can be recorded like any other proposal data."""

import pytest

from kracht.basics.errors import GuardFailed, InvalidInput
from kracht.workflow import engine
from kracht.workflow.services import applications
from tests import factories as f
from tests.factories import make_application, run

NEEDS_REQUEST = "a requested amount above zero (requested)"


def _at_the_table_with_nothing_requested(world) -> int:
    app_id = make_application(world, stage="innovation_table", requested="0")
    f.prepare(world, app_id, "innovation_table")
    return app_id


def test_an_application_created_without_an_amount_gets_it_recorded_and_reaches_the_committee(
    any_world,
):
    world = any_world
    app_id = _at_the_table_with_nothing_requested(world)

    with pytest.raises(GuardFailed) as refused:
        world.fire(app_id, "start_ecosystem_analysis")
    run(world.url, f.APPLICANT, engine.record, app_id, "proposal", {"requested": "64.389,00"})
    world.fire(app_id, "start_ecosystem_analysis")

    assert refused.value.missing == [NEEDS_REQUEST]
    record = world.show(app_id)
    assert (record["state"], record["requested_cents"]) == ("assessment_committee", 6438900)
    assert "requested" not in record["stage_data"].get("proposal", {})  # one place: the record
    recorded = [
        (e["actor"], e["payload"]["values"], e["payload"]["previous_values"])
        for e in run(world.url, f.LEADER, applications.history, app_id)
        if e["action"] == "record" and "requested" in e["payload"]["values"]
    ]
    assert recorded == [(f.APPLICANT, {"requested": 6438900}, {"requested": 0})]


def test_a_requested_amount_given_with_a_trigger_is_what_its_guard_checks(world):
    app_id = _at_the_table_with_nothing_requested(world)

    world.fire(app_id, "start_ecosystem_analysis", values={"requested": "50000"})

    assert (world.state(app_id), world.show(app_id)["requested_cents"]) == (
        "assessment_committee",
        5000000,
    )


def test_a_requested_amount_above_the_project_budget_is_refused_and_not_written(world):
    app_id = _at_the_table_with_nothing_requested(world)  # budget_total is EUR 5,000,000

    with pytest.raises(GuardFailed) as error:
        world.fire(app_id, "start_ecosystem_analysis", values={"requested": "5000000.01"})

    assert error.value.missing == ["a requested amount no higher than the project budget"]
    assert world.show(app_id)["requested_cents"] == 0


def test_the_requested_amount_is_fixed_once_the_steering_committee_has_decided(world):
    app_id = make_application(world, stage="monitoring")

    with pytest.raises(InvalidInput) as error:
        run(world.url, f.LEADER, engine.record, app_id, "proposal", {"requested": "1000000"})

    assert str(error.value) == (
        f"requested of application {app_id} is fixed once the steering committee has decided "
        "(it is monitoring)"
    )
    assert world.show(app_id)["requested_cents"] == 6438900
