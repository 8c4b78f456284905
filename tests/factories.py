"""Small factories that drive the real engine, so stage data is always what the guards accept."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from kracht.storage import clock
from kracht.workflow import engine
from kracht.workflow.services import applications, assignment, budgets, directory, score_sheets

LEADER = "aleid.diepeveen@example.org"
TABLE_CHAIR = "table.chair@example.org"
CHAIR = "committee.chair@example.org"
MEMBER = "committee.member@example.org"
MEMBER2 = "second.member@example.org"
SAXION_MEMBER = "saxion.member@example.org"  # works at a partner of some applications
STEERING = "steering.member@example.org"
AUDITOR = "auditor@example.org"
APPLICANT = "applicant@talentit.example.org"
OUTSIDER = "applicant@elsewhere.example.org"

TALENTIT = "Stichting TalentIT Twente"
BUSINESS = "Port of Twente"
OTHER_APPLICANT = "Mineral Valley Twente"

AVT_2018, AVT_2023 = "avt-2018", "avt-2023"
T = TypeVar("T")
THIS_YEAR = clock.today().year  # the programme year, as decisions default to
POOL = "2000000"  # each programme's project budget for this year, shared by its lines

# The main road up to each stage, with the data each step needs (2018 programme).
ROAD_2018 = (
    "idea",
    "innovation_table",
    "assessment_committee",
    "kracht_scoring",
    "steering_decision",
)


def run(url: str, actor: str | None, service: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """One service in one unit of work, as the CLI runs it (with the settings in force);
    `dry_run=True` runs it and rolls back."""
    from kracht.notifications.settings import load
    from kracht.workflow.unit import Units

    units = Units(url, load())
    if kwargs.pop("dry_run", False):
        return units.try_out(actor, service, *args, **kwargs)
    return units.run(actor, service, *args, **kwargs)


@dataclass(frozen=True)
class World:
    url: str

    def fire(self, app_id: int, trigger: str, actor: str = LEADER, **kw: Any) -> dict[str, Any]:
        return run(self.url, actor, engine.fire, app_id, trigger, **kw)

    def show(self, app_id: int, actor: str = LEADER) -> dict[str, Any]:
        return run(self.url, actor, applications.show, app_id)

    def state(self, app_id: int) -> str:
        return self.show(app_id)["state"]


def seed(url: str) -> World:
    run(
        url,
        None,
        directory.add_person,
        name="Aleid Diepeveen",
        email=LEADER,
        roles=["programme_leader"],
    )
    for name, o_type in (
        (TALENTIT, "education"),
        (BUSINESS, "business"),
        (OTHER_APPLICANT, "business"),
        ("Saxion", "education"),
    ):
        run(url, LEADER, directory.add_org, name=name, o_type=o_type)
    people = (
        ("Table Chair", TABLE_CHAIR, ["innovation_table_chair"], None),
        ("Committee Chair", CHAIR, ["committee_chair", "committee_member"], None),
        ("Committee Member", MEMBER, ["committee_member"], None),
        ("Second Member", MEMBER2, ["committee_member"], None),
        ("Saxion Member", SAXION_MEMBER, ["committee_member"], "Saxion"),
        ("Steering Member", STEERING, ["steering_member"], None),
        ("Audrey Auditor", AUDITOR, ["auditor"], None),
        ("Jeroen van de Lagemaat", APPLICANT, ["applicant"], TALENTIT),
        ("Other Applicant", OUTSIDER, ["applicant"], OTHER_APPLICANT),
    )
    for name, email, roles, org in people:
        run(
            url, LEADER, directory.add_person, name=name, email=email, roles=roles, organisation=org
        )
    run(
        url,
        LEADER,
        directory.add_programme,
        code=AVT_2018,
        name="Agenda voor Twente 2018-2022",
        lines=[("talent", "Arbeidsmarkt & talent"), ("circular", "Circulaire economie")],
        not_applicable={"ecosystem_analysis": "no ecosystem analysis in the 2018-2022 process"},
    )
    run(
        url,
        LEADER,
        directory.add_programme,
        code=AVT_2023,
        name="Agenda voor Twente 2023-2027",
        lines=[("talent", "Talent")],
        not_applicable={"innovation_table": "no innovation tables from 2023 on"},
    )
    for code in (AVT_2018, AVT_2023):
        run(url, LEADER, budgets.set_budget, programme=code, year=THIS_YEAR, amount=POOL)
    return World(url)


def complete_proposal(
    world: World, app_id: int, actor: str = LEADER, budget_total: str = "5000000"
) -> None:
    proposal = {"proposal_summary": "Students meet IT firms", "budget_total": budget_total}
    run(world.url, actor, engine.record, app_id, "proposal", proposal)
    run(
        world.url,
        actor,
        applications.add_partner,
        app_id,
        organisation=BUSINESS,
        co_financing=True,
        commitment="money",
        amount="10000",
    )
    run(
        world.url,
        actor,
        applications.add_indicator,
        app_id,
        name="students meeting firms",
        measured_in="students",
        baseline="0",
        target="150",
        target_date="2020-12-31",
    )


DEADLINE = (clock.today() + dt.timedelta(days=30)).isoformat()
COMMITTEE = (CHAIR, MEMBER, MEMBER2)
ADVICE = {"advice": "positive", "advice_rationale": "innovative, several O's cooperate"}


def score_sheet(world: World, app_id: int, member: str, value: int = 4) -> None:
    """A member declares no conflict (once), scores every default criterion and submits."""
    from kracht.workflow.config import default_document, scoring

    record = next(m for m in world_committee(world, app_id)["members"] if m["member"] == member)
    if record["declaration"] is None:
        run(world.url, member, assignment.declare, app_id, None)
    criteria = scoring(default_document()).criteria
    run(
        world.url,
        member,
        score_sheets.score,
        app_id,
        {c.key: (str(value), f"{c.name}: convincing") for c in criteria},
    )
    run(world.url, member, score_sheets.submit, app_id)


def world_committee(world: World, app_id: int) -> dict[str, Any]:
    return run(world.url, LEADER, score_sheets.view, app_id)


def prepare(world: World, app_id: int, state: str) -> None:
    """Record what `state` needs before the main road may leave it."""
    url = world.url
    if state == "idea":
        run(url, LEADER, engine.record, app_id, "idea", {"quickscan": "promising"})
    elif state == "innovation_table":
        table = {"table_date": "2018-09-17", "table_outcome": "aligned"}
        run(url, LEADER, engine.record, app_id, "innovation_table", table)
    elif state == "ecosystem_analysis":
        run(
            url,
            LEADER,
            engine.record,
            app_id,
            "ecosystem_analysis",
            {"ecosystem_summary": "strong"},
        )
    elif state == "assessment_committee":
        run(
            url,
            LEADER,
            engine.record,
            app_id,
            "assessment_committee",
            {"scoring_deadline": DEADLINE},
        )
        assigned = {m["member"] for m in world_committee(world, app_id)["members"]}
        for member in COMMITTEE:
            if member not in assigned:
                run(url, LEADER, assignment.assign, app_id, member)
    elif state == "kracht_scoring":
        for member in COMMITTEE:
            score_sheet(world, app_id, member)


PREPARED = (
    "idea",
    "innovation_table",
    "ecosystem_analysis",
    "assessment_committee",
    "kracht_scoring",
)
FIRED_BY = {"kracht_scoring": CHAIR}
FIRED_WITH = {"kracht_scoring": ADVICE}

# Decided states: the steering decision (and follow-up) that reaches each from steering_decision.
DECISIONS: dict[str, list[tuple[str, str, dict[str, str], str | None]]] = {
    "monitoring": [(STEERING, "approve", {"granted": "64389"}, "innovative")],
    "approved_with_conditions": [
        (
            STEERING,
            "approve_with_conditions",
            {
                "granted": "60000",
                "conditions": f"{DEADLINE}|{LEADER}|serve the whole region",
                "departure_rationale": "the committee's positive advice, but only for the region",
            },
            "promising, with conditions",
        )
    ],
    "rejected": [
        (
            STEERING,
            "reject",
            {"departure_rationale": "business role not credible"},
            "too little business involvement",
        )
    ],
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
    round_label: str | None = None,
    budget_total: str = "5000000",
    description: str | None = None,
) -> int:
    """Create an application and drive it with the real engine to `stage`."""
    url = world.url
    created = run(
        url,
        LEADER,
        applications.create,
        title=title,
        programme=programme,
        applicant=applicant,
        requested=requested,
        line="talent",
        round=round_label,
        **({} if description is None else {"description": description}),
    )
    app_id = created["id"]
    complete_proposal(world, app_id, budget_total=budget_total)
    target = "steering_decision" if stage in DECISIONS else stage
    while (current := world.state(app_id)) != target:
        if current not in PREPARED:
            raise AssertionError(f"cannot drive an application from {current} to {stage}")
        prepare(world, app_id, current)
        forward = [o["trigger"] for o in world.show(app_id)["next"] if o["forward"]]
        run(
            url,
            FIRED_BY.get(current, LEADER),
            engine.fire,
            app_id,
            forward[0],
            values=FIRED_WITH.get(current),
        )
    for actor, trigger, data, reason in DECISIONS.get(stage, []):
        if trigger == "close":
            measure_indicators(world, app_id)
        run(url, actor, engine.fire, app_id, trigger, values=data, reason=reason)
    return app_id


def measure_indicators(world: World, app_id: int, value: str = "10") -> None:
    """A measured value for every indicator of a project in monitoring, as close-out needs."""
    from kracht.workflow.services import progress_reports

    for indicator in world.show(app_id)["indicators"]:
        run(world.url, LEADER, progress_reports.record_value, app_id, indicator["name"], value)
