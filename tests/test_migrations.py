"""The migrations create exactly the schema the models declare, on both databases."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import storage.tables  # noqa: F401
from storage.database import current_revision, engine_for, head_revision


def test_migrated_schema_matches_the_models(db_url):
    with engine_for(db_url).connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)

    assert differences == []


def test_database_is_at_the_newest_revision(db_url):
    assert current_revision(db_url) == head_revision() == "0005"
