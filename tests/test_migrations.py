"""The migrations create exactly the schema the models declare, on both databases."""

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import kracht.storage.tables  # noqa: F401
from kracht.storage.database import current_revision, engine_for, head_revision
from tests.factories import run

MIGRATIONS = Path(__file__).parents[1] / "storage" / "migrations" / "versions"


def test_migrated_schema_matches_the_models(db_url):
    with engine_for(db_url).connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)

    assert differences == []


def test_database_is_at_the_newest_revision(db_url):
    assert current_revision(db_url) == head_revision() == "0014"


def test_money_columns_become_64_bit_keeping_every_amount(db_url):
    from alembic import command

    from kracht.storage.database import alembic_config
    from kracht.workflow.services import applications, budgets
    from tests import factories as f

    command.downgrade(alembic_config(db_url), "0006")
    _with_todays_additions(db_url)  # today's code writes format-2 events, org contacts
    world = f.seed(db_url)
    app_id = f.make_application(world, stage="monitoring")
    before = (
        world.show(app_id),
        run(
            db_url,
            f.LEADER,
            budgets.budget_overview,
        ),
    )

    command.upgrade(alembic_config(db_url), "0008")
    command.stamp(alembic_config(db_url), "0014")  # their columns and tables are already there
    run(
        db_url,
        f.LEADER,
        budgets.set_budget,
        programme=f.AVT_2018,
        year=f.THIS_YEAR + 1,
        amount="60000000",
    )

    after = run(
        db_url,
        f.LEADER,
        budgets.budget_overview,
    )
    assert current_revision(db_url) == "0014"
    assert run(db_url, f.LEADER, applications.show, app_id)["decision"] == before[0]["decision"]
    new = [r for r in after["budgets"] if r["year"] == f.THIS_YEAR + 1]
    assert [r for r in after["budgets"] if r not in new] == before[1]["budgets"]
    assert [r["budget_cents"] for r in new] == [6_000_000_000]
    assert {type(v) for r in after["budgets"] for k, v in r.items() if k.endswith("_cents")} == {
        int
    }


def _with_todays_additions(db_url):
    """Revisions 0009's to 0014's schema on a database at an older revision, as their upgrades
    make it."""
    import importlib.util

    from alembic.operations import Operations

    for name in (
        "0009_audit_format_two.py",
        "0010_organisation_contact.py",
        "0011_organisation_identifiers.py",
        "0012_payments.py",
        "0013_attachments.py",
        "0014_co_financing_sources.py",
    ):
        spec = importlib.util.spec_from_file_location(name[:5], MIGRATIONS / name)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        with engine_for(db_url).begin() as connection:
            with Operations.context(MigrationContext.configure(connection)):
                module.upgrade()
