"""What auditors do: verify the chain, export it for their own tools, sign checkpoints of its
Merkle tree, prove events and extensions against them, and verify the trail against one."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from typing_extensions import TypedDict

from kracht.basics import moments
from kracht.basics.actors import require
from kracht.basics.checkpoints import Checkpoint, SigningKey
from kracht.basics.csv_safe import csv_line
from kracht.basics.errors import InvalidInput
from kracht.storage import audit, audit_check, audit_tree, clock, ledger, merkle, repository
from kracht.workflow import agreement, replay
from kracht.workflow.agreement import Disagreement
from kracht.workflow.services.applications import READERS_OF_AUDIT
from kracht.workflow.unit import Unit, reads, writes

FORMATS = ("csv", "jsonl")


@reads
def verify(unit: Unit) -> audit_check.Verdict:
    require(unit.actor, READERS_OF_AUDIT, "verify the audit trail")
    return audit_check.verify(unit.db)


@reads
def export(unit: Unit, fmt: str) -> list[str]:
    """The whole chain as CSV or JSON Lines, in chain order, one string per line; with each
    payload's salt, so that an auditor's own tools can recompute every hash. Recompute from
    JSON Lines: it holds every value as recorded, while a CSV cell that a spreadsheet would run
    as a formula starts with a quote (workflow.csv_safe)."""
    if fmt not in FORMATS:
        raise InvalidInput(f"format {fmt!r} is not one of " + ", ".join(FORMATS))
    require(unit.actor, READERS_OF_AUDIT, "export the audit trail")
    events = audit.history(unit.db, salted=True)
    if fmt == "jsonl":
        return [json.dumps(event, ensure_ascii=False, sort_keys=True) for event in events]
    columns = list(events[0]) if events else list(audit.HASHED) + ["hash"]
    return [csv_line(columns)] + [csv_line([_cell(event[c]) for c in columns]) for event in events]


def _cell(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return "" if value is None else str(value)


# -- the tree: checkpoints, proofs, and verifying against a checkpoint ---------------------------


class InclusionProof(TypedDict):
    """That event `seq` is leaf seq-1 of the tree of `tree_size` events (RFC 9162 2.1.3)."""

    proof: str  # "inclusion"
    origin: str
    seq: int
    tree_size: int
    leaf_hash: str
    path: list[str]
    root: str


class ConsistencyProof(TypedDict):
    """That the tree of `new_size` events extends the one of `old_size` (RFC 9162 2.1.4)."""

    proof: str  # "consistency"
    origin: str
    old_size: int
    new_size: int
    old_root: str
    new_root: str
    path: list[str]


@reads
def checkpoint(unit: Unit, key: SigningKey | None = None) -> str:
    """The tree as it stands, signed with `key` (else the key the settings name, read only
    once the reader may sign): a C2SP checkpoint (basics/checkpoints.py)."""
    require(unit.actor, READERS_OF_AUDIT, "sign a checkpoint of the audit trail")
    key = key if key is not None else configured_key(unit.settings)
    size, root = audit_tree.size_and_root(unit.db)
    return key.sign(size, root, int(clock.now().timestamp()))


def configured_key(settings: Any) -> SigningKey:
    """The signing key `[audit] key` names; refused in one line when there is none."""
    from pathlib import Path

    from kracht.basics.checkpoints import read_signing_key
    from kracht.basics.errors import NotFound
    from kracht.basics.files import read_text

    where = settings.audit.key
    if not where:
        raise NotFound("checkpoint signing key", "[audit] key", within="the settings")
    return read_signing_key(read_text(Path(where)), "the audit signing key")


@reads
def prove(unit: Unit, seq: int, origin: str, size: int | None = None) -> InclusionProof:
    """The inclusion proof of event `seq` in the tree of `size` events (the whole tree when
    None), from the nodes kracht keeps."""
    require(unit.actor, READERS_OF_AUDIT, "prove an event of the audit trail")
    whole, _ = audit_tree.size_and_root(unit.db)
    size = whole if size is None else size
    if not 1 <= seq <= size <= whole:
        raise InvalidInput(_no_event(seq, size, whole), field="seq")
    ranges = merkle.inclusion_ranges(seq - 1, size)
    nodes = audit_tree.nodes(unit.db, merkle.needed([*ranges, (seq - 1, seq), (0, size)]))
    return {
        "proof": "inclusion",
        "origin": origin,
        "seq": seq,
        "tree_size": size,
        "leaf_hash": nodes[(0, seq - 1)].hex(),
        "path": [merkle.range_hash(a, b, nodes).hex() for a, b in ranges],
        "root": merkle.range_hash(0, size, nodes).hex(),
    }


@reads
def consistency(unit: Unit, old: int, origin: str) -> ConsistencyProof:
    """The consistency proof from the tree of `old` events to the whole tree kracht keeps."""
    require(unit.actor, READERS_OF_AUDIT, "prove the audit trail's consistency")
    return _consistency(unit.db, old, origin)


def _consistency(db: Any, old: int, origin: str) -> ConsistencyProof:
    new, root = audit_tree.size_and_root(db)
    if not 0 <= old <= new:
        raise InvalidInput(
            f"the trail holds {new} events, fewer than the {old} of the checkpoint", field="size"
        )
    ranges = merkle.consistency_ranges(old, new) if 0 < old < new else []
    nodes = audit_tree.nodes(db, merkle.needed([*ranges, *([(0, old)] if old else [])]))
    return {
        "proof": "consistency",
        "origin": origin,
        "old_size": old,
        "new_size": new,
        "old_root": (merkle.range_hash(0, old, nodes) if old else merkle.EMPTY_ROOT).hex(),
        "new_root": root.hex(),
        "path": [merkle.range_hash(a, b, nodes).hex() for a, b in ranges],
    }


def _no_event(seq: int, size: int, whole: int) -> str:
    if size > whole:
        return f"the trail holds {whole} events, fewer than the {size} asked for"
    return f"event #{seq} is not in a tree of {size} events (give 1 to {size})"


@dataclass(frozen=True)
class Against:
    """How the trail stands against one checkpoint: `case` None when it extends it."""

    checkpoint: Checkpoint
    case: str | None = None  # cut | cut and refilled | rewritten | tree
    detail: str = ""


@dataclass(frozen=True)
class Checked:
    """The whole check: the chain, each checkpoint, and the tables against the trail."""

    verdict: audit_check.Verdict
    against: list[Against]
    disagreements: list[Disagreement]

    @property
    def holds(self) -> bool:
        return (
            self.verdict.intact
            and not self.disagreements
            and all(a.case is None for a in self.against)
        )


@reads
def verify_against(unit: Unit, checkpoints: list[Checkpoint]) -> Checked:
    """Verify the chain, rebuilding the tree from the events, and hold it against each
    checkpoint (each already opened with its signer's key): the trail must hold at least its
    events, their tree must have its root, and the tree kracht keeps must prove the extension.
    Then rebuild every application from the trail and hold the tables against it."""
    require(unit.actor, READERS_OF_AUDIT, "verify the audit trail")
    moments = {c.time: _moment(c.time) for c in checkpoints if c.time is not None}
    verdict = audit_check.verify(
        unit.db, sizes={c.size for c in checkpoints}, after=set(moments.values())
    )
    if not verdict.intact:
        return Checked(verdict, [], [])
    against = [_against(unit.db, verdict, c, moments) for c in checkpoints]
    records = replay.replay(audit.history(unit.db))
    return Checked(verdict, against, agreement.compare(records, ledger.tables(unit.db)))


def _moment(stamp: int) -> dt.datetime:
    """From when an event was surely recorded after a checkpoint signed at `stamp` (the
    stamp is whole seconds, cut off)."""
    return dt.datetime.fromtimestamp(stamp + 1, dt.UTC)


def _against(
    db: Any, verdict: audit_check.Verdict, point: Checkpoint, moments: dict[int, dt.datetime]
) -> Against:
    if point.size > verdict.events:
        return Against(point, "cut", f"events #{verdict.events + 1} to #{point.size} are gone")
    if verdict.roots[point.size] != point.root.hex():
        later = verdict.first_after.get(moments[point.time]) if point.time is not None else None
        if later is not None and later <= point.size:
            when = _moment(point.time or 0) - dt.timedelta(seconds=1)
            return Against(
                point,
                "cut and refilled",
                f"events #{later} to #{point.size} were recorded after the checkpoint was "
                f"signed ({when:%Y-%m-%d %H:%M:%S} UTC)",
            )
        return Against(
            point,
            "rewritten",
            f"the first {point.size} events are not the ones checkpointed (their hashes "
            "were recomputed)",
        )
    proof = _consistency(db, point.size, point.origin)
    path = [bytes.fromhex(h) for h in proof["path"]]
    if proof["new_root"] != verdict.root or not merkle.verify_consistency(
        point.size, proof["new_size"], point.root, bytes.fromhex(verdict.root or ""), path
    ):
        return Against(
            point, "tree", "the Merkle tree kracht keeps does not prove the extension (altered)"
        )
    return Against(point)


# -- checkpoints sent to the auditors ------------------------------------------------------------


class CheckpointSent(TypedDict):
    """A checkpoint signed and mailed (through the outbox) to every auditor."""

    size: int
    root: str
    auditors: int
    event: int  # the audit event that records it


@writes("audit.checkpoint")
def send_checkpoint(unit: Unit, key: SigningKey, every_days: int) -> CheckpointSent | None:
    """Sign a checkpoint and mail it to every auditor, so that copies live where the database's
    administrator cannot reach them; None when the last one went out less than `every_days`
    days ago, or the trail has not grown since."""
    from kracht.notifications.outbox import add_message

    require(unit.actor, READERS_OF_AUDIT, "send a checkpoint of the audit trail")
    db, now = unit.db, unit.clock.now()
    audit.lock_head(db)  # two schedulers at once: the second waits, then finds it sent
    size, root = audit_tree.size_and_root(db)
    last = audit.last_of(db, CHECKPOINT_SENT)
    if last is not None:
        seq, at = last
        if at > now - dt.timedelta(days=every_days):
            return None
        if not audit.any_since(db, seq, (CHECKPOINT_SENT, "scheduler.tick")):
            return None  # nothing happened since but the scheduler's own bookkeeping
    text = key.sign(size, root, int(now.timestamp()))
    auditors = repository.people_with_role(db, "auditor")
    for person in auditors:
        add_message(
            db, f"{CHECKPOINT_SENT}:{size}:{person.email}", "audit_checkpoint",
            "audit_checkpoint", person, None, "auditor",
            {"checkpoint": text, "size": size, "origin": key.name,
             "signed": moments.moment(now, person.language)},
            templates=unit.settings.templates.folder,
        )  # fmt: skip
    event = audit.append(
        db,
        actor=unit.actor.email,
        roles=unit.actor.roles_text,
        action=CHECKPOINT_SENT,
        payload={"size": size, "root": root.hex(), "origin": key.name, "auditors": len(auditors)},
    )
    return {"size": size, "root": root.hex(), "auditors": len(auditors), "event": event.seq}


CHECKPOINT_SENT = "audit.checkpoint"


def checkpointing(units: Any, actor: Any) -> Any:
    """For the scheduler (notifications.scheduler.tick): a call that sends a checkpoint when
    one is due, with the key `[audit] key` names (read now, so that a bad key stops the start,
    not a round); None without `[audit] checkpoint_days`."""
    from pathlib import Path

    from kracht.basics.checkpoints import read_signing_key
    from kracht.basics.files import read_text

    audit_settings = units.settings.audit
    if not audit_settings.checkpoint_days:
        return None
    if not audit_settings.key:
        raise InvalidInput(
            "settings: [audit] checkpoint_days needs [audit] key, the file the key generator "
            "wrote (or KRACHT_AUDIT_KEY)"
        )
    key = read_signing_key(read_text(Path(audit_settings.key)), audit_settings.key)
    days = audit_settings.checkpoint_days
    return lambda: units.run(actor, send_checkpoint, key, days)
