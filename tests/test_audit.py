"""The audit trail: append-only in the database, hash-chained, verifiable, exportable."""

import hashlib
import json

import pytest
import rfc8785
import sqlalchemy as sa

from kracht.basics.errors import NotAllowed
from kracht.storage import audit, audit_check
from kracht.storage.database import engine_for, session
from kracht.storage.merkle import root_of
from kracht.storage.tables import AuditEvent
from kracht.workflow.definition import WORKFLOW_VERSION
from kracht.workflow.services import auditing
from tests import factories as f
from tests.factories import make_application, run


def _raw(url, sql):
    with engine_for(url).begin() as connection:
        connection.exec_driver_sql(sql)


def _drop_guard_triggers(url):
    if url.startswith("sqlite"):
        _raw(url, "DROP TRIGGER audit_event_no_update")
        _raw(url, "DROP TRIGGER audit_event_no_delete")
    else:
        _raw(url, "DROP TRIGGER audit_event_append_only ON audit_event")


def test_chain_is_intact_after_a_whole_lifecycle(any_world):
    make_application(any_world, stage="closed")

    verdict = run(
        any_world.url,
        f.AUDITOR,
        auditing.verify,
    )

    with session(any_world.url) as db:
        events = audit.history(db)
    leaves = [bytes.fromhex(e["hash"]) for e in events]  # format 2: the hash is the leaf
    assert verdict == audit_check.Verdict(
        intact=True, events=len(events), root=root_of(leaves).hex()
    )
    assert len(events) > 20
    assert {e["format"] for e in events} == {2}


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_event SET reason = 'rewritten' WHERE seq = 3",
        "DELETE FROM audit_event WHERE seq = 3",
    ],
)
def test_database_refuses_update_and_delete_on_audit_events(any_world, sql):
    with pytest.raises(sa.exc.DBAPIError) as error:
        _raw(any_world.url, sql)

    assert "audit_event is append-only" in str(error.value)


def test_a_row_altered_behind_the_engines_back_is_named(any_world):
    make_application(any_world, stage="steering_decision")
    _drop_guard_triggers(any_world.url)

    _raw(any_world.url, "UPDATE audit_event SET actor = 'mallory@example.org' WHERE seq = 12")

    verdict = run(
        any_world.url,
        f.AUDITOR,
        auditing.verify,
    )
    assert (verdict.intact, verdict.broken_seq, verdict.events) == (False, 12, 11)
    assert verdict.problem == "its actor column does not match its stored bytes (altered)"


def test_an_events_stored_bytes_altered_are_named(any_world):
    make_application(any_world, stage="steering_decision")
    _drop_guard_triggers(any_world.url)
    with session(any_world.url) as db:
        body = db.get(AuditEvent, 5).body
    forged = body.replace(b'"outcome":"ok"', b'"outcome":"no"')
    assert forged != body
    with engine_for(any_world.url).begin() as connection:
        connection.execute(sa.update(AuditEvent).where(AuditEvent.seq == 5).values(body=forged))

    verdict = run(any_world.url, f.AUDITOR, auditing.verify)

    assert (verdict.broken_seq, verdict.events) == (5, 4)
    assert verdict.problem == "its stored bytes do not match its hash (altered)"


def test_a_deleted_event_is_named_by_the_one_after_it(any_world):
    make_application(any_world, stage="kracht_scoring")
    _drop_guard_triggers(any_world.url)

    _raw(any_world.url, "DELETE FROM audit_event WHERE seq = 7")

    verdict = run(
        any_world.url,
        f.AUDITOR,
        auditing.verify,
    )
    assert (verdict.intact, verdict.broken_seq) == (False, 8)
    assert verdict.problem == "expected event #7 here, found #8 (missing event)"


def test_a_deleted_last_event_is_caught_by_the_chain_head(any_world):
    make_application(any_world, stage="idea")
    _drop_guard_triggers(any_world.url)
    with session(any_world.url) as db:
        last = audit.history(db)[-1]["seq"]

    _raw(any_world.url, f"DELETE FROM audit_event WHERE seq = {last}")

    verdict = run(
        any_world.url,
        f.AUDITOR,
        auditing.verify,
    )
    assert (verdict.intact, verdict.broken_seq) == (False, last)
    assert verdict.problem == "the chain ends before its recorded head"


def test_a_rehashed_forgery_breaks_the_link_to_the_next_event(world):
    """Recomputing the altered event's own hash does not help: the next event points at the old."""
    make_application(world, stage="kracht_scoring")
    _drop_guard_triggers(world.url)
    with session(world.url) as db:
        event = next(e for e in audit.history(db, salted=True) if e["seq"] == 9)
    event["reason"] = "forged"
    body = audit.canonical_bytes(event).hex()
    _raw(
        world.url,
        f"UPDATE audit_event SET reason = 'forged', body = X'{body}', "
        f"hash = '{audit.event_hash(event)}' WHERE seq = 9",
    )

    verdict = run(
        world.url,
        f.AUDITOR,
        auditing.verify,
    )

    assert (verdict.broken_seq, verdict.problem) == (
        10,
        "its previous-hash does not match the event before it",
    )


def test_jsonl_export_can_be_verified_without_kracht(world):
    make_application(world, stage="monitoring")

    lines = list(run(world.url, f.AUDITOR, auditing.export, "jsonl"))

    previous = "0" * 64
    for line in lines:
        event = json.loads(line)
        hashed = {k: event[k] for k in (*audit.HASHED, "format")}
        assert event["prev_hash"] == previous
        assert hashlib.sha256(b"\x00" + rfc8785.dumps(hashed)).hexdigest() == event["hash"]
        previous = event["hash"]
    assert (
        len(lines)
        == run(
            world.url,
            f.AUDITOR,
            auditing.verify,
        ).events
    )


def test_csv_export_has_a_header_and_one_row_per_event(world):
    make_application(world, stage="innovation_table")

    lines = list(run(world.url, f.AUDITOR, auditing.export, "csv"))

    assert lines[0].split(",")[:3] == ["seq", "at", "actor"]
    assert (
        len(lines) - 1
        == run(
            world.url,
            f.AUDITOR,
            auditing.verify,
        ).events
    )


def test_only_auditors_and_programme_leaders_read_the_whole_trail(world):
    with pytest.raises(NotAllowed) as error:
        run(
            world.url,
            f.MEMBER,
            auditing.verify,
        )

    assert str(error.value) == (
        f"{f.MEMBER} (committee_member) may not verify the audit trail: needs the role "
        "auditor or programme_leader"
    )


def test_every_event_records_who_when_what_and_why(world):
    app_id = make_application(world, stage="steering_decision")
    world.fire(
        app_id,
        "reject",
        f.STEERING,
        reason="no co-financing in practice",
        values={"departure_rationale": "no business really involved"},
    )

    with session(world.url) as db:
        event = audit.history(db, app_id)[-1]

    assert event["actor"] == f.STEERING
    assert event["roles"] == "steering_member"
    assert event["at"].endswith("+00:00")
    assert (event["application_id"], event["trigger"]) == (app_id, "reject")
    assert (event["from_state"], event["to_state"]) == ("steering_decision", "rejected")
    assert event["reason"] == "no co-financing in practice"
    assert event["payload"]["workflow_version"] == WORKFLOW_VERSION
    assert event["payload"]["values"] == {"departure_rationale": "no business really involved"}
    assert event["payload"]["effects"]["follows_advice"] is False
