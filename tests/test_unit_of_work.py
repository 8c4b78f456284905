"""The unit of work (workflow/unit.py): services compose in one transaction, opened and closed at
the edge; a dry run writes nothing; a refusal rolls everything back and is audited on its own."""

from __future__ import annotations

import pytest

from kracht.basics.actors import Actor
from kracht.basics.errors import GuardFailed, NotAllowed
from kracht.storage import audit
from kracht.storage.database import session
from kracht.workflow import engine
from kracht.workflow.services import applications, auditing, directory
from kracht.workflow.unit import Unit, Units
from tests import factories as f

IDEA = dict(
    title="Twentse Kennisroute",
    programme=f.AVT_2018,
    applicant=f.TALENTIT,
    requested="64389",
    line="talent",
)


def _trail(url: str) -> list[dict]:
    with session(url) as db:
        return audit.history(db)


def _titles(url: str) -> list[str]:
    return [a["title"] for a in f.run(url, f.LEADER, applications.list_all)]


def _create_and_present(unit: Unit) -> int:
    """Two services and the engine in the caller's unit: create, record the quickscan, present."""
    app_id = applications.create(unit, **IDEA)["id"]
    engine.record(unit, app_id, "idea", {"quickscan": "fits the talent line"})
    engine.fire(unit, app_id, "present_at_table")
    return app_id


def test_two_services_in_one_unit_commit_together(any_world):
    units = Units(any_world.url)

    with units.open(f.LEADER) as unit:
        app_id = _create_and_present(unit)

    assert any_world.state(app_id) == "innovation_table"
    new = [e for e in _trail(any_world.url) if e["application_id"] == app_id]
    assert [(e["action"], e["trigger"]) for e in new] == [
        ("create", None),
        ("record", None),
        ("fire", "present_at_table"),
    ]


def test_two_services_in_one_unit_roll_back_together_and_the_refusal_is_audited_alone(any_world):
    units = Units(any_world.url)
    before, titles = _trail(any_world.url), _titles(any_world.url)

    def create_add_and_present() -> None:
        with units.open(f.LEADER) as unit:
            app_id = applications.create(unit, **IDEA)["id"]
            applications.add_partner(unit, app_id, organisation=f.BUSINESS, co_financing=True,
                                     commitment="knowledge")  # fmt: skip
            engine.fire(unit, app_id, "present_at_table")  # no quickscan yet: refused

    with pytest.raises(GuardFailed) as refused:
        create_add_and_present()

    assert "a quickscan of the idea" in refused.value.missing
    assert _titles(any_world.url) == titles  # neither the application nor its partner
    after = _trail(any_world.url)
    assert after[: len(before)] == before
    assert [(e["action"], e["outcome"], e["trigger"]) for e in after[len(before) :]] == [
        ("fire", "refused", "present_at_table")
    ]  # the refusal, in its own transaction after the rollback
    assert after[-1]["application_id"] is None  # the application it names was never written
    verdict = f.run(any_world.url, f.AUDITOR, auditing.verify)
    assert (verdict.broken_seq, verdict.events) == (None, len(after))


def test_any_error_in_the_block_rolls_back_every_service_and_audits_nothing(any_world):
    units = Units(any_world.url)
    before, titles = _trail(any_world.url), _titles(any_world.url)

    def fail_after_the_services() -> None:
        with units.open(f.LEADER) as unit:
            _create_and_present(unit)
            raise ZeroDivisionError  # any failure at the edge

    with pytest.raises(ZeroDivisionError):
        fail_after_the_services()

    assert _titles(any_world.url) == titles
    assert _trail(any_world.url) == before


def test_a_dry_run_runs_every_step_returns_the_result_and_writes_nothing(any_world):
    units = Units(any_world.url)
    before, titles = _trail(any_world.url), _titles(any_world.url)

    app_id = units.try_out(f.LEADER, _create_and_present)

    assert isinstance(app_id, int)
    assert _titles(any_world.url) == titles
    assert _trail(any_world.url) == before


def test_an_actor_the_edge_already_knows_is_used_as_given(any_world):
    """A web request passes the signed-in person, not an e-mail to look up again."""
    with session(any_world.url) as db:
        from kracht.basics.actors import resolve

        leader = resolve(db, f.LEADER)
    units = Units(any_world.url, channel="web")

    created = units.run(leader, applications.create, **IDEA)

    event = [e for e in _trail(any_world.url) if e["application_id"] == created["id"]][0]
    assert (event["actor"], event["payload"]["source"]) == (f.LEADER, "web")
    stranger = Actor("nobody@example.org", "Nobody", frozenset())
    with pytest.raises(NotAllowed):
        units.run(stranger, applications.create, **IDEA)


def test_a_read_is_refused_every_write_by_the_database_and_a_write_after_it_still_writes(
    any_world,
):
    """A service marked `@reads` runs in a transaction the database itself keeps read-only
    (SQLite's query_only, PostgreSQL's READ ONLY): a read that tried to write would fail, not
    write; the pooled connection it used writes again in the next write unit."""
    import sqlalchemy as sa

    from kracht.storage.tables import Organisation
    from kracht.workflow.unit import reads

    units = Units(any_world.url)

    @reads
    def sneaky(unit: Unit) -> None:
        unit.db.add(Organisation(name="Schaduw BV", o_type="business"))
        unit.db.flush()

    with pytest.raises(sa.exc.DBAPIError):
        units.run(f.LEADER, sneaky)
    names = {o["name"] for o in units.run(f.LEADER, directory.list_orgs)}
    assert "Schaduw BV" not in names
    app_id = units.run(f.LEADER, applications.create, **IDEA)["id"]
    assert any_world.state(app_id) == "idea"
