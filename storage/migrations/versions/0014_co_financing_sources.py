"""partners' money has a source

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06

Where a partner's money comes from: private, municipal, provincial, national, eu or other
(workflow/co_financing.py), for the multiplier on regional public money. Money recorded before
has a source where the organisation's type makes it one: a business's money is private. Every
other organisation's money stays NULL, unknown: a government may be a municipality, the province
or the Rijk, and an education or research institution's money may be public or private; the
programme leader records it anew with its source.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "application_partner",
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    )
    op.execute(
        "UPDATE application_partner SET source = 'private' WHERE commitment = 'money' "
        "AND organisation_id IN (SELECT id FROM organisation WHERE o_type = 'business')"
    )


def downgrade() -> None:
    op.drop_column("application_partner", "source")  # in place: SQLite's DROP COLUMN keeps it
