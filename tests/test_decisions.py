"""Steering decisions: money is exact, never over-committed, conditions and advice respected."""

import json
import multiprocessing
import re
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from kracht.basics.errors import GuardFailed, InvalidInput, NotAllowed
from kracht.cli import main
from kracht.commands import hints
from kracht.storage import clock
from kracht.workflow import engine
from kracht.workflow.effects import grants
from kracht.workflow.services import (
    applications,
    approval_conditions,
    budgets,
    decisions,
    directory,
)
from tests import factories as f
from tests.factories import THIS_YEAR, make_application, run

ROOT = Path(__file__).resolve().parent.parent


def _decide(world, app_id, amount, outcome="approve", **kw):
    return run(
        world.url,
        f.STEERING,
        decisions.decide,
        app_id,
        outcome,
        reason="sound plan",
        amount=amount,
        **kw,
    )


def _line_budget(world, amount):
    """A budget of its own for the talent line this year: the pool is not touched."""
    run(
        world.url,
        f.LEADER,
        budgets.set_budget,
        programme=f.AVT_2018,
        year=THIS_YEAR,
        line="talent",
        amount=amount,
    )


def _available(world, line="talent"):
    rows = run(world.url, f.LEADER, budgets.budget_overview, f.AVT_2018, THIS_YEAR)["budgets"]
    return next(r["available_cents"] for r in rows if r["line"] == line)


def test_over_commitment_is_refused_at_the_exact_cent(world):
    _line_budget(world, "100000")
    first = make_application(world, stage="steering_decision", requested="100000")
    second = make_application(world, stage="steering_decision", requested="100000")
    third = make_application(world, stage="steering_decision", requested="100000")
    _decide(world, first, "60000")

    with pytest.raises(GuardFailed) as over:
        _decide(world, second, "40000.01")
    _decide(world, second, "39999.99")
    with pytest.raises(GuardFailed):
        _decide(world, third, "0.02")
    _decide(world, third, "0.01")

    assert over.value.missing == [
        "no more than the EUR 40,000.00 still available on avt-2018 line talent in "
        f"{THIS_YEAR} (this grant needs EUR 40,000.01)"
    ]
    assert _available(world) == 0
    assert world.state(second) == world.state(third) == "monitoring"


def test_a_grant_without_a_budget_for_its_year_is_refused(world):
    app_id = make_application(world, stage="steering_decision")

    with pytest.raises(GuardFailed) as error:
        _decide(world, app_id, "1000", year=2019)

    assert hints.need_lines(error.value) == [
        "a projects budget for avt-2018 in 2019 (`kracht budget set`)"
    ]
    assert world.state(app_id) == "steering_decision"


def test_the_development_budget_is_capped_at_twelve_and_a_half_percent(world):
    # the seeded project budget for this year is EUR 2,000,000: the cap is EUR 250,000.00
    def development(amount):
        return run(
            world.url,
            f.LEADER,
            budgets.set_budget,
            programme=f.AVT_2018,
            year=THIS_YEAR,
            kind="development",
            amount=amount,
        )

    with pytest.raises(NotAllowed) as over:
        development("250000.01")
    development("250000.00")
    with pytest.raises(NotAllowed) as shrink:
        run(
            world.url,
            f.LEADER,
            budgets.set_budget,
            programme=f.AVT_2018,
            year=THIS_YEAR,
            amount="1999999.99",
        )

    assert str(over.value) == (
        f"the development budget may be at most 12.5% of the {THIS_YEAR} project budget of "
        "EUR 2,000,000.00, which is EUR 250,000.00; EUR 250,000.01 is too much"
    )
    assert "EUR 249,999.99; EUR 250,000.00 is too much" in str(shrink.value)


def test_a_budget_from_inhabitants_is_exact(world):
    result = run(
        world.url,
        f.LEADER,
        budgets.set_budget,
        programme=f.AVT_2023,
        year=2023,
        inhabitants=506667,
        per_inhabitant="4.08",
    )

    assert result["amount_cents"] == 206720136
    assert result["basis"] == "506,667 inhabitants x EUR 4.08"


def test_a_multi_year_grant_is_split_into_exact_cents(world):
    for year in (THIS_YEAR + 1, THIS_YEAR + 2):
        run(
            world.url,
            f.LEADER,
            budgets.set_budget,
            programme=f.AVT_2018,
            year=year,
            amount="1000",
        )
    app_id = make_application(world, stage="steering_decision", requested="1000.01")

    _decide(world, app_id, "1000.01", spread_until=THIS_YEAR + 2)

    charged = run(world.url, f.LEADER, applications.show, app_id)["decision"]["charged"]
    assert [(c["year"], c["amount_cents"]) for c in charged] == [
        (THIS_YEAR, 33334),
        (THIS_YEAR + 1, 33334),
        (THIS_YEAR + 2, 33333),
    ]
    assert grants.split(50000000, 5) == [10000000] * 5


