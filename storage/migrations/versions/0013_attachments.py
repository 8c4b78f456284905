"""attachments

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-11

Documents attached to applications, steering decisions and progress reports: each with its name,
media type, size and SHA-256 (recorded in the audit trail too), and where its bytes are; the bytes
themselves in a folder, or in `attachment_blob` (PostgreSQL without a folder).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("belongs_to", text(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("decision_seq", sa.Integer(), nullable=True),
        sa.Column("kind", text(), nullable=False),
        sa.Column("file_name", text(), nullable=False),
        sa.Column("media_type", text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", text(), nullable=False),
        sa.Column("storage_key", text(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("added_by", text(), nullable=False),
        sa.ForeignKeyConstraint(["application_id"], ["application.id"]),
        sa.ForeignKeyConstraint(["report_id"], ["progress_report.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("application_id", "number"),
    )
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_attachment_application_id"), ["application_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_attachment_sha256"), ["sha256"], unique=False)
    op.create_table(
        "attachment_blob",
        sa.Column("sha256", text(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("sha256"),
    )


def downgrade() -> None:
    op.drop_table("attachment_blob")
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachment_sha256"))
        batch_op.drop_index(batch_op.f("ix_attachment_application_id"))
    op.drop_table("attachment")
