"""`kracht audit verify`: events verified per second, beside bare hashlib.sha256 on the same bytes.

What it measures: a chain of N audit events (default 20,000) is appended with the real
`storage.audit.append`, in the shapes the engine writes (create, record with stage data, fire
with a reason). Then, on that chain:
  - verify in process: `storage.audit.verify` in a read transaction, which reads every event,
    rebuilds its canonical bytes and checks seq, previous hash and SHA-256;
  - verify as a command: `kracht audit verify`, the whole process (start-up included);
  - the floor: bare `hashlib.sha256(...).hexdigest()` over the very bytes verify hashes
    (`storage.audit.canonical_bytes` of each event, built beforehand and not timed);
  - where verify's time goes: reading the rows alone, and canonical bytes + SHA-256 alone.
Each in-process figure is the best of several runs (5; the floor, which is short, 20).

Target: verify within 3x of the floor (floor rate / verify rate <= 3).

Run from the repository root:  .venv/bin/python bench/audit_verify.py [EVENTS]   (default 20000)
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from storage import audit
from storage.database import engine_for, migrate, session
from workflow import directory

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
    return dict(application_id=app_id, **shapes[n % 4])


def build_chain(url: str, count: int) -> None:
    """A programme leader (who may verify), then `count` events through `audit.append`."""
    migrate(url)
    directory.add_person(url, None, name="Leader", email=LEADER, roles=["programme_leader"])
    for start in range(0, count - 1, BATCH):  # the person's own event is the first
        with session(url, write=True) as db:
            for n in range(start, min(start + BATCH, count - 1)):
                audit.append(db, actor=LEADER, roles="programme_leader", **event_fields(n))


def best_of(runs: int, work: Callable[[], object]) -> float:
    """The fastest of `runs` timings of `work`, in seconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def verify_in_process(url: str, count: int) -> None:
    with session(url) as db:
        verdict = audit.verify(db)
    assert verdict.intact, verdict
    assert verdict.events == count, verdict


def read_rows(url: str) -> list[dict[str, object]]:
    """The rows exactly as verify reads them (its own batched query)."""
    with session(url) as db:
        return [dict(row._mapping) for row in audit._events(db, 5000)]


def verify_command(path: Path) -> float:
    """Wall seconds of one `kracht audit verify` process."""
    command = [str(KRACHT), "--db", str(path), "--as", LEADER, "audit", "verify"]
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main(count: int) -> None:
    with tempfile.TemporaryDirectory(prefix="kracht-bench-") as tmp:
        path = Path(tmp) / "kracht.db"
        url = f"sqlite:///{path}"
        build_chain(url, count)
        verify_seconds = best_of(5, lambda: verify_in_process(url, count))
        read_seconds = best_of(5, lambda: read_rows(url))
        rows = read_rows(url)
        hash_seconds = best_of(5, lambda: [audit.event_hash(r) == r["hash"] for r in rows])
        blobs = [audit.canonical_bytes(row) for row in rows]
        assert all(
            hashlib.sha256(b).hexdigest() == r["hash"] for b, r in zip(blobs, rows, strict=True)
        )
        floor_seconds = best_of(20, lambda: [hashlib.sha256(b).hexdigest() for b in blobs])
        command_seconds = min(verify_command(path) for _ in range(3))
        engine_for(url).dispose()

    size = sum(len(b) for b in blobs) / len(blobs)
    ratio = verify_seconds / floor_seconds
    print(f"audit verify over a chain of {count} events ({size:.0f} canonical bytes an event)")
    print(f"  storage.audit.verify     {count / verify_seconds:10.0f} events/s")
    print(f"  kracht audit verify      {count / command_seconds:10.0f} events/s"
          f"  (whole process, {command_seconds:.2f} s)")  # fmt: skip
    print(f"  bare hashlib.sha256      {count / floor_seconds:10.0f} events/s  (the floor)")
    print(f"  of which: reading rows   {count / read_seconds:10.0f} events/s"
          f"  ({read_seconds / verify_seconds:.0%} of verify)")  # fmt: skip
    print(f"  of which: canonical+hash {count / hash_seconds:10.0f} events/s"
          f"  ({hash_seconds / verify_seconds:.0%} of verify)")  # fmt: skip
    verdict = "PASS" if ratio <= TARGET else "MISS"
    print(f"  verify is {ratio:.1f}x slower than the floor; target <= {TARGET:.0f}x: {verdict}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