def test_a_grant_too_small_to_give_every_year_a_cent_is_refused_and_nothing_charged(world):
    for year in (THIS_YEAR + 1, THIS_YEAR + 2):
        run(
            world.url,
            f.LEADER,
            budgets.set_budget,
            programme=f.AVT_2018,
            year=year,
            amount="1000",
        )
    app_id = make_application(world, stage="steering_decision", requested="1000")

    with pytest.raises(GuardFailed) as refused:
        _decide(world, app_id, "0.02", spread_until=THIS_YEAR + 2)

    assert "a grant of at least one cent a year to spread it over 3 years" in str(refused.value)
    assert world.state(app_id) == "steering_decision"
    assert run(world.url, f.LEADER, applications.show, app_id)["decision"]["charged"] == []


def test_conditional_money_is_reserved_until_every_condition_is_met(world):
    _line_budget(world, "100000")
    app_id = make_application(world, stage="steering_decision", requested="100000")
    conditions = [
        (f.DEADLINE, f.LEADER, "plan for the tables"),
        (f.DEADLINE, f.STEERING, "cover the whole region"),
    ]
    run(
        world.url,
        f.STEERING,
        decisions.decide,
        app_id,
        "approve-with-conditions",
        reason="promising",
        amount="30000",
        conditions=conditions,
        departure_rationale="positive advice, but with conditions",
    )
    reserved = run(world.url, f.LEADER, budgets.budget_overview, f.AVT_2018, THIS_YEAR)["budgets"]

    run(world.url, f.LEADER, approval_conditions.meet_condition, app_id, 1, "plan received")
    with pytest.raises(GuardFailed) as still_open:
        world.fire(app_id, "conditions_met")
    run(
        world.url,
        f.STEERING,
        approval_conditions.meet_condition,
        app_id,
        2,
        "offices in Almelo and Enschede",
    )
    world.fire(app_id, "conditions_met")

    talent = next(r for r in reserved if r["line"] == "talent")
    assert (talent["reserved_cents"], talent["committed_cents"]) == (3000000, 0)
    assert hints.need_lines(still_open.value) == [
        "every condition met (1 still open; `kracht conditions list`)"
    ]
    now = run(world.url, f.LEADER, budgets.budget_overview, f.AVT_2018, THIS_YEAR)["budgets"]
    talent = next(r for r in now if r["line"] == "talent")
    assert (talent["reserved_cents"], talent["committed_cents"]) == (0, 3000000)
    assert world.state(app_id) == "monitoring"


def test_withdrawing_a_conditional_grant_frees_its_money(world):
    _line_budget(world, "100000")
    app_id = make_application(world, stage="approved_with_conditions", requested="100000")
    before = _available(world)

    world.fire(app_id, "withdraw", f.STEERING, reason="conditions not met in time")

    assert before == 4000000
    assert _available(world) == 10000000


def test_an_overdue_condition_is_visible(world):
    app_id = make_application(world, stage="steering_decision")
    run(
        world.url,
        f.STEERING,
        decisions.decide,
        app_id,
        "approve-with-conditions",
        reason="ok",
        amount="1000",
        conditions=[("2019-01-31", f.LEADER, "a plan")],
        departure_rationale="conditions needed",
    )

    overdue = run(world.url, f.LEADER, approval_conditions.list_conditions, overdue_only=True)

    assert [(c["application_id"], c["number"], c["status"]) for c in overdue] == [
        (app_id, 1, "overdue")
    ]


def test_departing_from_the_advice_needs_a_rationale(world):
    app_id = make_application(world, stage="steering_decision")  # the advice was positive

    with pytest.raises(GuardFailed) as error:
        run(world.url, f.STEERING, decisions.decide, app_id, "reject", reason="no money left")
    run(
        world.url,
        f.STEERING,
        decisions.decide,
        app_id,
        "reject",
        reason="no money left",
        departure_rationale="the budget is needed for a stronger application",
    )

    assert error.value.missing == [
        "a rationale for departing from the committee's advice (positive) (departure_rationale)"
    ]
    last = run(world.url, f.LEADER, applications.history, app_id)[-1]
    assert last["payload"]["effects"]["follows_advice"] is False


def test_a_deferral_names_a_date_or_a_round_and_resumes_later(world):
    app_id = make_application(world, stage="steering_decision")

    with pytest.raises(GuardFailed) as error:
        run(world.url, f.STEERING, decisions.decide, app_id, "defer", reason="more parties needed")
    run(
        world.url,
        f.STEERING,
        decisions.decide,
        app_id,
        "defer",
        reason="more parties needed",
        deferred_to_round="2019-1",
    )
    world.fire(app_id, "resume")
    with pytest.raises(GuardFailed) as again:  # the earlier deferral's round is not reused
        run(world.url, f.STEERING, decisions.decide, app_id, "defer", reason="still more parties")
    with pytest.raises(GuardFailed) as both:
        run(
            world.url,
            f.STEERING,
            decisions.decide,
            app_id,
            "defer",
            reason="still more parties",
            deferred_until="2030-01-01",
            deferred_to_round="2030-1",
        )

    need = "a date or round to defer to, given with this deferral "
    need += "(deferred_until or deferred_to_round, not both)"
    assert error.value.missing == again.value.missing == both.value.missing == [need]
    assert world.state(app_id) == "steering_decision"


