"""What auditors do: verify the chain, and export it for their own tools."""

from __future__ import annotations

import json
from typing import Any

from kracht.basics.actors import require
from kracht.basics.csv_safe import csv_line
from kracht.basics.errors import InvalidInput
from kracht.storage import audit
from kracht.workflow.services.applications import READERS_OF_AUDIT
from kracht.workflow.unit import Unit, reads

FORMATS = ("csv", "jsonl")


@reads
def verify(unit: Unit) -> audit.Verdict:
    require(unit.actor, READERS_OF_AUDIT, "verify the audit trail")
    return audit.verify(unit.db)


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
