"""Run the Django + django-fsm-2 peer of kracht's lifecycle step (road/steps.py says what a step
does). Runs in the peer's own venv, which bench/peer.py creates (bench/.peer-venv/).

Every application takes the four actions kracht's bench/lifecycle.py times, each its own
transaction with its own audit event: record the quickscan, fire present_at_table, record the
innovation table's date and outcome, fire withdraw. Each action is timed on its own
(perf_counter around the call); the figure is the rate of the fires.

  run.py serve
      prints {"django": VERSION, "django_fsm_2": VERSION}, then reads a count of applications
      a line from stdin; for each, seeds that many new ideas (not timed), takes them through
      the four actions and prints one JSON line: {"fire_per_s", "record_per_s", "fires",
      "fire_ms"}. At the end of stdin it verifies the whole audit chain and prints
      {"events": ..., "outbox": ..., "withdrawn": ...}.
  run.py [ROUNDS] [APPLICATIONS_A_ROUND]   (default 5 40)
      a warm-up round, then ROUNDS rounds; prints {"fire_per_s": ..., "record_per_s": ...},
      the medians over the rounds.

The SQLite file is KRACHT_PEER_DB, or one in a temporary folder when that is not set.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TABLE = {"table_date": "2018-09-17", "table_outcome": "aligned"}


def start(database: str) -> None:
    """Set Django up on `database` and create the tables (the app has no migrations)."""
    os.environ["KRACHT_PEER_DB"] = database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peersite.settings")
    sys.path.insert(0, str(HERE))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", run_syncdb=True, verbosity=0)


def actions() -> list[tuple[str, Callable[[int], Any]]]:
    """The four actions every application takes, each (kind, action on an application id)."""
    from road import steps

    leader = steps.LEADER
    return [
        ("record", lambda a: steps.record(leader, a, "idea", {"quickscan": "promising"})),
        ("fire", lambda a: steps.fire(leader, a, "present_at_table")),
        ("record", lambda a: steps.record(leader, a, "innovation_table", TABLE)),
        ("fire", lambda a: steps.fire(leader, a, "withdraw", reason="partners left")),
    ]


def batch(count: int) -> dict[str, float]:
    """Seed `count` new ideas and take each through the four actions: the rates, by kind."""
    from road import steps

    times: dict[str, list[float]] = {"fire": [], "record": []}
    todo = actions()
    for app_id in steps.seed(count):
        for kind, action in todo:
            begun = time.perf_counter()
            result = action(app_id)
            times[kind].append(time.perf_counter() - begun)
        assert result["to"] == "withdrawn", result
    return {
        "fire_per_s": len(times["fire"]) / sum(times["fire"]),
        "record_per_s": len(times["record"]) / sum(times["record"]),
        "fires": len(times["fire"]),
        "fire_ms": statistics.median(times["fire"]) * 1e3,
    }


def summary() -> dict[str, int]:
    """The whole audit chain verified, and what the runs left: every idea withdrawn, two
    messages in the outbox for each."""
    from road import steps
    from road.models import Application, OutboxMessage

    events = steps.verify()
    withdrawn = Application.objects.filter(state="withdrawn").count()
    outbox = OutboxMessage.objects.count()
    assert withdrawn == Application.objects.count(), "an application did not end withdrawn"
    assert outbox == 2 * withdrawn, f"{outbox} messages for {withdrawn} applications"
    return {"events": events, "outbox": outbox, "withdrawn": withdrawn}


def serve() -> None:
    from importlib.metadata import version

    print(json.dumps({"django": version("django"), "django_fsm_2": version("django-fsm-2")}))
    sys.stdout.flush()
    for line in sys.stdin:
        print(json.dumps(batch(int(line))), flush=True)
    print(json.dumps(summary()), flush=True)


def rounds(count: int, per_round: int) -> None:
    batch(per_round)  # warm-up: caches, pages, the connection
    rates = [batch(per_round) for _ in range(count)]
    summary()
    kinds = ("fire_per_s", "record_per_s")
    print(json.dumps({kind: statistics.median(r[kind] for r in rates) for kind in kinds}))


def main(argv: list[str]) -> None:
    with tempfile.TemporaryDirectory(prefix="kracht-peer-") as tmp:
        start(os.environ.get("KRACHT_PEER_DB") or str(Path(tmp) / "peer.db"))
        if argv[:1] == ["serve"]:
            serve()
        else:
            numbers = [int(a) for a in argv[:2]]
            rounds(*numbers, *(5, 40)[len(numbers) :])


if __name__ == "__main__":
    main(sys.argv[1:])
