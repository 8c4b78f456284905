"""`kracht audit verify`: events verified per second, beside bare hashlib.sha256 on the same bytes.

What it measures: a chain of N audit events (default 20,000) is appended with the real
`storage.audit.append`, in the shapes the engine writes (create, record with stage data, fire
with a reason); each is stored as its canonical bytes (audit format 2). Then, round after
round (7 by default), on that chain:
  - the proof pass: `storage.audit_check.proof_pass` and the Merkle tree built from its leaves, what
    proving the trail needs: every event read as stored (seq, links, format, bytes), its bytes
    hashed as stored and checked against its hash, then the tree over the leaves;
  - the floor: bare `hashlib.sha256(b"\\x00" + body).digest()` over the very bytes stored (read
    once beforehand, not timed);
  - verify: `workflow.auditing.verify`, the whole chain check `kracht audit verify` makes: the
    proof pass, then every event's columns against its stored bytes (parsing each);
  - the command: `kracht audit verify`, the whole process, on the chain and on a chain of one
    event (the start-up every run pays). The events name no application, so the command's
    comparison of the tables with the trail has nothing to rebuild here.
Printed: the median over the rounds with its min-max, and the median of the per-round ratios.

Target: the proof pass within 3x of the floor (its time / the floor's, same round, at most 3).

Run from the repository root:  .venv/bin/python bench/audit_verify.py [EVENTS] [ROUNDS]
(default 20000 7)
"""

from __future__ import annotations

import hashlib
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from kracht.storage import audit, audit_check, merkle
from kracht.storage.database import engine_for, migrate, session
from kracht.workflow.services import auditing, directory
from kracht.workflow.unit import Units

LEADER = "leader@example.org"
KRACHT = Path(sys.executable).with_name("kracht")
TARGET = 3.0
BATCH = 2000


def event_fields(n: int) -> dict[str, object]:
    """The n-th event, cycling through the shapes the engine appends for one application."""
    app_id = n // 4 + 1
    shapes = [
        dict(action="create", to_state="idea",
             payload={"title": f"TalentIT Twente {app_id}", "requested_cents": 6438900,
                      "workflow_version": 3, "source": "cli"}),
        dict(action="record", from_state="idea", to_state="idea",
             payload={"section": "idea", "values": {"quickscan": "promising: need, partners, fit"},
                      "previous_values": {}}),
        dict(action="fire", trigger="present_at_table", from_state="idea",
             to_state="innovation_table", payload={"workflow_version": 3}),
        dict(action="fire", trigger="withdraw", from_state="innovation_table",
             to_state="withdrawn", reason="the partners left", payload={"workflow_version": 3}),
    ]  # fmt: skip
    del app_id  # the events name no application: the command's comparison of the tables with
    return dict(application_id=None, **shapes[n % 4])  # the trail then has none to rebuild


def build_chain(url: str, count: int) -> None:
    """A programme leader (who may verify), then `count` events through `audit.append`."""
    migrate(url)
    Units(url).run(
        None, directory.add_person, name="Leader", email=LEADER, roles=["programme_leader"]
    )
    for start in range(0, count - 1, BATCH):  # the person's own event is the first
        with session(url, write=True) as db:
            for n in range(start, min(start + BATCH, count - 1)):
                audit.append(db, actor=LEADER, roles="programme_leader", **event_fields(n))


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def verify(url: str, count: int) -> None:
    verdict = Units(url).run(
        LEADER,
        auditing.verify,
    )
    assert verdict.intact, verdict
    assert verdict.events == count, verdict


def proof_pass(url: str, count: int) -> None:
    with session(url) as db:
        walk, problem = audit_check.proof_pass(db)
        assert problem is None, problem
        assert len(walk.leaves) == count
        merkle.Levels(walk.leaves).root(count)


def bodies(path: Path) -> list[bytes]:
    """The stored bytes of every event, through bare sqlite3."""
    db = sqlite3.connect(path)
    found = [b for (b,) in db.execute("SELECT body FROM audit_event ORDER BY seq")]
    db.close()
    return found


