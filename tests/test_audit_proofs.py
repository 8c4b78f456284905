"""Checkpoints, proofs and the tamper matrix: with the database's guards dropped, as an
administrator could, each way of changing the trail behind kracht's back is detected against a
checkpoint kept earlier, and named."""

import datetime as dt

import pytest
import sqlalchemy as sa

from kracht.basics.checkpoints import BadCheckpoint, SigningKey, read_verifier
from kracht.basics.errors import InvalidInput, NotAllowed
from kracht.cli import main
from kracht.storage import audit_check, clock, merkle
from kracht.storage.audit_chain import Chain
from kracht.storage.database import engine_for, session
from kracht.storage.tables import AuditEvent, AuditHead, AuditNode
from kracht.workflow.services import auditing
from tests import factories as f
from tests.factories import make_application, run

NAME = "agendavoortwente.nl/kracht"
FIELDS = ("at", "actor", "roles", "application_id", "action", "trigger", "from_state",
          "to_state", "outcome", "reason", "payload")  # fmt: skip


@pytest.fixture(scope="module")
def key():
    return SigningKey.generate(NAME)


def _checkpoint(url, key):
    return key.verifier().open(run(url, f.AUDITOR, auditing.checkpoint, key))


def _against(url, *points):
    checked = run(url, f.AUDITOR, auditing.verify_against, list(points))
    return checked.verdict, checked.against


def _unguarded(url):
    """The append-only triggers dropped, as the database's administrator could."""
    with engine_for(url).begin() as connection:
        if url.startswith("sqlite"):
            for table in ("audit_event", "audit_node"):
                for verb in ("update", "delete"):
                    connection.exec_driver_sql(f"DROP TRIGGER {table}_no_{verb}")
        else:
            connection.exec_driver_sql("DROP TRIGGER audit_event_append_only ON audit_event")
            connection.exec_driver_sql("DROP TRIGGER audit_node_append_only ON audit_node")


def _cut(url, keep):
    """Delete every event after #keep and reset the head and the tree to match, as a careful
    administrator would (so that kracht appends after #keep again)."""
    with engine_for(url).begin() as connection:
        connection.execute(sa.delete(AuditEvent).where(AuditEvent.seq > keep))
        leaves = connection.execute(
            sa.select(AuditNode.hash).where(AuditNode.level == 0, AuditNode.idx < keep)
            .order_by(AuditNode.idx)
        ).scalars().all()  # fmt: skip
        for level in range(48):  # every node reaching past #keep, at every height
            beyond = sa.and_(AuditNode.level == level, AuditNode.idx >= keep >> level)
            connection.execute(sa.delete(AuditNode).where(beyond))
        frontier = merkle.Frontier()
        for leaf in leaves:
            frontier.append(leaf)
        last = connection.execute(sa.select(AuditEvent.hash).where(AuditEvent.seq == keep)).scalar()
        connection.execute(
            sa.update(AuditHead).values(
                seq=keep, hash=last, frontier="".join(h.hex() for h in frontier.hashes)
            )
        )


def _rewrite(url, start, change):
    """Rewrite every event from #start on, `change` applied to #start, every byte, hash, tree
    node and the head recomputed: a full rewrite that verifies on its own."""
    with session(url, write=True) as db:
        events = (
            db.exec(sa.select(AuditEvent).where(AuditEvent.seq >= start).order_by(AuditEvent.seq))
            .scalars()
            .all()
        )
        kept = [dict(e.__dict__) for e in events]
    _cut(url, start - 1)
    with session(url, write=True) as db:
        head = db.get(AuditHead, 1)
        chain = Chain.from_head(head.seq, head.hash, head.format, head.frontier)
        for number, event in enumerate(kept):
            fields = {k: event[k] for k in FIELDS}
            row, nodes = chain.add(change(fields) if number == 0 else fields)
            db.add(AuditEvent(**row))
            db.add_all(AuditNode(**node) for node in nodes)
            db.flush()
        moved = chain.head()
        head.seq, head.hash, head.frontier = (
            moved["new_seq"],
            moved["new_hash"],
            moved["new_frontier"],
        )


def _ten_times(fields):
    return {
        **fields,
        "reason": (fields["reason"] or "") + " (x10)",
        "payload": {**fields["payload"], "amount": 10},
    }


@pytest.fixture
def kept(any_world, key):
    """A trail with a checkpoint kept after its first application reached the steering
    committee, and more events since."""
    make_application(any_world, stage="steering_decision")
    point = _checkpoint(any_world.url, key)
    make_application(any_world, stage="innovation_table", title="Twents Huis van de Logistiek")
    return any_world, point


def test_an_untouched_trail_extends_every_checkpoint_kept(kept, key):
    world, point = kept
    later = _checkpoint(world.url, key)

    verdict, results = _against(world.url, point, later)

    assert verdict.intact
    assert [r.case for r in results] == [None, None]
    assert point.size < later.size == verdict.events
    assert verdict.roots[point.size] == point.root.hex()


