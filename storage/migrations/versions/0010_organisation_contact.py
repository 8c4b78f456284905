"""organisations have contact addresses

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03

A message for an organisation's applicants (a decision, its letter) reaches the organisation's
contact address when it has nobody with the applicant role.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "organisation", sa.Column("email", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("organisation", "email")  # in place: SQLite's DROP COLUMN keeps the table
