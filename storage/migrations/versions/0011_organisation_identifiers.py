"""organisations have Chamber of Commerce numbers

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04

An organisation's KvK number (Kamer van Koophandel, 8 digits), where it is known: the open-data
export (360Giving) identifies a recipient by it as NL-KVK-<number>.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "organisation", sa.Column("kvk", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("organisation", "kvk")  # in place: SQLite's DROP COLUMN keeps the table