def test_the_decision_letter_states_amount_conditions_and_reasons_in_both_languages(world):
    app_id = make_application(world, stage="steering_decision", requested="1335000")
    run(
        world.url,
        f.STEERING,
        decisions.decide,
        app_id,
        "approve-with-conditions",
        reason="contributes to the tables",
        amount="1335000",
        conditions=[("2019-01-31", f.LEADER, "serve the whole region")],
        departure_rationale="conditions needed",
    )

    dutch = run(world.url, f.LEADER, decisions.letter, app_id, "nl")
    english = run(world.url, f.APPLICANT, decisions.letter, app_id, "en")

    assert "onder voorwaarden toe te kennen" in dutch
    assert "€ 1.335.000,00" in dutch
    assert "  1. serve the whole region (uiterlijk 31 januari 2019)" in dutch
    assert "Motivering: contributes to the tables" in dutch
    assert "wijkt af van het advies van de beoordelingscommissie (positive)" in dutch
    assert "EUR 1,335,000.00 is reserved for you" in english
    assert "Reasons: contributes to the tables" in english


def test_templates_refuse_a_missing_variable():
    import jinja2

    from kracht.notifications.render import render

    with pytest.raises(jinja2.UndefinedError):
        render("decision_letter.txt.j2", "en", {"title": "TalentIT Twente"})


def test_app_show_and_budget_show_carry_the_money(world):
    app_id = make_application(world, stage="monitoring")

    record = run(world.url, f.LEADER, applications.show, app_id)
    budget = run(world.url, f.LEADER, budgets.budget_overview, f.AVT_2018)

    assert record["decision"]["granted_cents"] == 6438900
    assert record["decision"]["co_financing"] == {
        "private_cents": 1000000,
        "public_cents": 0,
        "multiplier": Decimal("0.16"),
    }
    pool = next(r for r in budget["budgets"] if r["line"] == "(all lines)")
    assert (pool["budget_cents"], pool["committed_cents"]) == (200000000, 6438900)
    assert pool["available_cents"] == 200000000 - 6438900
    assert budget["multipliers"][0]["multiplier"] == Decimal("0.16")


def _race(url: str, app_id: int, amount: str, barrier, results) -> None:  # runs in a child
    sys.path.insert(0, str(ROOT))
    from kracht.basics.errors import KrachtError
    from kracht.workflow.services import decisions
    from tests import factories

    barrier.wait()
    try:
        run(
            url,
            factories.STEERING,
            decisions.decide,
            app_id,
            "approve",
            reason="race",
            amount=amount,
        )
        results.put((app_id, "ok"))
    except KrachtError as error:
        results.put((app_id, type(error).__name__))


@pytest.mark.slow
def test_two_concurrent_decisions_cannot_overspend_a_line_together(any_world):
    world = any_world
    _line_budget(world, "100000")
    apps = [
        make_application(world, stage="steering_decision", requested="100000") for _ in range(2)
    ]
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(2), context.Queue()
    racers = [
        context.Process(target=_race, args=(world.url, a, "60000", barrier, results)) for a in apps
    ]

    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(60)

    outcomes = sorted(results.get(timeout=5)[1] for _ in racers)
    assert outcomes == ["GuardRefused", "ok"]
    assert _available(world) == 4000000


def test_a_grant_of_zero_euros_is_refused(any_world):
    world = any_world
    app_id = make_application(world, stage="steering_decision")

    with pytest.raises(GuardFailed) as error:
        _decide(world, app_id, "0")

    assert error.value.missing == ["a granted amount above zero (EUR 0.00 was given)"]
    assert world.state(app_id) == "steering_decision"
    assert world.show(app_id)["decision"]["charged"] == []


def test_a_decision_without_an_amount_names_the_missing_amount_not_zero(world):
    app_id = make_application(world, stage="steering_decision")

    with pytest.raises(GuardFailed) as fired:
        world.fire(app_id, "approve", f.STEERING, reason="sound plan")
    with pytest.raises(GuardFailed) as decided:
        _decide(world, app_id, None)

    assert fired.value.missing == decided.value.missing == ["a granted amount (granted)"]


def _development(world, amount, line=None):
    return run(
        world.url,
        f.LEADER,
        budgets.set_budget,
        programme=f.AVT_2018,
        year=THIS_YEAR,
        kind="development",
        line=line,
        amount=amount,
    )


