"""kracht's lifecycle step beside a Django + django-fsm-2 implementation of the same step, and
beside the raw sqlite3 floor, all measured in one run (issue 13).

What each side does: kracht takes every application through bench/lifecycle.py's four actions
(`seed`, `steps` and `run_lifecycle` are that script's own: record the quickscan, fire
present_at_table, record the innovation table, fire withdraw), and the figure is the rate of
the fires. The peer (bench/peer/, road/steps.py says what its step does) takes the same
actions in Django 5.2 with django-fsm-2: one transaction a step, BEGIN IMMEDIATE, the
application loaded, the transition checked by django-fsm-2 (state, conditions, permission),
the state written under an optimistic version check, an audit event appended to a SHA-256
chain (salted, canonical JSON, as storage/audit.py), and for present_at_table two messages, a
text and an HTML Django template each, rendered into the outbox. Both write to their own SQLite
file in WAL mode with synchronous=NORMAL, as storage/database.py opens kracht's. The floor is
bench/lifecycle.py's: 5,000 single-row INSERT transactions through bare sqlite3 a round.

The peer runs in its own venv, bench/.peer-venv/, created on the first run (and again when its
requirements change) with Django>=5.2,<6 and django-fsm-2 from the package index; it runs as
one long-lived subprocess (bench/peer/run.py serve), so its connection, caches and templates
stay warm across the rounds as kracht's do in this process. Each side gets a warm-up batch
first. The machine is shared and noisy, so the three are interleaved by rounds, their order
turning each round (kracht, peer, raw; then peer, raw, kracht; ...), and every ratio is taken
within a round. Printed: the medians over the rounds with their min-max, and the medians of
the per-round ratios kracht / raw and kracht / peer. At the end the peer verifies its whole
audit chain and that every application ended withdrawn with two messages in the outbox.

Targets (issue 13): kracht's fires at least 1.2% of the raw rate, and at least 2x the peer's.

Run from the repository root:
  .venv/bin/python bench/peer.py [ROUNDS] [APPLICATIONS_A_ROUND] [--json]   (default 5 40)
With --json it prints only {"fire_per_s", "peer_per_s", "raw_per_s", "ratio", "peer_ratio"}:
the medians of kracht's fire rate, the peer's and the floor, and of the per-round ratios
kracht / raw (ratio) and kracht / peer (peer_ratio).
"""

from __future__ import annotations

import functools
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from lifecycle import (
    RAW_TRANSACTIONS,
    arguments,
    close,
    raw_connection,
    raw_sqlite,
    run_lifecycle,
    seed,
    spread,
)

BENCH = Path(__file__).resolve().parent
VENV = BENCH / ".peer-venv"
PYTHON = VENV / "bin" / "python"
REQUIREMENTS = ("Django>=5.2,<6", "django-fsm-2")
STAMP = VENV / ".kracht-peer-requirements"
TARGET_RAW = 0.012  # kracht's fires / raw sqlite3 transactions
TARGET_PEER = 2.0  # kracht's fires / the peer's fires
SIDES = ("kracht", "peer", "raw")
NOT_PASSED = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "DJANGO_SETTINGS_MODULE")
CLEAN_ENVIRONMENT = {k: v for k, v in os.environ.items() if k not in NOT_PASSED}


def peer_venv() -> Path:
    """The peer's python, its venv created and its requirements installed when missing."""
    wanted = "\n".join(REQUIREMENTS)
    if PYTHON.exists() and STAMP.exists() and STAMP.read_text() == wanted:
        return PYTHON
    print(f"bench/peer.py: installing {', '.join(REQUIREMENTS)} into {VENV}", file=sys.stderr)
    if not PYTHON.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    install = [str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*install, *REQUIREMENTS], check=True, stdout=sys.stderr)
    STAMP.write_text(wanted)
    return PYTHON