def test_an_edited_event_is_named(kept):
    world, point = kept
    _unguarded(world.url)
    with engine_for(world.url).begin() as connection:
        connection.execute(sa.update(AuditEvent).where(AuditEvent.seq == 6).values(reason="none"))

    verdict, _ = _against(world.url, point)

    assert (verdict.intact, verdict.broken_seq) == (False, 6)
    assert verdict.problem == "its reason column does not match its stored bytes (altered)"


def test_a_deleted_event_is_named(kept):
    world, point = kept
    _unguarded(world.url)
    with engine_for(world.url).begin() as connection:
        connection.execute(sa.delete(AuditEvent).where(AuditEvent.seq == 6))

    verdict, _ = _against(world.url, point)

    assert (verdict.intact, verdict.broken_seq) == (False, 7)
    assert verdict.problem == "expected event #6 here, found #7 (missing event)"


def test_a_cut_tail_is_named_though_the_rest_verifies_on_its_own(kept):
    world, point = kept
    _unguarded(world.url)
    _cut(world.url, point.size - 3)

    alone = run(world.url, f.AUDITOR, auditing.verify)
    verdict, (result,) = _against(world.url, point)

    assert alone.intact
    assert verdict.intact
    assert result.case == "cut"
    assert result.detail == f"events #{point.size - 2} to #{point.size} are gone"


def test_a_cut_tail_refilled_by_kracht_afterwards_is_named_with_the_first_new_event(kept):
    world, point = kept
    _unguarded(world.url)
    _cut(world.url, point.size - 3)
    with clock.frozen(clock.now() + dt.timedelta(hours=1)):
        make_application(world, stage="idea", title="Forged in afterwards")

    verdict, (result,) = _against(world.url, point)

    assert verdict.intact
    assert verdict.events > point.size
    assert result.case == "cut and refilled"
    assert result.detail.startswith(
        f"events #{point.size - 2} to #{point.size} were recorded after the checkpoint was signed"
    )


def test_a_full_rewrite_with_every_hash_recomputed_is_named(kept):
    world, point = kept
    _unguarded(world.url)
    _rewrite(world.url, 5, _ten_times)

    alone = run(world.url, f.AUDITOR, auditing.verify)
    verdict, (result,) = _against(world.url, point)

    assert alone.intact
    assert verdict.intact
    assert result.case == "rewritten"
    assert result.detail == (
        f"the first {point.size} events are not the ones checkpointed (their hashes were "
        "recomputed)"
    )


def test_a_tree_altered_beside_intact_events_is_named(kept):
    world, point = kept
    _unguarded(world.url)
    with engine_for(world.url).begin() as connection:
        connection.execute(sa.update(AuditNode).where(AuditNode.level > 0).values(hash=b"\0" * 32))

    verdict, _ = _against(world.url, point)

    assert (verdict.intact, verdict.broken_seq) == (False, 1)
    assert verdict.problem == "its tree node (level 1, 0) is not the events' (altered)"


def test_a_tree_node_deleted_is_named(kept):
    world, point = kept
    _unguarded(world.url)
    with engine_for(world.url).begin() as connection:
        connection.execute(sa.delete(AuditNode).where(AuditNode.level == 0, AuditNode.idx == 3))

    verdict, _ = _against(world.url, point)

    assert not verdict.intact
    assert verdict.problem == "1 nodes of the Merkle tree are missing (deleted)"


def test_an_inclusion_proof_leads_from_the_event_to_the_checkpoints_root(kept):
    world, point = kept
    for seq in (1, 7, point.size):
        proof = run(world.url, f.AUDITOR, auditing.prove, seq, NAME, point.size)
        path = [bytes.fromhex(h) for h in proof["path"]]
        leaf = bytes.fromhex(proof["leaf_hash"])
        assert proof["root"] == point.root.hex()
        assert merkle.verify_inclusion(seq - 1, point.size, leaf, path, point.root)
        assert len(path) <= point.size.bit_length()
    with session(world.url) as db:
        assert (
            db.exec(sa.select(AuditEvent.hash).where(AuditEvent.seq == 7)).scalar()
            == run(world.url, f.AUDITOR, auditing.prove, 7, NAME)["leaf_hash"]
        )


def test_a_consistency_proof_leads_from_the_checkpoint_to_todays_tree(kept):
    world, point = kept
    proof = run(world.url, f.AUDITOR, auditing.consistency, point.size, NAME)

    path = [bytes.fromhex(h) for h in proof["path"]]
    assert proof["old_root"] == point.root.hex()
    assert merkle.verify_consistency(
        point.size, proof["new_size"], point.root, bytes.fromhex(proof["new_root"]), path
    )


def test_proofs_for_events_the_tree_does_not_hold_are_refused_by_field(kept):
    world, point = kept
    with pytest.raises(InvalidInput) as beyond:
        run(world.url, f.AUDITOR, auditing.prove, point.size + 1, NAME, point.size)
    with pytest.raises(InvalidInput) as bigger:
        run(world.url, f.AUDITOR, auditing.prove, 1, NAME, 10**6)

    assert (beyond.value.field, bigger.value.field) == ("seq", "seq")
    assert str(beyond.value) == (
        f"event #{point.size + 1} is not in a tree of {point.size} events (give 1 to {point.size})"
    )


