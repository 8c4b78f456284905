"""`kracht audit verify`: events verified per second, beside bare hashlib.sha256 on the same bytes.

What it measures: a chain of N audit events (default 20,000) is appended with the real
`storage.audit.append`, in the shapes the engine writes (create, record with stage data, fire
with a reason). Then, round after round (7 by default), on that chain:
  - verify: `workflow.auditing.verify`, the function `kracht audit verify` calls (check the
    actor's role, then `storage.audit.verify` in a read transaction, which reads every event,
    rebuilds its canonical bytes and checks seq, previous hash and SHA-256);
  - the floor: bare `hashlib.sha256(...).hexdigest()` over the very bytes verify hashes
    (`storage.audit.canonical_bytes` of each event, built once beforehand and not timed);
  - where verify's time goes: reading the rows alone (verify's own batched query), and
    canonical bytes + SHA-256 alone on rows already read; for scale, the same columns read
    through bare `sqlite3` (one SELECT, no type conversion);
  - the command: `kracht audit verify`, the whole process, on the chain and on a chain of one
    event (the start-up every run pays); their difference is the command beyond start-up.
Printed: the median over the rounds with its min-max, and the median of the per-round ratios.

Target: verify within 3x of the floor (verify time / floor time, same round, at most 3).

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

from kracht.storage import audit
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
    return dict(application_id=app_id, **shapes[n % 4])


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


def read_rows(url: str) -> list[dict[str, object]]:
    """The rows exactly as verify reads them (its own batched query), as verify copies them."""
    with session(url) as db:
        return [dict(row._mapping) for row in audit._events(db, 5000)]


def read_bare(path: Path) -> int:
    """The same columns in chain order through bare sqlite3: strings, no datetime or JSON."""
    columns = ", ".join(f'"{name}"' for name in ("id", *audit.HASHED, "hash"))
    db = sqlite3.connect(path)
    rows = db.execute(f"SELECT {columns} FROM audit_event ORDER BY seq").fetchall()
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
        k: [] for k in ("verify", "floor", "read", "hash", "bare read", "command", "one event")
    }
    with tempfile.TemporaryDirectory(prefix="kracht-bench-") as tmp:
        path, small = Path(tmp) / "kracht.db", Path(tmp) / "one-event.db"
        url = f"sqlite:///{path}"
        build_chain(url, count)
        build_chain(f"sqlite:///{small}", 1)
        rows = read_rows(url)
        blobs = [audit.canonical_bytes(row) for row in rows]
        assert len(blobs) == count
        for blob, row in zip(blobs, rows, strict=True):
            assert hashlib.sha256(blob).hexdigest() == row["hash"], row
        verify(url, count)  # warm-up: pages in the cache, statements compiled
        verify_command(path)
        for _ in range(rounds):
            seconds["floor"].append(timed(lambda: [hashlib.sha256(b).hexdigest() for b in blobs]))
            seconds["verify"].append(timed(lambda: verify(url, count)))
            seconds["read"].append(timed(lambda: read_rows(url)))
            seconds["hash"].append(timed(lambda: [audit.event_hash(r) == r["hash"] for r in rows]))
            seconds["bare read"].append(timed(lambda: read_bare(path)))
            seconds["command"].append(verify_command(path))
            seconds["one event"].append(verify_command(small))
        engine_for(url).dispose()

    rate = {k: [count / s for s in v] for k, v in seconds.items()}
    share = {
        k: [part / whole for part, whole in zip(seconds[k], seconds["verify"], strict=True)]
        for k in ("read", "hash")
    }
    ratios = [v / f for v, f in zip(seconds["verify"], seconds["floor"], strict=True)]
    command_ratios = [c / f for c, f in zip(seconds["command"], seconds["floor"], strict=True)]
    beyond = [c - e for c, e in zip(seconds["command"], seconds["one event"], strict=True)]
    size = sum(len(b) for b in blobs) / len(blobs)
    print(f"audit verify over a chain of {count} events ({size:.0f} canonical bytes an event),"
          f" {rounds} rounds; median (min-max)")  # fmt: skip
    print(f"  verify (workflow.auditing)  {spread(rate['verify']):>26} events/s")
    print(f"  bare hashlib.sha256         {spread(rate['floor']):>26} events/s  (the floor)")
    print(f"  of which: reading rows      {spread(rate['read']):>26} events/s"
          f"  ({statistics.median(share['read']):.0%} of verify)")  # fmt: skip
    print(f"  of which: canonical+sha256  {spread(rate['hash']):>26} events/s"
          f"  ({statistics.median(share['hash']):.0%} of verify)")  # fmt: skip
    print(f"  bare sqlite3, same columns  {spread(rate['bare read']):>26} events/s"
          "  (reading alone, no Python above sqlite3)")  # fmt: skip
    print(f"  kracht audit verify         {spread(rate['command']):>26} events/s"
          f"  (whole process, {spread(seconds['command'], 1e3)} ms)")  # fmt: skip
    print(f"  the same, 1-event chain     {spread(seconds['one event'], 1e3):>26} ms"
          "  (start-up)")  # fmt: skip
    print(f"  command beyond start-up     {spread([count / b for b in beyond]):>26} events/s")
    print(f"  kracht audit verify / floor {spread(command_ratios, fmt='.0f'):>26}x")
    ratio = statistics.median(ratios)
    verdict = "PASS" if ratio <= TARGET else "MISS"
    print(f"  verify / floor              {spread(ratios, fmt='.1f'):>26}x;"
          f" target <= {TARGET:.0f}x: {verdict}")  # fmt: skip


if __name__ == "__main__":
    arguments = [int(a) for a in sys.argv[1:3]]
    main(*arguments, *(20_000, 7)[len(arguments) :])