def test_the_development_cap_counts_every_lines_development_budget_together(any_world):
    # the seeded project budget for this year is EUR 2,000,000: the cap is EUR 250,000.00
    world = any_world
    _development(world, "250000", line="talent")

    with pytest.raises(NotAllowed) as second_line:
        _development(world, "0.01", line="circular")
    with pytest.raises(NotAllowed) as pool:
        _development(world, "250000")
    _development(world, "100000", line="talent")  # replacing a line's own budget is counted once
    _development(world, "150000", line="circular")

    assert str(second_line.value) == (
        f"the development budget may be at most 12.5% of the {THIS_YEAR} project budget of "
        "EUR 2,000,000.00, which is EUR 250,000.00; EUR 250,000.01 is too much "
        "(the development budgets of every line and the pool together)"
    )
    assert "EUR 500,000.00 is too much" in str(pool.value)
    rows = run(world.url, f.LEADER, budgets.budget_overview, f.AVT_2018, THIS_YEAR)["budgets"]
    development = {r["line"]: r["budget_cents"] for r in rows if r["kind"] == "development"}
    assert development == {"talent": 10000000, "circular": 15000000}


def test_shrinking_the_project_budget_below_the_lines_development_budgets_is_refused(world):
    _development(world, "125000", line="talent")
    _development(world, "125000", line="circular")

    with pytest.raises(NotAllowed) as error:
        run(
            world.url,
            f.LEADER,
            budgets.set_budget,
            programme=f.AVT_2018,
            year=THIS_YEAR,
            amount="1999999.99",
        )

    assert "EUR 249,999.99; EUR 250,000.00 is too much" in str(error.value)


def test_app_show_carries_the_decision_itself(any_world):
    world = any_world
    app_id = make_application(world, stage="steering_decision")
    run(
        world.url,
        f.STEERING,
        decisions.decide,
        app_id,
        "reject",
        reason="too little business involvement",
        departure_rationale="business role not credible",
    )

    decision = world.show(app_id)["decision"]

    decided_at = decision.pop("decided_at")
    assert decision == {
        "outcome": "reject",
        "decided_by": f.STEERING,
        "decided_on": clock.today().isoformat(),  # no meeting date given: the day entered
        "reasons": "too little business involvement",
        "advice": "positive",
        "follows_advice": False,
        "departure_rationale": "business role not credible",
        "deferred_until": None,
        "deferred_to_round": None,
        "granted_cents": 0,
        "charged": [],
        "conditions": [],
        "co_financing": {"private_cents": 1000000, "public_cents": 0, "multiplier": None},
        "earlier": [],
    }
    history = run(world.url, f.LEADER, applications.history, app_id)
    assert decided_at == next(e["at"] for e in history if e["trigger"] == "reject")


def test_an_application_not_yet_decided_shows_no_outcome(world):
    app_id = make_application(world, stage="steering_decision")

    decision = world.show(app_id)["decision"]

    assert (decision["outcome"], decision["decided_by"], decision["earlier"]) == (None, None, [])


def test_a_deferral_records_that_it_departs_from_the_advice_and_shows_its_date(world):
    app_id = make_application(world, stage="steering_decision")  # the advice was positive
    run(
        world.url,
        f.STEERING,
        decisions.decide,
        app_id,
        "defer",
        reason="more parties needed",
        deferred_until="2019-03-01",
    )

    deferred = world.show(app_id)["decision"]
    world.fire(app_id, "resume")
    _decide(world, app_id, "64389")
    approved = world.show(app_id)["decision"]

    last = [e for e in run(world.url, f.LEADER, applications.history, app_id) if e["trigger"]]
    defer_event = next(e for e in last if e["trigger"] == "defer")
    assert defer_event["payload"]["effects"]["follows_advice"] is False
    assert {k: deferred[k] for k in ("outcome", "follows_advice", "departure_rationale")} == {
        "outcome": "defer",
        "follows_advice": False,
        "departure_rationale": "more parties needed",  # a deferral's reason is its rationale
    }
    assert (deferred["deferred_until"], deferred["deferred_to_round"]) == ("2019-03-01", None)
    assert (approved["outcome"], approved["follows_advice"], approved["granted_cents"]) == (
        "approve",
        True,
        6438900,
    )
    assert [(e["outcome"], e["deferred_until"]) for e in approved["earlier"]] == [
        ("defer", "2019-03-01")
    ]


def test_a_deferral_before_any_advice_follows_it(world):
    app_id = make_application(world, stage="kracht_scoring")

    run(
        world.url,
        f.STEERING,
        decisions.decide,
        app_id,
        "defer",
        reason="wait for the region",
        deferred_to_round="2019-1",
    )

    decision = world.show(app_id)["decision"]
    assert (decision["outcome"], decision["advice"], decision["follows_advice"]) == (
        "defer",
        None,
        True,
    )
    assert decision["departure_rationale"] is None