def test_only_auditors_and_programme_leaders_sign_and_prove(any_world, key):
    with pytest.raises(NotAllowed):
        run(any_world.url, f.MEMBER, auditing.checkpoint, key)
    with pytest.raises(NotAllowed):
        run(any_world.url, f.APPLICANT, auditing.prove, 1, NAME)


def test_a_checkpoint_altered_or_signed_by_another_key_does_not_open(world, key):
    make_application(world, stage="idea")
    text = run(world.url, f.AUDITOR, auditing.checkpoint, key)
    size = text.splitlines()[1]

    with pytest.raises(BadCheckpoint) as grown:
        key.verifier().open(text.replace(f"\n{size}\n", f"\n{int(size) + 1}\n"))
    with pytest.raises(BadCheckpoint) as foreign:
        SigningKey.generate(NAME).verifier().open(text)
    opened = key.verifier().open(text)

    assert str(grown.value) == f"its signature does not verify with the key of {NAME}"
    assert str(foreign.value) == str(grown.value)
    assert opened.size == int(size)
    assert abs(opened.time - clock.now().timestamp()) < 60


def test_the_command_line_signs_proves_and_names_a_cut_tail(world, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KRACHT_DB", world.url.removeprefix("sqlite:///"))
    monkeypatch.setenv("KRACHT_USER", f.AUDITOR)
    make_application(world, stage="steering_decision")
    keyfile = tmp_path / "audit.key"

    made = main(["audit", "keygen", "--name", NAME, "--out", str(keyfile)])
    monkeypatch.setenv("KRACHT_AUDIT_KEY", str(keyfile))
    signed = main(["audit", "checkpoint", "--out", str(tmp_path / "cp")])
    proved = main(["audit", "prove", "3", "--checkpoint", str(tmp_path / "cp")])
    out = capsys.readouterr().out
    _unguarded(world.url)
    size = int((tmp_path / "cp").read_text().splitlines()[1])
    _cut(world.url, size - 1)
    vkey = str(tmp_path / "audit.key.pub")
    broken = main(["audit", "verify", "--against", str(tmp_path / "cp"), "--key", vkey])
    err = capsys.readouterr().err

    assert (made, signed, proved, broken) == (0, 0, 0, 7)
    assert oct(keyfile.stat().st_mode & 0o777) == "0o600"
    assert read_verifier((tmp_path / "audit.key.pub").read_text(), "pub").name == NAME
    assert '"proof": "inclusion"' in out
    assert err.splitlines()[-1] == (
        f"kracht: the trail does not extend checkpoint {tmp_path / 'cp'} ({size} events): "
        f"cut: events #{size} to #{size} are gone"
    )
    assert err.startswith("kracht: the tables differ from the trail: application row 1: state ")


def test_a_gap_before_the_last_event_of_a_batch_is_named(kept):
    world, _ = kept
    _unguarded(world.url)
    with session(world.url) as db:
        size = db.get(AuditHead, 1).seq
    with engine_for(world.url).begin() as connection:
        connection.execute(sa.delete(AuditEvent).where(AuditEvent.seq == size - 1))
    verdicts = []
    for batch in (3, 7, 10, size - 1):
        with session(world.url) as db:
            verdicts.append(audit_check.verify(db, batch=batch))

    assert {(v.intact, v.broken_seq, v.problem) for v in verdicts} == {
        (False, size, f"expected event #{size - 1} here, found #{size} (missing event)")
    }


def test_hostile_or_mangled_checkpoints_are_refused_in_one_line_and_copies_still_open(world, key):
    import random

    make_application(world, stage="idea")
    text = run(world.url, f.AUDITOR, auditing.checkpoint, key)
    body, _, signatures = text.partition("\n\n")
    log, cosigned = signatures.splitlines()
    verifier = key.verifier()

    assert verifier.open(text.replace("\n", "\r\n")).size == verifier.open(text).size
    assert verifier.open(text.rstrip("\n")).time is not None
    refused = {
        "a non-ASCII signature": text.replace(log, log + "é"),
        "a bogus line of the log's": text + f"\u2014 {NAME} AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
        "a timestamp changed": text.replace(cosigned, cosigned[:-8] + "AAAAAAA="),
        "an extension line": text.replace(body, body + "\nextra"),
        "no signatures": body + "\n",
    }
    for mangled in refused.values():
        with pytest.raises(BadCheckpoint):
            verifier.open(mangled)
    chance = random.Random(15)
    for _ in range(2000):  # random damage: refused as a checkpoint, never a crash
        damaged = list(text)
        for _ in range(chance.randint(1, 4)):
            damaged[chance.randrange(len(damaged))] = chance.choice("a0+/=\n é\u2014\r")
        try:
            verifier.open("".join(damaged))
        except BadCheckpoint:
            pass
