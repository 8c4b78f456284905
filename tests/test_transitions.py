"""Every row of the declaration, fired by a role it names, lands where it says.

Parametrized over the declaration itself: adding a row adds its test.
"""

import pytest

from kracht.workflow import machine
from kracht.workflow.definition import TRANSITIONS
from kracht.workflow.services import approval_conditions, directory
from tests import factories as f
from tests.factories import ADVICE, PREPARED, make_application, prepare, run

EMAIL = {
    "programme_leader": f.LEADER,
    "innovation_table_chair": f.TABLE_CHAIR,
    "committee_chair": f.CHAIR,
    "steering_member": f.STEERING,
    "applicant": f.APPLICANT,
}
VALUES = {
    "approve": {"granted": "64389"},
    "approve_with_conditions": {
        "granted": "64389",
        "departure_rationale": "regional reach",
        "conditions": f"{f.DEADLINE}|{f.LEADER}|serve the whole region",
    },
    "reject": {"departure_rationale": "business role not credible"},
    "defer": {"deferred_until": "2019-03-01"},
    "close": {"final_report": "targets met"},
    "submit_advice": ADVICE,
}
# In the 2018 programme the ecosystem analysis does not apply: the application passes on.
PASSES_ON = {"start_ecosystem_analysis": "assessment_committee"}
NEITHER = "rolling"  # a programme where neither optional stage applies
REWORK_PROGRAMME = {
    "ecosystem_analysis": f.AVT_2023,
    "innovation_table": f.AVT_2018,
    "idea": NEITHER,
}


def _arrive(world, row):
    """An application sitting in the row's first source, routed so that this row applies."""
    if row.trigger == "resume":
        app_id = make_application(world, stage=row.dest)
        world.fire(app_id, "defer", f.STEERING, values=VALUES["defer"], reason="later")
        return app_id
    if row.trigger == "return_for_rework":
        return make_application(world, stage=row.sources[0], programme=REWORK_PROGRAMME[row.dest])
    source = row.sources[0]
    programme = f.AVT_2023 if source == "ecosystem_analysis" else f.AVT_2018
    return make_application(world, stage=source, programme=programme)


@pytest.mark.parametrize("row", TRANSITIONS, ids=lambda r: f"{r.trigger}-to-{r.dest}")
def test_every_row_moves_an_application_to_its_destination(world, row):
    skip = {"innovation_table": "none", "ecosystem_analysis": "none"}
    run(
        world.url,
        f.LEADER,
        directory.add_programme,
        code=NEITHER,
        name="Rolling intake",
        lines=[("talent", "Talent")],
        not_applicable=skip,
    )
    app_id = _arrive(world, row)
    state = world.state(app_id)
    if state in PREPARED:
        prepare(world, app_id, state)
    if state == "approved_with_conditions":
        run(
            world.url, f.LEADER, approval_conditions.meet_condition, app_id, 1, "2019 plan received"
        )
    if row.trigger == "close":
        f.measure_indicators(world, app_id)
    actor = EMAIL[str(row.roles[0])]

    world.fire(app_id, row.trigger, actor, values=VALUES.get(row.trigger), reason="because")

    assert world.state(app_id) == PASSES_ON.get(row.trigger, row.dest)
    assert machine.shared().models == []