def test_amounts_beyond_32_bits_are_kept_exactly(any_world):
    # EUR 21,474,836.47 is the most a 32-bit integer column holds in cents
    world = any_world
    run(
        world.url,
        f.LEADER,
        budgets.set_budget,
        programme=f.AVT_2023,
        year=THIS_YEAR,
        amount="60000000",
    )
    app_id = make_application(
        world,
        stage="steering_decision",
        programme=f.AVT_2023,
        requested="25000000",
        budget_total="50000000",
    )

    _decide(world, app_id, "25000000")

    budget = run(world.url, f.LEADER, budgets.budget_overview, f.AVT_2023, THIS_YEAR)["budgets"]
    assert [(r["budget_cents"], r["committed_cents"], r["available_cents"]) for r in budget] == [
        (6_000_000_000, 2_500_000_000, 3_500_000_000)
    ]
    assert {type(v) for k, v in budget[0].items() if k.endswith("_cents")} == {int}
    assert world.show(app_id)["requested_cents"] == 2_500_000_000


def test_a_budget_from_inhabitants_is_bounded_like_any_amount(world):
    with pytest.raises(InvalidInput) as error:
        run(
            world.url,
            f.LEADER,
            budgets.set_budget,
            programme=f.AVT_2023,
            year=2023,
            inhabitants=10**12,
            per_inhabitant="4.08",
        )

    assert str(error.value) == (
        "the budget: 1,000,000,000,000 inhabitants x EUR 4.08 is more than kracht accepts "
        "(at most EUR 1,000,000,000,000.00)"
    )


def test_a_stored_configuration_with_a_broken_development_cap_is_named_not_crashed_on(world):
    from kracht.storage import repository
    from kracht.storage.database import session
    from kracht.storage.tables import ProgrammeConfig
    from kracht.workflow.config import default_document

    document = {**default_document(), "money": {"development_cap_percent": "abc"}}
    with session(world.url, write=True) as db:  # as kracht stored it before [money] was checked
        programme = repository.programme_by_code(db, f.AVT_2018)
        db.add(ProgrammeConfig(programme_id=programme.id, version="cfg-old", document=document,
                               created_by=f.LEADER))  # fmt: skip

    with pytest.raises(InvalidInput) as error:
        _development(world, "1000")

    assert str(error.value) == (
        f"the configuration of {f.AVT_2018}: "
        "money.development_cap_percent must be a number from 0 to 100, not 'abc'"
    )


# -- review 2: previews, per-line views, the programme's period, the multiplier -----------------


@pytest.fixture
def kracht(world, monkeypatch, capsys):
    """Run `kracht ARGS` in-process against the seeded database; returns (exit, stdout, stderr)."""
    monkeypatch.setenv("KRACHT_DB", world.url.removeprefix("sqlite:///"))

    def run(*args: str, user: str = f.LEADER) -> tuple[int, str, str]:
        monkeypatch.setenv("KRACHT_USER", user)
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def _everything(world):
    """Every table's row count, the audit chain's head, and each application's state and
    version: what any write, an audited refusal included, would change."""
    import sqlalchemy as sa
    from sqlmodel import SQLModel

    from kracht.storage.database import session
    from kracht.storage.tables import Application, AuditHead

    with session(world.url) as db:
        counts = {
            t.name: db.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in SQLModel.metadata.sorted_tables
        }
        head = db.execute(sa.select(AuditHead.seq, AuditHead.hash)).one()
        apps = db.execute(
            sa.select(Application.id, Application.state, Application.version).order_by(
                Application.id
            )
        ).all()
    return counts, tuple(head), [tuple(a) for a in apps]


WARNING = (
    "this leaves EUR 5,000.00 on avt-2018 line talent in {year}, less than 10% of its "
    "EUR 100,000.00"
)


def test_a_dry_run_shows_the_warning_and_writes_nothing_then_the_decision_does_the_same(
    any_world,
):
    world = any_world
    _line_budget(world, "100000")
    app_id = make_application(world, stage="steering_decision", requested="100000")
    before = _everything(world)

    preview = _decide(world, app_id, "95000", dry_run=True)
    after_preview = _everything(world)
    decided = _decide(world, app_id, "95000")

    assert after_preview == before
    assert preview["dry_run"] is True
    assert decided["dry_run"] is False
    assert preview["warnings"] == decided["warnings"] == [WARNING.format(year=THIS_YEAR)]
    assert (
        preview["charged"]
        == decided["charged"]
        == [
            {
                "year": THIS_YEAR,
                "budget": "avt-2018 line talent",
                "amount_cents": 9500000,
                "budget_cents": 10000000,
                "available_cents": 10000000,
                "left_cents": 500000,
            }
        ]
    )
    assert (preview["from"], preview["to"]) == ("steering_decision", "monitoring")
    assert (decided["from"], decided["to"]) == ("steering_decision", "monitoring")
    assert preview["events"] == decided["events"]  # the preview appended nothing to the chain
    assert world.state(app_id) == "monitoring"
    assert _available(world) == 500000
    counts, _, _ = _everything(world)
    assert counts["grant_allocation"] == before[0]["grant_allocation"] + 1


