"""Small factories that drive the real engine, so stage data is always what the guards accept."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workflow import applications, directory, engine

LEADER = "aleid.diepeveen@example.org"
TABLE_CHAIR = "table.chair@example.org"
CHAIR = "committee.chair@example.org"
MEMBER = "committee.member@example.org"
STEERING = "steering.member@example.org"
AUDITOR = "auditor@example.org"
APPLICANT = "applicant@talentit.example.org"
OUTSIDER = "applicant@elsewhere.example.org"

TALENTIT = "Stichting TalentIT Twente"
BUSINESS = "Port of Twente"
OTHER_APPLICANT = "Mineral Valley Twente"

AVT_2018, AVT_2023 = "avt-2018", "avt-2023"

# The main road up to each stage, with the data each step needs (2018 programme).
ROAD_2018 = (
    "idea",
    "innovation_table",
    "assessment_committee",
    "kracht_scoring",
    "steering_decision",
)


@dataclass(frozen=True)
class World:
    url: str

    def fire(self, app_id: int, trigger: str, actor: str = LEADER, **kw: Any) -> dict[str, Any]:
        return engine.fire(self.url, actor, app_id, trigger, **kw)

    def show(self, app_id: int, actor: str = LEADER) -> dict[str, Any]:
        return applications.show(self.url, actor, app_id)

    def state(self, app_id: int) -> str:
        return self.show(app_id)["state"]


def seed(url: str) -> World:
    directory.add_person(
        url, None, name="Aleid Diepeveen", email=LEADER, roles=["programme_leader"]
    )
    for name, o_type in (
        (TALENTIT, "education"),
        (BUSINESS, "business"),
        (OTHER_APPLICANT, "business"),
        ("Saxion", "education"),
    ):
        directory.add_org(url, LEADER, name=name, o_type=o_type)
    people = (
        ("Table Chair", TABLE_CHAIR, ["innovation_table_chair"], None),
        ("Committee Chair", CHAIR, ["committee_chair", "committee_member"], None),
        ("Committee Member", MEMBER, ["committee_member"], None),
        ("Steering Member", STEERING, ["steering_member"], None),
        ("Audrey Auditor", AUDITOR, ["auditor"], None),
        ("Jeroen van de Lagemaat", APPLICANT, ["applicant"], TALENTIT),
        ("Other Applicant", OUTSIDER, ["applicant"], OTHER_APPLICANT),
    )
    for name, email, roles, org in people:
        directory.add_person(url, LEADER, name=name, email=email, roles=roles, organisation=org)
    directory.add_programme(
        url,
        LEADER,
        code=AVT_2018,
        name="Agenda voor Twente 2018-2022",
        lines=[("talent", "Arbeidsmarkt & talent"), ("circular", "Circulaire economie")],
        not_applicable={"ecosystem_analysis": "no ecosystem analysis in the 2018-2022 process"},
    )
    directory.add_programme(
        url,
        LEADER,
        code=AVT_2023,
        name="Agenda voor Twente 2023-2027",
        lines=[("talent", "Talent")],
        not_applicable={"innovation_table": "no innovation tables from 2023 on"},
    )
    return World(url)


def complete_proposal(world: World, app_id: int, actor: str = LEADER) -> None:
    proposal = {"proposal_summary": "Students meet IT firms", "budget_total": "150000"}
    engine.record(world.url, actor, app_id, "proposal", proposal)
    applications.add_partner(
        world.url,
        actor,
        app_id,
        organisation=BUSINESS,
        co_financing=True,
        commitment="money",
        amount="10000",
    )
    applications.add_indicator(
        world.url,
        actor,
        app_id,
        name="students meeting firms",
        unit="students",
        baseline="0",
        target="150",
        target_date="2020-12-31",
    )


# What each stage needs recorded before the main road may leave it: (actor, stage, data).
PREPARE: dict[str, tuple[str, str, dict[str, str]]] = {
    "idea": (LEADER, "idea", {"quickscan": "promising"}),
    "innovation_table": (
        LEADER,
        "innovation_table",
        {"table_date": "2018-09-17", "table_outcome": "aligned"},
    ),
    "ecosystem_analysis": (LEADER, "ecosystem_analysis", {"ecosystem_summary": "strong"}),
    "assessment_committee": (LEADER, "assessment_committee", {"scoring_deadline": "2018-10-31"}),
    "kracht_scoring": (
        CHAIR,
        "kracht_scoring",
        {"advice": "positive", "advice_rationale": "innovative, 4 O's"},
    ),
}
FIRED_BY = {"kracht_scoring": CHAIR}

# Decided states: the steering decision (and follow-up) that reaches each from steering_decision.
DECISIONS: dict[str, list[tuple[str, str, dict[str, str], str | None]]] = {
    "monitoring": [(STEERING, "approve", {"granted": "64389"}, "innovative")],
    "approved_with_conditions": [
        (
            STEERING,
            "approve_with_conditions",
            {"granted": "60000", "conditions": "serve the whole region"},
            "promising, with conditions",
        )
    ],
    "rejected": [(STEERING, "reject", {}, "too little business involvement")],
    "deferred": [(STEERING, "defer", {"deferred_until": "2019-03-01"}, "more parties needed")],
    "closed": [
        (STEERING, "approve", {"granted": "64389"}, "innovative"),
        (LEADER, "close", {"final_report": "162 students met 50 firms"}, None),
    ],
}


def make_application(
    world: World,
    stage: str = "idea",
    programme: str = AVT_2018,
    requested: str = "64389",
    title: str = "TalentIT Twente",
    applicant: str = TALENTIT,
) -> int:
    """Create an application and drive it with the real engine to `stage`."""
    url = world.url
    created = applications.create(
        url,
        LEADER,
        title=title,
        programme=programme,
        applicant=applicant,
        requested=requested,
        line="talent",
    )
    app_id = created["id"]
    complete_proposal(world, app_id)
    target = "steering_decision" if stage in DECISIONS else stage
    while (current := world.state(app_id)) != target:
        if current not in PREPARE:
            raise AssertionError(f"cannot drive an application from {current} to {stage}")
        actor, section, data = PREPARE[current]
        engine.record(url, actor, app_id, section, data)
        forward = [o["trigger"] for o in world.show(app_id)["next"] if o["forward"]]
        engine.fire(url, FIRED_BY.get(current, LEADER), app_id, forward[0])
    for actor, trigger, data, reason in DECISIONS.get(stage, []):
        engine.fire(url, actor, app_id, trigger, values=data, reason=reason)
    return app_id
