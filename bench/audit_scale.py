"""The audit trail's proofs at 10k, 100k and 1M events: checkpoint, inclusion and consistency
proofs (time and size) and verify, each beside its floor in the same run.

What it measures: for each size N a chain of N events is appended in batches of 10,000 with
the real `storage.audit_batch.append_many` (format 2: canonical bytes, leaves and tree nodes
written as kracht writes them; the shapes of bench/audit_verify.py). Then, on that chain:
  - checkpoint: `workflow.auditing.checkpoint` (reads the head, signs the root with Ed25519 and
    a timestamped cosignature), median of 9; its floor: one bare Ed25519 signature;
  - inclusion proof: `workflow.auditing.prove` for 25 events spread over the chain, median
    time; its size in hashes beside log2(N), and in bytes as JSON;
  - consistency proof: `workflow.auditing.consistency` from N/2 (and from N-1) to N;
  - the proof pass: `storage.audit_check.proof_pass` and the Merkle tree over its leaves, once;
    its floor: bare `hashlib.sha256(b"\\x00" + body)` over the same stored bytes;
  - verify: `workflow.auditing.verify` (proof pass and columns pass), once.
Proofs should grow as log2(N): the printed sizes sit beside log2(N).

Run from the repository root:  .venv/bin/python bench/audit_scale.py [SIZES...]
(default 10000 100000 1000000; 1M takes several minutes and about 1.5 GB of disk)
"""

from __future__ import annotations

import hashlib
import json
import math
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kracht.basics.checkpoints import SigningKey
from kracht.storage import audit_batch, audit_check, merkle
from kracht.storage.database import engine_for, migrate, session
from kracht.workflow.services import auditing, directory
from kracht.workflow.unit import Units

sys.path.insert(0, str(Path(__file__).parent))
from audit_verify import LEADER, event_fields  # noqa: E402 - the same shapes

BATCH = 10_000
NAME = "bench.example/kracht"


def build(url: str, count: int) -> None:
    migrate(url)
    Units(url).run(
        None, directory.add_person, name="Leader", email=LEADER, roles=["programme_leader"]
    )
    for start in range(0, count - 1, BATCH):
        with session(url, write=True) as db:
            events = [
                {"actor": LEADER, "roles": "programme_leader", **event_fields(n)}
                for n in range(start, min(start + BATCH, count - 1))
            ]
            audit_batch.append_many(db, events)


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def median_ms(work: Callable[[], object], rounds: int) -> float:
    return statistics.median(timed(work) for _ in range(rounds)) * 1e3


def measure(count: int, key: SigningKey, tmp: Path) -> dict[str, float]:
    path = tmp / f"chain-{count}.db"
    url = f"sqlite:///{path}"
    built = timed(lambda: build(url, count))
    units = Units(url)
    raw = Ed25519PrivateKey.generate()
    found: dict[str, float] = {"build s": built}
    found["checkpoint ms"] = median_ms(lambda: units.run(LEADER, auditing.checkpoint, key), 9)
    found["signature ms"] = median_ms(lambda: raw.sign(b"x" * 100), 9)
    seqs = [1 + (count - 1) * i // 24 for i in range(25)]
    proofs = []

    def prove_all() -> None:
        proofs.clear()
        proofs.extend(units.run(LEADER, auditing.prove, seq, NAME) for seq in seqs)

    found["inclusion ms"] = median_ms(prove_all, 3) / len(seqs)
    found["inclusion hashes"] = statistics.median(len(p["path"]) for p in proofs)
    found["inclusion bytes"] = statistics.median(len(json.dumps(p)) for p in proofs)
    half = units.run(LEADER, auditing.consistency, count // 2, NAME)
    found["consistency ms"] = median_ms(
        lambda: units.run(LEADER, auditing.consistency, count // 2, NAME), 9
    )
    found["consistency hashes"] = len(half["path"])
    found["consistency N-1 hashes"] = len(
        units.run(LEADER, auditing.consistency, count - 1, NAME)["path"]
    )
    found["log2 N"] = math.log2(count)
    connection = sqlite3.connect(path)
    bodies = [b for (b,) in connection.execute("SELECT body FROM audit_event ORDER BY seq")]
    connection.close()
    sha256 = hashlib.sha256
    found["floor s"] = timed(lambda: [sha256(b"\x00" + b).digest() for b in bodies])

    def proof_pass() -> None:
        with session(url) as db:
            walk, problem = audit_check.proof_pass(db)
            assert problem is None, problem
            merkle.Levels(walk.leaves).root(count)

    found["proof pass s"] = timed(proof_pass)
    verdict = None

    def verify() -> None:
        nonlocal verdict
        verdict = units.run(LEADER, auditing.verify)

    found["verify s"] = timed(verify)
    assert verdict is not None, "verify ran"
    assert (verdict.intact, verdict.events) == (True, count), verdict
    engine_for(url).dispose()
    path.unlink()
    return found


def main(sizes: list[int]) -> None:
    key = SigningKey.generate(NAME)
    with tempfile.TemporaryDirectory(prefix="kracht-scale-") as tmp:
        results = {n: measure(n, key, Path(tmp)) for n in sizes}
    print("audit trail at scale (SQLite; times are medians where repeated)")
    header = f"  {'events':>9} " + "".join(f"{n:>12,}" for n in sizes)
    print(header)
    rows = [
        ("build (append_many) s", "build s", ".1f"),
        ("checkpoint ms", "checkpoint ms", ".2f"),
        ("  floor: one signature ms", "signature ms", ".2f"),
        ("inclusion proof ms", "inclusion ms", ".2f"),
        ("  its hashes", "inclusion hashes", ".0f"),
        ("  log2 N", "log2 N", ".1f"),
        ("  its JSON bytes", "inclusion bytes", ".0f"),
        ("consistency N/2->N ms", "consistency ms", ".2f"),
        ("  its hashes", "consistency hashes", ".0f"),
        ("  N-1->N hashes", "consistency N-1 hashes", ".0f"),
        ("proof pass + tree s", "proof pass s", ".2f"),
        ("  floor: bare sha256 s", "floor s", ".3f"),
        ("verify (both passes) s", "verify s", ".2f"),
    ]
    for label, name, fmt in rows:
        print(f"  {label:<26}" + "".join(f"{results[n][name]:>12{fmt}}" for n in sizes))
    ratios = [results[n]["proof pass s"] / results[n]["floor s"] for n in sizes]
    print(f"  {'proof pass / floor':<26}" + "".join(f"{r:>11.1f}x" for r in ratios))
    checkpoint = [results[n]["checkpoint ms"] / results[n]["signature ms"] for n in sizes]
    print(f"  {'checkpoint / signature':<26}" + "".join(f"{r:>11.1f}x" for r in checkpoint))
    logarithmic = all(
        results[n]["inclusion hashes"] <= math.ceil(results[n]["log2 N"]) for n in sizes
    )
    verdict = "PASS" if logarithmic else "MISS"
    print(f"  target: an inclusion proof holds at most ceil(log2 N) hashes: {verdict}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000, 100_000, 1_000_000])
