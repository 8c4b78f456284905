"""From format 1 to format 2: a demo database written by kracht before issue 15 (commit 77b45de,
tests/assets/format1-demo.db.gz, schema 0008, 268 format-1 events) upgraded on SQLite and,
copied row for row, on PostgreSQL. The old events keep their bytes and hashes, the tree is built
over them, and the first event written after the upgrade is the format change."""

import gzip
import hashlib
import json
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from kracht.basics.checkpoints import SigningKey
from kracht.storage import merkle
from kracht.storage.audit_format import canonical_time
from kracht.storage.database import alembic_config, current_revision, engine_for, migrate, session
from kracht.storage.tables import AuditEvent
from kracht.workflow.services import auditing, directory
from tests.factories import run

FIXTURE = Path(__file__).parent / "assets" / "format1-demo.db.gz"
LEADER = "aleid.diepeveen@example.org"  # the demo's programme leader
AUDITOR = "petra.meijer@example.org"  # the demo's auditor
EVENTS = 268


@pytest.fixture
def old_sqlite(tmp_path):
    path = tmp_path / "old.db"
    with gzip.open(FIXTURE) as packed, path.open("wb") as out:
        shutil.copyfileobj(packed, out)
    return f"sqlite:///{path}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def old_url(request, old_sqlite):
    """The old demo at schema 0008: the file itself, or its rows copied into PostgreSQL."""
    if request.param == "sqlite":
        return old_sqlite
    url = request.getfixturevalue("pg_url")
    command.downgrade(alembic_config(url), "0008")
    _copy(old_sqlite, url)
    return url


def _copy(source, target):
    """Every row of every table, in an order the foreign keys accept, ids kept."""
    old = sa.MetaData()
    old.reflect(engine_for(source))
    new = sa.MetaData()
    new.reflect(engine_for(target))
    with engine_for(source).connect() as reading, engine_for(target).begin() as writing:
        writing.execute(new.tables["audit_head"].delete())
        for table in new.sorted_tables:
            if table.name == "alembic_version":
                continue
            rows = [dict(r._mapping) for r in reading.execute(old.tables[table.name].select())]
            if rows:
                writing.execute(table.insert(), [_typed(table, row) for row in rows])
            if "id" in table.c and table.name != "audit_head":
                writing.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM {table.name}))"
                )


def _typed(table, row):
    out = {}
    for name, value in row.items():
        kind = table.c[name].type
        if isinstance(kind, sa.Boolean) and isinstance(value, int):
            value = bool(value)
        out[name] = value
    return out


def _format_one_leaves(url):
    """Each old event's leaf as docs/audit-format.md defines it, from its columns."""
    names = ("seq", "at", "actor", "roles", "application_id", "action", "trigger", "from_state",
             "to_state", "outcome", "reason", "payload", "prev_hash")  # fmt: skip
    with session(url) as db:
        events = db.exec(sa.select(AuditEvent).order_by(AuditEvent.seq)).scalars().all()
        leaves, hashes = [], []
        for event in events:
            fields = {name: getattr(event, name) for name in names}
            fields["at"] = canonical_time(fields["at"])
            data = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            assert hashlib.sha256(data.encode()).hexdigest() == event.hash
            leaves.append(merkle.leaf_hash(data.encode()))
            hashes.append(event.hash)
    return leaves, hashes


def test_the_upgrade_keeps_every_old_event_and_builds_the_tree_over_them(old_url):
    with engine_for(old_url).connect() as connection:
        before = connection.exec_driver_sql("SELECT seq, hash FROM audit_event ORDER BY seq").all()
    revision = current_revision(old_url)

    migrate(old_url)
    leaves, hashes = _format_one_leaves(old_url)
    verdict = run(old_url, AUDITOR, auditing.verify)

    assert (revision, current_revision(old_url)) == ("0008", "0014")
    assert [tuple(r) for r in before] == list(enumerate(hashes, start=1))
    assert len(before) == EVENTS
    assert verdict.intact
    assert verdict.events == EVENTS
    assert verdict.root == merkle.root_of(leaves).hex()


