"""What the process does not allow is refused, named precisely, audited, and leaves no trace."""

import pytest

from kracht.basics import inputs
from kracht.basics.errors import GuardFailed, InvalidInput, NotAllowed, NotFound
from kracht.commands import hints
from kracht.storage import audit, repository
from kracht.storage.database import session
from kracht.workflow import engine
from kracht.workflow.definition import TRIGGERS, rows_for
from kracht.workflow.services import applications
from tests import factories as f
from tests.factories import make_application, run

PEOPLE = {
    f.LEADER: {"programme_leader"},
    f.TABLE_CHAIR: {"innovation_table_chair"},
    f.CHAIR: {"committee_chair", "committee_member"},
    f.MEMBER: {"committee_member"},
    f.STEERING: {"steering_member"},
    f.AUDITOR: {"auditor"},
    f.OUTSIDER: {"applicant"},  # an applicant of another organisation
}
# Where each trigger can be fired from (a stage make_application reaches).
SOURCE = {
    "resume": "deferred",
    "conditions_met": "approved_with_conditions",
    "close": "monitoring",
    "defer": "steering_decision",
    "return_for_rework": "steering_decision",
    "withdraw": "idea",
    "approve": "steering_decision",
    "reject": "steering_decision",
    "approve_with_conditions": "steering_decision",
}


def _last_event(world):
    with session(world.url) as db:
        return audit.history(db)[-1]


def _source(trigger):
    return SOURCE.get(trigger) or next(r for r in rows_for_any(trigger)).sources[0]


def rows_for_any(trigger):
    from kracht.workflow.definition import TRANSITIONS

    return [r for r in TRANSITIONS if r.trigger == trigger]


@pytest.mark.parametrize("trigger", TRIGGERS)
def test_every_trigger_refuses_every_role_it_does_not_name(world, trigger):
    programme = f.AVT_2023 if _source(trigger) == "ecosystem_analysis" else f.AVT_2018
    app_id = make_application(world, stage=_source(trigger), programme=programme)
    allowed = {str(r) for r in rows_for(trigger, world.state(app_id))[0].roles}
    refused = [email for email, roles in PEOPLE.items() if not roles & allowed]
    refused += [f.OUTSIDER] if "applicant" in allowed else []

    for email in refused:
        with pytest.raises(NotAllowed) as error:
            world.fire(app_id, trigger, email, reason="trying")
        assert email in str(error.value)
        event = _last_event(world)
        assert (event["actor"], event["outcome"], event["trigger"]) == (email, "refused", trigger)
    assert world.state(app_id) == _source(trigger)


def test_wrong_role_message_names_the_roles_needed(world):
    app_id = make_application(world, stage="steering_decision")

    with pytest.raises(NotAllowed) as error:
        world.fire(app_id, "approve", f.AUDITOR, values={"granted": "1"}, reason="x")

    assert str(error.value) == (
        f"{f.AUDITOR} (auditor) may not approve application {app_id}: needs the role "
        "steering_member"
    )


def test_guard_refusal_names_every_missing_requirement_and_is_audited(world):
    app_id = run(
        world.url,
        f.LEADER,
        applications.create,
        title="Mineral Valley Twente",
        programme=f.AVT_2023,
        applicant=f.OTHER_APPLICANT,
        requested="500000",
        line="talent",
    )["id"]
    run(world.url, f.LEADER, engine.record, app_id, "idea", {"quickscan": "test gardens"})
    world.fire(app_id, "present_at_table")

    with pytest.raises(GuardFailed) as error:
        world.fire(app_id, "refer_to_committee")

    assert str(error.value) == (
        f"cannot refer_to_committee application {app_id}: needs an ecosystem-analysis summary; "
        "a full proposal (proposal_summary); a project budget (budget_total); at least one "
        "co-financing business committing money, knowledge or time; SMART indicators (unit, "
        "baseline, target and target date)"
    )
    event = _last_event(world)
    assert event["outcome"] == "refused"
    assert event["payload"]["missing"] == error.value.missing


def test_co_financing_partner_must_be_a_business(world):
    app_id = run(
        world.url,
        f.LEADER,
        applications.create,
        title="Onderwijs alleen",
        programme=f.AVT_2023,
        applicant=f.TALENTIT,
        requested="1000",
        line="talent",
    )["id"]
    run(world.url, f.LEADER, engine.record, app_id, "idea", {"quickscan": "x"})
    world.fire(app_id, "present_at_table")
    run(
        world.url, f.LEADER, engine.record, app_id, "ecosystem_analysis", {"ecosystem_summary": "x"}
    )
    run(
        world.url,
        f.LEADER,
        engine.record,
        app_id,
        "proposal",
        {"proposal_summary": "x", "budget_total": "5000"},
    )
    run(
        world.url,
        f.LEADER,
        applications.add_indicator,
        app_id,
        name="n",
        measured_in="u",
        baseline="0",
        target="1",
        target_date="2026-12-31",
    )
    run(
        world.url,
        f.LEADER,
        applications.add_partner,
        app_id,
        organisation="Saxion",
        co_financing=True,
        commitment="knowledge",
    )

    with pytest.raises(GuardFailed) as error:
        world.fire(app_id, "refer_to_committee")

    assert error.value.missing == [CO_FINANCING]