def read_bare(path: Path) -> int:
    """What the proof pass reads, in chain order, through bare sqlite3."""
    db = sqlite3.connect(path)
    query = "SELECT seq, prev_hash, hash, format, action, body, id FROM audit_event ORDER BY seq"
    rows = db.execute(query).fetchall()
    db.close()
    return len(rows)


def verify_command(path: Path) -> float:
    """Wall seconds of one `kracht audit verify` process."""
    command = [str(KRACHT), "--db", str(path), "--as", LEADER, "audit", "verify"]
    return timed(lambda: subprocess.run(command, check=True, stdout=subprocess.DEVNULL))


def spread(values: list[float], scale: float = 1.0, fmt: str = ".0f") -> str:
    """'median (min-max)' of `values` times `scale`."""
    low, mid, high = (scale * v for v in (min(values), statistics.median(values), max(values)))
    return f"{mid:{fmt}} ({low:{fmt}}-{high:{fmt}})"


def main(count: int, rounds: int) -> None:
    seconds: dict[str, list[float]] = {
        k: [] for k in ("proof", "floor", "verify", "bare read", "command", "one event")
    }
    with tempfile.TemporaryDirectory(prefix="kracht-bench-") as tmp:
        path, small = Path(tmp) / "kracht.db", Path(tmp) / "one-event.db"
        url = f"sqlite:///{path}"
        build_chain(url, count)
        build_chain(f"sqlite:///{small}", 1)
        blobs = bodies(path)
        assert len(blobs) == count
        assert all(blobs)
        sha256 = hashlib.sha256
        verify(url, count)  # warm-up: pages in the cache, statements compiled
        verify_command(path)
        for _ in range(rounds):
            seconds["floor"].append(timed(lambda: [sha256(b"\x00" + b).digest() for b in blobs]))
            seconds["proof"].append(timed(lambda: proof_pass(url, count)))
            seconds["verify"].append(timed(lambda: verify(url, count)))
            seconds["bare read"].append(timed(lambda: read_bare(path)))
            seconds["command"].append(verify_command(path))
            seconds["one event"].append(verify_command(small))
        engine_for(url).dispose()

    rate = {k: [count / s for s in v] for k, v in seconds.items()}
    ratios = [p / f for p, f in zip(seconds["proof"], seconds["floor"], strict=True)]
    verify_ratios = [v / f for v, f in zip(seconds["verify"], seconds["floor"], strict=True)]
    read_ratios = [r / f for r, f in zip(seconds["bare read"], seconds["floor"], strict=True)]
    beyond = [c - e for c, e in zip(seconds["command"], seconds["one event"], strict=True)]
    size = sum(len(b) for b in blobs) / len(blobs)
    print(f"audit verify over a chain of {count} events ({size:.0f} stored bytes an event),"
          f" {rounds} rounds; median (min-max)")  # fmt: skip
    print(f"  proof pass + Merkle tree    {spread(rate['proof']):>26} events/s")
    print(f"  bare hashlib.sha256         {spread(rate['floor']):>26} events/s  (the floor)")
    print(f"  bare sqlite3, same columns  {spread(rate['bare read']):>26} events/s"
          f"  (reading alone: {spread(read_ratios, fmt='.1f')}x the floor)")  # fmt: skip
    print(f"  verify (workflow.auditing)  {spread(rate['verify']):>26} events/s"
          f"  (with the columns pass: {spread(verify_ratios, fmt='.1f')}x the floor)")  # fmt: skip
    took = spread(seconds["command"], 1e3)
    print(f"  kracht audit verify         {spread(rate['command']):>26} events/s"
          f"  (whole process, {took} ms)")  # fmt: skip
    print(f"  the same, 1-event chain     {spread(seconds['one event'], 1e3):>26} ms"
          "  (start-up)")  # fmt: skip
    print(f"  command beyond start-up     {spread([count / b for b in beyond]):>26} events/s")
    ratio = statistics.median(ratios)
    verdict = "PASS" if ratio <= TARGET else "MISS"
    print(f"  proof pass / floor          {spread(ratios, fmt='.1f'):>26}x;"
          f" target <= {TARGET:.0f}x: {verdict}")  # fmt: skip


if __name__ == "__main__":
    arguments = [int(a) for a in sys.argv[1:3]]
    main(*arguments, *(20_000, 7)[len(arguments) :])
