"""money in 64-bit integers

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24

Money columns hold euro cents. As 32-bit integers they stop at EUR 21,474,836.47 on PostgreSQL,
less than one year's budget of a larger programme; as 64-bit integers they hold far more than
kracht accepts (EUR 1,000,000,000,000, workflow/money.py). On SQLite every integer is 64-bit
already; the tables are rebuilt (batch mode) so that the declared types match the models.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> [(column, nullable)]: every column that holds an amount of money in cents
MONEY = {
    "application": [("requested_cents", False)],
    "application_partner": [("amount_cents", True)],
    "budget": [("amount_cents", False)],
    "grant_allocation": [("amount_cents", False)],
    "progress_report": [("spent_cents", True)],
}


def _retype(old: sa.types.TypeEngine, new: sa.types.TypeEngine) -> None:
    for table, columns in MONEY.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, nullable in columns:
                batch_op.alter_column(
                    column, existing_type=old, type_=new, existing_nullable=nullable
                )


def upgrade() -> None:
    _retype(sa.Integer(), sa.BigInteger())


def downgrade() -> None:
    _retype(sa.BigInteger(), sa.Integer())