CO_FINANCING = "at least one co-financing business committing money, knowledge or time"


@pytest.mark.parametrize(
    ("commitment", "amount", "hours", "accepted"),
    [
        ("none", None, None, False),
        ("time", None, None, False),
        ("time", None, 0, False),
        ("time", None, 40, True),
        ("knowledge", None, None, True),
        ("money", "0.01", None, True),
    ],
)
def test_a_co_financing_business_must_commit_money_knowledge_or_time(
    world, commitment, amount, hours, accepted
):
    app_id = run(
        world.url,
        f.LEADER,
        applications.create,
        title="Logistiek",
        programme=f.AVT_2018,
        applicant=f.TALENTIT,
        requested="1000",
        line="talent",
    )["id"]
    run(
        world.url,
        f.LEADER,
        engine.record,
        app_id,
        "proposal",
        {"proposal_summary": "x", "budget_total": "5000"},
    )
    run(
        world.url,
        f.LEADER,
        applications.add_indicator,
        app_id,
        name="n",
        measured_in="u",
        baseline="0",
        target="1",
        target_date="2026-12-31",
    )
    run(world.url, f.LEADER, applications.add_partner, app_id, organisation=f.BUSINESS,
                             co_financing=True, commitment=commitment, amount=amount,
                             hours=hours)  # fmt: skip
    run(world.url, f.LEADER, engine.record, app_id, "idea", {"quickscan": "x"})
    world.fire(app_id, "present_at_table")
    f.prepare(world, app_id, "innovation_table")

    if accepted:
        world.fire(app_id, "start_ecosystem_analysis")
        assert world.state(app_id) == "assessment_committee"
        return
    with pytest.raises(GuardFailed) as error:
        world.fire(app_id, "start_ecosystem_analysis")
    assert error.value.missing == [
        f"{CO_FINANCING} ({f.BUSINESS} co-finances but commits {commitment}"
        + (" without hours)" if commitment == "time" else ")")
    ]


def test_unknown_trigger_is_refused_with_the_known_ones(world):
    app_id = make_application(world)

    with pytest.raises(NotAllowed) as error:
        world.fire(app_id, "fast_track")

    assert str(error.value).startswith("unknown trigger 'fast_track'; known triggers: present_at")


def test_trigger_from_the_wrong_state_names_what_is_possible(world):
    app_id = make_application(world)

    with pytest.raises(NotAllowed) as error:
        world.fire(app_id, "approve", f.STEERING)

    assert str(error.value) == (
        f"cannot approve application {app_id} from idea; from idea you can: present_at_table, "
        "withdraw"
    )


@pytest.mark.parametrize("stage", ["closed", "rejected", "withdrawn"])
def test_terminal_states_refuse_every_trigger(world, stage):
    if stage == "withdrawn":
        app_id = make_application(world, stage="innovation_table")
        world.fire(app_id, "withdraw", reason="the partners left")
    else:
        app_id = make_application(world, stage=stage)
    before = world.show(app_id)
    refusals = {}

    for trigger in TRIGGERS:
        steering = trigger in ("approve", "approve_with_conditions", "reject")
        actor = f.STEERING if steering else f.LEADER
        with pytest.raises(NotAllowed) as error:
            world.fire(app_id, trigger, actor, reason="too late")
        refusals[trigger] = str(error.value)

    assert refusals == {
        t: f"cannot {t} application {app_id}: it is {stage}, a final state" for t in TRIGGERS
    }
    after = world.show(app_id)
    assert (after["state"], after["version"]) == (stage, before["version"])