def test_a_dry_run_that_would_overspend_is_refused_like_the_decision_and_leaves_no_trace(world):
    _line_budget(world, "100000")
    app_id = make_application(world, stage="steering_decision", requested="150000")
    before = _everything(world)

    with pytest.raises(GuardFailed) as preview:
        _decide(world, app_id, "100000.01", dry_run=True)
    after_preview = _everything(world)
    with pytest.raises(GuardFailed) as real:
        _decide(world, app_id, "100000.01")

    assert (
        str(preview.value)
        == str(real.value)
        == (
            f"cannot approve application {app_id}: needs no more than the EUR 100,000.00 still "
            f"available on avt-2018 line talent in {THIS_YEAR} (this grant needs EUR 100,000.01)"
        )
    )
    assert after_preview == before
    history = run(world.url, f.LEADER, applications.history, app_id)
    refused = [e for e in history if e["outcome"] == "refused"]
    assert [e["trigger"] for e in refused] == ["approve"]  # the real decision's refusal only
    assert world.state(app_id) == "steering_decision"


def test_kracht_decide_dry_run_prints_each_year_what_is_left_and_the_warning(kracht, world):
    _line_budget(world, "100000")
    app_id = make_application(world, stage="steering_decision", requested="100000")
    decide = ("decide", str(app_id), "approve", "--reason", "sound plan", "--amount", "95000")

    preview = kracht(*decide, "--dry-run", user=f.STEERING)
    state = world.state(app_id)
    decided = kracht(*decide, user=f.STEERING)

    warning = f"warning: {WARNING.format(year=THIS_YEAR)}\n"
    assert preview == (
        0,
        f"dry run, nothing written: application {app_id} would go steering_decision -> "
        f"monitoring\n  {THIS_YEAR}: EUR 95,000.00 would be charged to avt-2018 line talent; "
        "EUR 5,000.00 of EUR 100,000.00 would be left\n",
        warning,
    )
    assert state == "steering_decision"
    assert decided == (
        0,
        f"  {THIS_YEAR}: EUR 95,000.00 charged to avt-2018 line talent; EUR 5,000.00 of "
        f"EUR 100,000.00 left\napplication {app_id}: steering_decision -> monitoring; letter: "
        f"`kracht app letter {app_id}`\n",
        warning,
    )


def _period_programme(world) -> str:
    """A programme with the 2018-2022 period and a budget for 2018 only."""
    import datetime as dt

    run(
        world.url,
        f.LEADER,
        directory.add_programme,
        code="avt-period",
        name="Agenda voor Twente 2018-2022 (with its period)",
        starts_on=dt.date(2018, 1, 10),
        ends_on=dt.date(2022, 12, 31),
        lines=[("talent", "Arbeidsmarkt & talent")],
        not_applicable={"ecosystem_analysis": "no ecosystem analysis in the 2018-2022 process"},
    )
    run(
        world.url,
        f.LEADER,
        budgets.set_budget,
        programme="avt-period",
        year=2018,
        amount="2000000",
    )
    return "avt-period"


def test_a_decision_is_charged_to_a_year_of_the_programme_and_asks_for_one_outside_it(world):
    # today is after 2022: without --year the decision would charge a year outside the period
    code = _period_programme(world)
    app_id = make_application(world, stage="steering_decision", programme=code)

    with pytest.raises(GuardFailed) as no_year:
        _decide(world, app_id, "64389")
    with pytest.raises(GuardFailed) as late:
        _decide(world, app_id, "64389", year=2023)
    with pytest.raises(GuardFailed) as spread:
        _decide(world, app_id, "64389", year=2018, spread_until=2023)
    _decide(world, app_id, "64389", year=2018)

    assert hints.need_lines(no_year.value) == [
        "a budget year within the period of avt-period, 2018-2022 (budget_year, `--year`; "
        f"without one this year, {THIS_YEAR}, is charged, and it is outside the period)"
    ]
    assert hints.need_lines(late.value) == [
        "a budget year within the period of avt-period, 2018-2022 (budget_year, `--year`; "
        "2023 is outside it)"
    ]
    assert hints.need_lines(spread.value) == [
        "a spread_until within the period of avt-period, 2018-2022 (spread_until, "
        "`--spread-until`; 2023 is outside it)"
    ]
    charged = world.show(app_id)["decision"]["charged"]
    assert [(c["year"], c["amount_cents"]) for c in charged] == [(2018, 6438900)]


def test_a_budget_outside_the_programme_period_is_refused(world):
    code = _period_programme(world)

    with pytest.raises(InvalidInput) as error:
        run(world.url, f.LEADER, budgets.set_budget, programme=code, year=2031, amount="5")
    run(world.url, f.LEADER, budgets.set_budget, programme=code, year=2022, amount="5")

    assert str(error.value) == (
        "2031 is outside the period of avt-period, 2018-2022; a budget is set for a year of its "
        "programme"
    )


def test_a_spread_ending_before_this_year_is_refused_without_a_year_not_crashed_on(world):
    app_id = make_application(world, stage="steering_decision")

    with pytest.raises(GuardFailed) as error:
        _decide(world, app_id, "1000", spread_until=THIS_YEAR - 1)

    assert hints.need_lines(error.value) == [
        f"a spread_until no earlier than the budget year {THIS_YEAR} (spread_until, "
        f"`--spread-until`; {THIS_YEAR - 1} was given)"
    ]
    assert world.state(app_id) == "steering_decision"


