"""What auditors do: verify the chain, and export it for their own tools."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from kracht.basics.csv_safe import csv_line
from kracht.basics.errors import InvalidInput
from kracht.storage import audit
from kracht.storage.database import session
from kracht.workflow.actors import require, resolve
from kracht.workflow.services.applications import READERS_OF_AUDIT

FORMATS = ("csv", "jsonl")


def verify(url: str, actor_email: str | None) -> audit.Verdict:
    with session(url) as db:
        require(resolve(db, actor_email), READERS_OF_AUDIT, "verify the audit trail")
        return audit.verify(db)


def export(url: str, actor_email: str | None, fmt: str) -> Iterator[str]:
    """The whole chain as CSV or JSON Lines, in chain order, one string per line; with each
    payload's salt, so that an auditor's own tools can recompute every hash. Recompute from
    JSON Lines: it holds every value as recorded, while a CSV cell that a spreadsheet would run
    as a formula starts with a quote (workflow.csv_safe)."""
    if fmt not in FORMATS:
        raise InvalidInput(f"format {fmt!r} is not one of " + ", ".join(FORMATS))
    with session(url) as db:
        require(resolve(db, actor_email), READERS_OF_AUDIT, "export the audit trail")
        events = audit.history(db, salted=True)
    if fmt == "jsonl":
        for event in events:
            yield json.dumps(event, ensure_ascii=False, sort_keys=True)
        return
    columns = list(events[0]) if events else list(audit.HASHED) + ["hash"]
    yield csv_line(columns)
    for event in events:
        yield csv_line([_cell(event[c]) for c in columns])


def _cell(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return "" if value is None else str(value)
