"""payments

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-10

A grant is paid in parts (an advance, tranches, a final settlement): each payment is requested
against one budget year of the grant, approved (twice above the programme's amount), paid on a
day, or cancelled or refused with a reason.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "payment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", text(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("planned_on", sa.Date(), nullable=True),
        sa.Column("status", text(), nullable=False),
        sa.Column("requested_by", text(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by", text(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("second_by", text(), nullable=True),
        sa.Column("second_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("reference", text(), nullable=True),
        sa.Column("ended_by", text(), nullable=True),
        sa.Column("reason", text(), nullable=True),
        sa.ForeignKeyConstraint(["application_id"], ["application.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("application_id", "number"),
    )
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_application_id"), ["application_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_payment_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_status"))
        batch_op.drop_index(batch_op.f("ix_payment_application_id"))
    op.drop_table("payment")