class Peer:
    """The peer's long-lived subprocess: ask it for a batch, read back its rates."""

    def __init__(self, python: Path, database: Path) -> None:
        self.process = subprocess.Popen(
            [str(python), str(BENCH / "peer" / "run.py"), "serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**CLEAN_ENVIRONMENT, "KRACHT_PEER_DB": str(database)},
        )
        self.versions = self.answer()

    def answer(self) -> dict[str, Any]:
        out: TextIO | None = self.process.stdout
        assert out is not None
        line = out.readline()
        if not line:
            raise SystemExit(f"the peer stopped (exit {self.process.wait()}); its error is above")
        return json.loads(line)  # type: ignore[no-any-return]

    def batch(self, count: int) -> dict[str, Any]:
        """Take `count` new applications through the four actions: the peer's rates."""
        assert self.process.stdin is not None
        self.process.stdin.write(f"{count}\n")
        self.process.stdin.flush()
        return self.answer()

    def finish(self) -> dict[str, Any]:
        """End the peer: what it verified of its database (audit chain, states, outbox)."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        summary = self.answer()
        if self.process.wait() != 0:
            raise SystemExit(f"the peer failed (exit {self.process.returncode})")
        return summary


def measure(rounds: int, per_round: int) -> dict[str, Any]:
    """Run the three sides interleaved by rounds: each side's rate and each round's ratios."""
    rates: dict[str, list[float]] = {side: [] for side in (*SIDES, "kracht_record", "peer_record")}
    python = peer_venv()
    with tempfile.TemporaryDirectory(prefix="kracht-peer-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'kracht.db'}"
        app_ids = seed(url, (rounds + 1) * per_round)
        raw = raw_connection(Path(tmp) / "raw.db")
        peer = Peer(python, Path(tmp) / "peer.db")

        def kracht(batch: list[int]) -> None:
            times, _ = run_lifecycle(url, batch, [])  # [] : no statement recording
            rates["kracht"].append(len(times["fire"]) / sum(times["fire"]))
            rates["kracht_record"].append(len(times["record"]) / sum(times["record"]))

        def other() -> None:
            answer = peer.batch(per_round)
            rates["peer"].append(answer["fire_per_s"])
            rates["peer_record"].append(answer["record_per_s"])

        def floor() -> None:
            rates["raw"].append(RAW_TRANSACTIONS / raw_sqlite(raw, RAW_TRANSACTIONS))

        run_lifecycle(url, app_ids[:per_round], [])  # warm-up: caches, pages, pools
        peer.batch(per_round)
        raw_sqlite(raw, RAW_TRANSACTIONS)
        for n in range(rounds):
            batch = app_ids[(n + 1) * per_round : (n + 2) * per_round]
            side: dict[str, Callable[[], None]] = {
                "kracht": functools.partial(kracht, batch),
                "peer": other,
                "raw": floor,
            }
            for name in SIDES[n % 3 :] + SIDES[: n % 3]:
                side[name]()
        summary = peer.finish()
        raw.close()
        close(url)
    ratios = {
        "raw": [k / r for k, r in zip(rates["kracht"], rates["raw"], strict=True)],
        "peer": [k / p for k, p in zip(rates["kracht"], rates["peer"], strict=True)],
        "peer_raw": [p / r for p, r in zip(rates["peer"], rates["raw"], strict=True)],
    }
    return {"rates": rates, "ratios": ratios, "peer": {**peer.versions, **summary}}


def report(rounds: int, per_round: int, result: dict[str, Any]) -> None:
    rates, ratios, peer = result["rates"], result["ratios"], result["peer"]
    print(f"lifecycle step on SQLite, kracht beside Django {peer['django']} + django-fsm-2"
          f" {peer['django_fsm_2']}: {rounds} rounds of {per_round} applications a side, each"
          f" 2 fires and 2 records; floor: {RAW_TRANSACTIONS} raw transactions a round;"
          " interleaved")  # fmt: skip
    print("  rates: median (min-max) over the rounds")
    for key, label, unit in (
        ("kracht", "kracht fire (lifecycle step)", "steps/s"),
        ("peer", "peer fire (Django+fsm-2)", "steps/s"),
        ("raw", "raw sqlite3 (the floor)", "transactions/s"),
        ("kracht_record", "kracht record", "steps/s"),
        ("peer_record", "peer record", "steps/s"),
    ):
        print(f"  {label:<29} {spread(rates[key]):>18} {unit}")
    print(f"  peer fires / raw              {spread(ratios['peer_raw'], 100, '.2f')} %")
    verdict = "PASS" if statistics.median(ratios["raw"]) >= TARGET_RAW else "MISS"
    print(f"  kracht fires / raw            {spread(ratios['raw'], 100, '.2f')} %"
          f"  target >= {TARGET_RAW:.1%}: {verdict}")  # fmt: skip
    verdict = "PASS" if statistics.median(ratios["peer"]) >= TARGET_PEER else "MISS"
    print(f"  kracht fires / peer fires     {spread(ratios['peer'], 1, '.2f')} x"
          f"  target >= {TARGET_PEER:.1f}x: {verdict}")  # fmt: skip
    print(f"  peer checked: {peer['events']} audit events verified, {peer['withdrawn']}"
          f" applications withdrawn, {peer['outbox']} outbox messages")  # fmt: skip


def main() -> None:
    given = arguments("kracht's lifecycle step beside Django + django-fsm-2 and raw sqlite3.")
    result = measure(given.rounds, given.per_round)
    if not given.json:
        report(given.rounds, given.per_round, result)
        return
    rates, ratios = result["rates"], result["ratios"]
    print(json.dumps({
        "fire_per_s": statistics.median(rates["kracht"]),
        "peer_per_s": statistics.median(rates["peer"]),
        "raw_per_s": statistics.median(rates["raw"]),
        "ratio": statistics.median(ratios["raw"]),
        "peer_ratio": statistics.median(ratios["peer"]),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
