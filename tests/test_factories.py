import pytest

from tests.factories import AVT_2023, make_application

STAGES = [
    "idea",
    "innovation_table",
    "assessment_committee",
    "kracht_scoring",
    "steering_decision",
    "monitoring",
    "approved_with_conditions",
    "rejected",
    "deferred",
    "closed",
]


@pytest.mark.parametrize("stage", STAGES)
def test_factory_reaches_every_stage_2018(world, stage):
    app_id = make_application(world, stage=stage)

    assert world.state(app_id) == stage


def test_factory_reaches_ecosystem_analysis_2023(world):
    app_id = make_application(world, stage="ecosystem_analysis", programme=AVT_2023)

    assert world.state(app_id) == "ecosystem_analysis"