def test_the_first_event_after_the_upgrade_starts_format_two(old_url):
    migrate(old_url)
    key = SigningKey.generate("agendavoortwente.nl/kracht")
    before = key.verifier().open(run(old_url, AUDITOR, auditing.checkpoint, key))

    run(old_url, LEADER, directory.add_person, name="Nieuwe Auditor", email="nieuw@example.org",
        roles=["auditor"])  # fmt: skip
    run(old_url, LEADER, directory.add_person, name="Tweede Auditor", email="twee@example.org",
        roles=["auditor"])  # fmt: skip
    checked = run(old_url, AUDITOR, auditing.verify_against, [before])
    verdict, (against,) = checked.verdict, checked.against
    events = run(old_url, AUDITOR, auditing.export, "jsonl")
    change, first, second = (json.loads(line) for line in events[EVENTS:])

    assert before.size == EVENTS
    assert verdict.intact
    assert verdict.events == EVENTS + 3
    assert against.case is None
    assert checked.disagreements == []
    assert checked.holds
    assert {json.loads(line)["format"] for line in events[:EVENTS]} == {1}
    assert (change["seq"], change["action"], change["format"]) == (EVENTS + 1, "audit.format", 2)
    assert change["prev_hash"] == json.loads(events[EVENTS - 1])["hash"]
    assert change["payload"]["previous_format"] == 1
    assert change["actor"] == LEADER
    assert (first["action"], first["format"], first["prev_hash"]) == (
        "person.add",
        2,
        change["hash"],
    )
    assert second["format"] == 2


def test_a_downgrade_is_refused_once_format_two_events_exist(old_url):
    migrate(old_url)
    run(old_url, LEADER, directory.add_person, name="Nieuwe Auditor", email="nieuw@example.org",
        roles=["auditor"])  # fmt: skip

    with pytest.raises(RuntimeError) as refused:
        command.downgrade(alembic_config(old_url), "0008")

    assert str(refused.value) == (
        "2 audit events are in format 2; a schema before 0009 cannot hold them"
    )
    # the step before 0009 went down or not (PostgreSQL rolls the whole downgrade back, SQLite
    # keeps each step); 0009 itself dropped nothing, and `kracht init` brings it back up
    assert current_revision(old_url) in ("0009", "0014")
    migrate(old_url)
    assert run(old_url, AUDITOR, auditing.verify).intact
    run(old_url, LEADER, directory.add_person, name="Derde", email="derde@example.org",
        roles=["auditor"])  # fmt: skip


def test_an_old_database_used_before_its_upgrade_is_named_and_told_to_run_init(
    old_sqlite, monkeypatch, capsys
):
    from kracht.cli import main

    monkeypatch.setenv("KRACHT_DB", old_sqlite.removeprefix("sqlite:///"))
    code = main(["--as", AUDITOR, "audit", "verify"])

    assert code == 1
    assert capsys.readouterr().err == (
        "kracht: the database's schema is older than this kracht (no such column: "
        "audit_event.format); run `kracht init`\n"
    )


def test_the_reference_verifier_accepts_the_upgraded_trail_in_both_formats(old_url, tmp_path):
    import subprocess
    import sys

    migrate(old_url)
    run(old_url, LEADER, directory.add_person, name="Zoë Ünal-Çelik", email="nieuw@example.org",
        roles=["auditor"])  # fmt: skip
    export = tmp_path / "audit.jsonl"
    lines = run(old_url, AUDITOR, auditing.export, "jsonl")
    export.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    verifier = Path(__file__).parents[1] / "docs" / "verify_trail.py"

    done = subprocess.run([sys.executable, "-I", str(verifier), str(export)], capture_output=True,
                          text=True, encoding="utf-8")  # fmt: skip

    assert done.returncode == 0, done.stdout + done.stderr
    assert f"(#1 to #{EVENTS + 2}, format 1, format 2 from #{EVENTS + 1})" in done.stdout
    assert "Zoë Ünal-Çelik" in lines[EVENTS + 1]  # as UTF-8 text, in format 2