def _application_on(world, line: str) -> int:
    """Like make_application up to the steering decision, on another line of the 2018 programme."""
    app_id = run(
        world.url,
        f.LEADER,
        applications.create,
        title=f"A project on {line}",
        programme=f.AVT_2018,
        applicant=f.TALENTIT,
        requested="100000",
        line=line,
    )["id"]
    f.complete_proposal(world, app_id)
    while (current := world.state(app_id)) != "steering_decision":
        f.prepare(world, app_id, current)
        forward = [o["trigger"] for o in world.show(app_id)["next"] if o["forward"]]
        actor = f.FIRED_BY.get(current, f.LEADER)
        run(world.url, actor, engine.fire, app_id, forward[0], values=f.FIRED_WITH.get(current))
    return app_id


def test_a_lines_view_keeps_what_it_drew_from_the_pool_before_it_got_its_own_budget(world):
    circular = _application_on(world, "circular")
    _decide(world, circular, "1000")  # drawn from the pool: circular has no budget of its own
    run(world.url, f.LEADER, budgets.set_budget, programme=f.AVT_2018, year=THIS_YEAR,
                         line="circular", amount="5000")  # fmt: skip

    view = run(world.url, f.LEADER, budgets.budget_overview, f.AVT_2018, THIS_YEAR, "circular")

    shown = [(r["scope"], r["committed_cents"], [d["line"] for d in r["lines"]])
             for r in view["budgets"]]  # fmt: skip
    assert sorted(shown) == [("line", 0, []), ("pool", 100000, ["circular"])]


def test_budget_show_gives_what_each_line_draws_from_the_pool(any_world):
    world = any_world
    make_application(world, stage="monitoring")  # talent: EUR 64,389 committed on the pool
    make_application(world, stage="approved_with_conditions", requested="100000")  # EUR 60,000
    circular = _application_on(world, "circular")
    _decide(world, circular, "1000")
    run(
        world.url,
        f.LEADER,
        budgets.set_budget,
        programme=f.AVT_2018,
        year=THIS_YEAR + 1,
        line="circular",
        amount="5000",
    )

    view = run(world.url, f.LEADER, budgets.budget_overview, f.AVT_2018)
    talent = run(world.url, f.LEADER, budgets.budget_overview, f.AVT_2018, line="talent")

    pool, own = view["budgets"]
    assert {k: pool[k] for k in ("line", "scope", "year", "committed_cents", "reserved_cents",
                                 "paid_out_cents", "available_cents")} == {
        "line": "(all lines)",
        "scope": "pool",
        "year": THIS_YEAR,
        "committed_cents": 6538900,
        "reserved_cents": 6000000,
        "paid_out_cents": 0,
        "available_cents": 200000000 - 12538900,
    }  # fmt: skip
    assert pool["lines"] == [
        {"line": "circular", "draws_from": "pool", "committed_cents": 100000,
         "reserved_cents": 0, "paid_out_cents": 0},
        {"line": "talent", "draws_from": "pool", "committed_cents": 6438900,
         "reserved_cents": 6000000, "paid_out_cents": 0},
    ]  # fmt: skip
    assert sum(d["committed_cents"] for d in pool["lines"]) == pool["committed_cents"]
    assert (own["line"], own["scope"], own["year"], own["lines"]) == (
        "circular",
        "line",
        THIS_YEAR + 1,
        [],
    )
    assert [(r["line"], [d["line"] for d in r["lines"]]) for r in talent["budgets"]] == [
        ("(all lines)", ["talent"])
    ]


def test_kracht_budget_show_lists_lines_under_the_pool_and_refuses_unknown_names(kracht, world):
    make_application(world, stage="monitoring")

    code, table, _ = kracht("budget", "show", "--programme", f.AVT_2018, "--year", str(THIS_YEAR))
    _, as_json, _ = kracht("budget", "show", "--programme", f.AVT_2018, "--json")
    nosuch = kracht("budget", "show", "--programme", "nosuch")
    no_line = kracht("budget", "show", "--programme", f.AVT_2018, "--line", "nosuch")
    no_year = kracht("budget", "show", "--programme", f.AVT_2018, "--year", "2040")

    assert code == 0
    assert re.search(
        rf"^avt-2018 +\(all lines\) +{THIS_YEAR} +projects +EUR 2,000,000.00 +EUR 64,389.00 "
        r"+EUR 0.00 +EUR 0.00 +EUR 1,935,611.00$",
        table,
        re.M,
    )
    assert re.search(
        rf"^avt-2018 +- talent +{THIS_YEAR} +projects +from the pool +EUR 64,389.00 +EUR 0.00 "
        r"+EUR 0.00 +\(pool\)$",
        table,
        re.M,
    )
    assert (
        "avt-2018: partner money per euro granted 0.16 (EUR 10,000.00 from partners, "
        "EUR 0.00 of it public, on EUR 64,389.00 of committed grants)\n"
    ) in table
    view = json.loads(as_json)
    assert view["budgets"][0]["scope"] == "pool"
    assert view["budgets"][0]["lines"][0]["draws_from"] == "pool"
    assert view["multipliers"][0]["multiplier"] == "0.16"
    assert nosuch == (1, "", "kracht: no programme 'nosuch'; see `kracht programme list`\n")
    assert no_line == (
        1,
        "",
        "kracht: no line 'nosuch'; programme avt-2018 has no such line; see "
        "`kracht programme list`\n",
    )
    assert no_year[0] == 0
    assert no_year[1].startswith("(none)\n")


