"""audit format 2: canonical bytes stored per event, and a Merkle tree over the trail

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03

Events keep what they are: the columns `format` (1 for every event so far) and `body` (the
canonical bytes, stored from format 2 on) are added, and the tree (`audit_node`) is built over
the existing events, each leaf SHA-256(0x00 || its format-1 bytes) (docs/audit-format.md). A
trail that has events stays in format 1 until kracht next appends: its first new event is then
the `audit.format` event that starts format 2 (storage.audit_chain). An empty trail starts in
format 2. The format-1 bytes are written out here, as this revision knows them.
"""

import datetime as dt
import hashlib
import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HASHED = (
    "seq", "at", "actor", "roles", "application_id", "action", "trigger", "from_state",
    "to_state", "outcome", "reason", "payload", "prev_hash",
)  # fmt: skip
SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER audit_node_no_{verb.lower()} BEFORE {verb} ON audit_node
    BEGIN SELECT RAISE(ABORT, 'audit_node is append-only: {verb} refused'); END"""
    for verb in ("UPDATE", "DELETE")
]
POSTGRES_TRIGGERS = [
    """CREATE TRIGGER audit_node_append_only BEFORE UPDATE OR DELETE ON audit_node
    FOR EACH ROW EXECUTE FUNCTION kracht_audit_append_only()""",
    """CREATE TRIGGER audit_node_no_truncate BEFORE TRUNCATE ON audit_node
    FOR EACH STATEMENT EXECUTE FUNCTION kracht_audit_append_only()""",
]


def upgrade() -> None:
    op.add_column(
        "audit_event", sa.Column("format", sa.Integer(), server_default="1", nullable=False)
    )
    op.add_column("audit_event", sa.Column("body", sa.LargeBinary(), nullable=True))
    op.add_column(
        "audit_head", sa.Column("format", sa.Integer(), server_default="1", nullable=False)
    )
    op.add_column(
        "audit_head", sa.Column("frontier", sa.String(), server_default="", nullable=False)
    )
    node = op.create_table(
        "audit_node",
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("idx", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx"),
    )
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_TRIGGERS if dialect == "sqlite" else POSTGRES_TRIGGERS:
        op.execute(statement)
    _build_tree(node)


def _build_tree(node: sa.Table) -> None:
    """The nodes over the existing events, and the head's frontier."""
    bind = op.get_bind()
    event = sa.table("audit_event", *(sa.column(name) for name in HASHED))
    frontier: list[tuple[int, bytes]] = []  # (level, hash), largest first
    size, last, batch = 0, 0, []
    while True:
        rows = bind.execute(
            sa.select(*event.c).where(event.c.seq > last).order_by(event.c.seq).limit(5000)
        ).all()
        if not rows:
            break
        for row in rows:
            leaf = hashlib.sha256(b"\x00" + _format_one(dict(row._mapping))).digest()
            batch.append({"level": 0, "idx": size, "hash": leaf})
            level, current = 0, leaf
            while (size >> level) & 1:
                current = hashlib.sha256(b"\x01" + frontier.pop()[1] + current).digest()
                level += 1
                batch.append({"level": level, "idx": size >> level, "hash": current})
            frontier.append((level, current))
            size += 1
        last = rows[-1].seq
        bind.execute(node.insert(), batch)
        batch = []
    head = sa.table("audit_head", sa.column("id"), sa.column("format"), sa.column("frontier"))
    bind.execute(
        head.update()
        .where(head.c.id == 1)
        .values(frontier="".join(h.hex() for _, h in frontier), format=2 if size == 0 else 1)
    )


def _format_one(fields: dict) -> bytes:
    at = fields["at"]
    if isinstance(at, str):  # SQLite without type information hands back text
        at = dt.datetime.fromisoformat(at)
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    fields["at"] = at.astimezone(dt.UTC).isoformat(timespec="microseconds")
    if isinstance(fields["payload"], str):
        fields["payload"] = json.loads(fields["payload"])
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode()


def downgrade() -> None:
    _refuse_with_format_two()  # before anything is dropped: a refusal leaves 0009 whole
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_node_append_only ON audit_node")
        op.execute("DROP TRIGGER IF EXISTS audit_node_no_truncate ON audit_node")
    op.drop_table("audit_node")
    with op.batch_alter_table("audit_head") as batch_op:
        batch_op.drop_column("frontier")
        batch_op.drop_column("format")
    _drop_event_columns()


def _refuse_with_format_two() -> None:
    """Format-2 events cannot be kept by a schema without their bytes: a downgrade is refused
    once any was written."""
    bind = op.get_bind()
    written = bind.execute(sa.text("SELECT count(*) FROM audit_event WHERE format > 1")).scalar()
    if written:
        raise RuntimeError(
            f"{written} audit events are in format 2; a schema before 0009 cannot hold them"
        )


def _drop_event_columns() -> None:
    """The columns dropped in place (SQLite's DROP COLUMN keeps the table, and so its
    append-only triggers)."""
    op.drop_column("audit_event", "body")
    op.drop_column("audit_event", "format")