def test_grant_above_the_requested_amount_is_refused_and_nothing_is_written(world):
    app_id = make_application(world, stage="steering_decision", requested="64389")
    before = world.show(app_id)

    with pytest.raises(GuardFailed) as error:
        world.fire(app_id, "approve", f.STEERING, values={"granted": "64389.01"}, reason="x")

    assert error.value.missing == ["a granted amount no higher than the requested amount"]
    after = world.show(app_id)
    assert (after["state"], after["version"]) == (before["state"], before["version"])
    assert "steering_decision" not in after["stage_data"]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"granted": "-5"}, "granted must not be negative (got '-5')"),
        (
            {"granted": "lots"},
            "granted: 'lots' is not an amount in euros (write e.g. 64389 or 64389.50)",
        ),
        (
            {"granted": "1,001"},
            "granted: '1,001' has three digits after the decimal comma: in Dutch amounts write "
            "1.500 for fifteen hundred or 1,50 for one and a half",
        ),
        (
            {"grant": "5"},
            "unknown field 'grant'; `kracht workflow fields` lists every recordable field",
        ),
    ],
)
def test_malformed_stage_data_is_refused_before_anything_is_written(world, values, message):
    app_id = make_application(world, stage="steering_decision")

    with pytest.raises(InvalidInput) as error:
        world.fire(app_id, "approve", f.STEERING, values=values, reason="x")

    assert hints.line(error.value) == message
    assert world.state(app_id) == "steering_decision"


def test_record_refuses_a_field_of_another_stage_and_bad_choices(world):
    app_id = make_application(world, stage="innovation_table")

    with pytest.raises(InvalidInput) as wrong_stage:
        run(world.url, f.LEADER, engine.record, app_id, "innovation_table", {"quickscan": "x"})
    with pytest.raises(InvalidInput) as bad_choice:
        run(
            world.url, f.LEADER, engine.record, app_id, "innovation_table", {"table_outcome": "meh"}
        )
    with pytest.raises(InvalidInput) as bad_date:
        run(
            world.url,
            f.LEADER,
            engine.record,
            app_id,
            "innovation_table",
            {"table_date": "17-9-2018"},
        )

    assert (
        str(wrong_stage.value)
        == "field 'quickscan' belongs to stage 'idea', not 'innovation_table'"
    )
    assert str(bad_choice.value) == (
        "table_outcome: 'meh' is not one of aligned, aligned_with_remarks, not_aligned"
    )
    assert str(bad_date.value) == "table_date: '17-9-2018' is not a date (use YYYY-MM-DD)"


def test_a_failure_after_the_state_change_rolls_everything_back(world, monkeypatch):
    app_id = make_application(world, stage="steering_decision")
    before = world.show(app_id)

    def broken_append(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(engine.audit, "append", broken_append)
    with pytest.raises(RuntimeError):
        world.fire(app_id, "approve", f.STEERING, values={"granted": "100"}, reason="x")
    monkeypatch.undo()

    after = world.show(app_id)
    assert (after["state"], after["version"]) == ("steering_decision", before["version"])
    assert after["stage_data"] == before["stage_data"]


def test_an_applicant_acts_only_on_their_own_organisation(world):
    own = make_application(world, applicant=f.TALENTIT)
    other = make_application(world, title="Other", applicant=f.OTHER_APPLICANT)

    world.fire(own, "withdraw", f.APPLICANT, reason="we stop")
    with pytest.raises(NotAllowed) as error:
        world.fire(other, "withdraw", f.APPLICANT, reason="sabotage")

    assert world.state(own) == "withdrawn"
    assert str(error.value) == (
        f"{f.APPLICANT} may not withdraw application {other}: it is another organisation's "
        "application"
    )
    assert [
        a["id"]
        for a in run(
            world.url,
            f.APPLICANT,
            applications.list_all,
        )
    ] == [own]
    with pytest.raises(NotAllowed):
        run(world.url, f.APPLICANT, applications.show, other)


def test_unknown_actor_and_missing_actor_are_refused(world):
    app_id = make_application(world)

    with pytest.raises(NotAllowed) as unknown:
        world.fire(app_id, "withdraw", "nobody@example.org", reason="x")
    with pytest.raises(NotAllowed) as missing:
        run(world.url, None, engine.fire, app_id, "withdraw", reason="x")

    assert hints.line(unknown.value) == (
        "no person with e-mail 'nobody@example.org'; a programme leader adds people with "
        "`kracht people add`"
    )
    assert hints.line(missing.value) == "say who you are: pass --as EMAIL or set KRACHT_USER"
    assert _last_event(world)["outcome"] == "refused"


def test_unknown_application_is_not_found(world):
    with pytest.raises(NotFound) as error:
        world.fire(999, "withdraw", reason="x")

    assert (
        hints.line(error.value) == "no application 999; `kracht app list` shows every application"
    )


@pytest.mark.parametrize("number", [2**31, 10**30])  # past PostgreSQL's INTEGER; past SQLite's
def test_an_application_number_no_key_can_hold_is_not_found_rather_than_a_database_error(
    any_world, number
):
    with pytest.raises(NotFound):
        any_world.fire(number, "withdraw", reason="x")
    with pytest.raises(NotFound):
        run(any_world.url, f.LEADER, applications.show, number)
    assert inputs.MAX_ID == repository.MAX_KEY  # what the interfaces accept, the database holds