NO_MONEY = dict.fromkeys(("private", "municipal", "provincial", "national", "eu", "other",
                          "unknown"), 0)  # fmt: skip


def test_the_multiplier_counts_committed_grants_only_with_exact_figures(any_world):
    world = any_world
    run(world.url, f.LEADER, directory.add_org, name="Gemeente Almelo", o_type="government")
    logistics = make_application(
        world, stage="steering_decision", requested="170000", title="Twents Huis van de Logistiek"
    )
    run(
        world.url,
        f.LEADER,
        applications.add_partner,
        logistics,
        organisation="Gemeente Almelo",
        commitment="money",
        amount="19720",
    )
    _decide(world, logistics, "170000")  # each project also has a business committing 10,000
    make_application(world, stage="monitoring")  # TalentIT Twente: EUR 64,389
    novel_t = make_application(world, stage="steering_decision", requested="1335000")
    run(
        world.url,
        f.STEERING,
        decisions.decide,
        novel_t,
        "approve-with-conditions",
        reason="serves the region",
        amount="1335000",
        conditions=[(f.DEADLINE, f.LEADER, "serve the whole region")],
        departure_rationale="conditions needed",
    )

    view = run(
        world.url,
        f.LEADER,
        budgets.budget_overview,
    )

    # (10,000 + 19,720 + 10,000) / (170,000 + 64,389) = 39,720 / 234,389 = 0.1694...;
    # counting the conditional EUR 1,335,000 would have given 49,720 / 1,569,389 = 0.03
    assert view["multipliers"] == [
        {
            "programme": f.AVT_2018,
            "granted_cents": 23438900,
            "partner_money_cents": 3972000,
            "private_cents": 2000000,
            "public_cents": 1972000,
            "multiplier": Decimal("0.17"),
            "reserved_cents": 133500000,
            "reserved_partner_money_cents": 1000000,
            # Almelo's money was given no source, and a government's is not derived: unknown,
            # in neither figure; 20,000 private / 234,389 of grants = 0.0853...
            "by_source": {**NO_MONEY, "private": 2000000, "unknown": 1972000},
            "regional_public_cents": 23438900,
            "leveraged_cents": 2000000,
            "unknown_cents": 1972000,
            "regional_multiplier": Decimal("0.09"),
            "reserved_by_source": {**NO_MONEY, "private": 1000000},
            "reserved_regional_multiplier": Decimal("0.01"),  # 10,000 / 1,335,000 = 0.0075
        },
        {
            "programme": f.AVT_2023,
            "granted_cents": 0,
            "partner_money_cents": 0,
            "private_cents": 0,
            "public_cents": 0,
            "multiplier": None,
            "reserved_cents": 0,
            "reserved_partner_money_cents": 0,
            "by_source": NO_MONEY,
            "regional_public_cents": 0,
            "leveraged_cents": 0,
            "unknown_cents": 0,
            "regional_multiplier": None,
            "reserved_by_source": NO_MONEY,
            "reserved_regional_multiplier": None,
        },
    ]
    assert view["multiplier_target"] == Decimal("8.5")
    assert view["multiplier_measure"].startswith("partner money per euro granted")
    assert "on regional public money" in view["multiplier_target_basis"]


def test_the_demo_shows_its_lines_and_multiplier_from_its_own_figures(tmp_path):
    from kracht.workflow.demo.build import run as build_demo
    from kracht.workflow.demo.data import LEADER

    path = build_demo(str(tmp_path / "demo.db"), echo=lambda _: None)
    view = run(f"sqlite:///{path}", LEADER, budgets.budget_overview, "avt-2018", 2018)

    pool = next(r for r in view["budgets"] if r["scope"] == "pool")
    assert [(d["line"], d["committed_cents"]) for d in pool["lines"]] == [
        ("circulair", 10000000),  # Mineral Valley: EUR 500,000 over 2018-2022
        ("talent", 73438900),  # 64,389 + 170,000 + 500,000
    ]
    assert pool["available_cents"] == 116561100
    (avt,) = view["multipliers"]
    assert (avt["granted_cents"], avt["reserved_cents"]) == (123438900, 133500000)
    assert (avt["partner_money_cents"], avt["multiplier"]) == (1972000, Decimal("0.02"))
