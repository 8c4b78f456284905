"""Do the tables say what the audit trail says? Each application rebuilt from the events
(workflow/replay.py) held against its rows (storage/ledger.py); every difference named by table,
row and column, with the value each side holds."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kracht.workflow.replay import Record

Rows = Mapping[str, list[dict[str, Any]]]


@dataclass(frozen=True)
class Disagreement:
    table: str
    row: str  # the row's key, as words: "3", "application 2, field granted"
    column: str
    found: Any  # what the table holds (None: no such row)
    trail: Any  # what the trail says (None: no event made it)

    def line(self) -> str:
        if self.found is None and self.column == "row":
            return f"{self.table} row {self.row}: missing, though the trail records it"
        if self.trail is None and self.column == "row":
            return f"{self.table} row {self.row}: not in the trail (written behind kracht's back)"
        return (
            f"{self.table} row {self.row}: {self.column} is {self.found!r}, "
            f"the trail says {self.trail!r}"
        )


def compare(records: Mapping[int, Record], rows: Rows) -> list[Disagreement]:
    """Every difference between the rebuilt `records` and the tables' `rows`."""
    found: list[Disagreement] = []
    found += _applications(records, rows["application"])
    found += _stage_values(records, rows["stage_value"])
    found += _allocations(records, rows["grant_allocation"])
    found += _conditions(records, rows["grant_condition"])
    found += _reports(records, rows["progress_report"])
    return found


def _applications(records: Mapping[int, Record], rows: list[dict[str, Any]]) -> list[Disagreement]:
    out = []
    seen = set()
    for row in rows:
        record = records.get(row["id"])
        seen.add(row["id"])
        if record is None:
            out.append(Disagreement("application", str(row["id"]), "row", row, None))
            continue
        for column in ("title", "state", "previous_state", "requested_cents"):
            if row[column] != getattr(record, column):
                out.append(
                    Disagreement("application", str(row["id"]), column, row[column],
                                 getattr(record, column))
                )  # fmt: skip
    out += [Disagreement("application", str(i), "row", None, r) for i, r in records.items()
            if i not in seen]  # fmt: skip
    return out


def _stage_values(records: Mapping[int, Record], rows: list[dict[str, Any]]) -> list[Disagreement]:
    table = {(r["application_id"], r["field"]): r["value"] for r in rows}
    trail = {(i, name): v for i, r in records.items() for name, v in r.values.items()}
    out = []
    for key in sorted(table.keys() | trail.keys()):
        where = f"(application {key[0]}, field {key[1]})"
        if key not in trail:
            out.append(Disagreement("stage_value", where, "row", table[key], None))
        elif key not in table:
            out.append(Disagreement("stage_value", where, "row", None, trail[key]))
        elif table[key] != trail[key]:
            out.append(Disagreement("stage_value", where, "value", table[key], trail[key]))
    return out


def _allocations(records: Mapping[int, Record], rows: list[dict[str, Any]]) -> list[Disagreement]:
    """The i-th allocation row of an application (by id) is the i-th part its events charged."""
    out = []
    by_app: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        by_app.setdefault(row["application_id"], []).append(row)
    for app_id in sorted(by_app.keys() | {i for i, r in records.items() if r.charges}):
        table = by_app.get(app_id, [])
        charges = records[app_id].charges if app_id in records else []
        for row, charge in zip(table, charges, strict=False):
            where = f"{row['id']} (application {app_id})"
            for column in ("year", "amount_cents"):
                if row[column] != getattr(charge, column):
                    out.append(Disagreement("grant_allocation", where, column, row[column],
                                            getattr(charge, column)))  # fmt: skip
        for row in table[len(charges) :]:
            out.append(Disagreement("grant_allocation", f"{row['id']} (application {app_id})",
                                    "row", row, None))  # fmt: skip
        for charge in charges[len(table) :]:
            out.append(Disagreement("grant_allocation", f"(application {app_id})", "row", None,
                                    f"{charge.amount_cents} cents in {charge.year}, event "
                                    f"#{charge.seq}"))  # fmt: skip
    return out


def _conditions(records: Mapping[int, Record], rows: list[dict[str, Any]]) -> list[Disagreement]:
    table = {(r["application_id"], r["number"]): r for r in rows}
    trail = {(i, n): c for i, r in records.items() for n, c in r.conditions.items()}
    out = []
    for key in sorted(table.keys() | trail.keys()):
        row, condition = table.get(key), trail.get(key)
        where = (
            f"{row['id']} (application {key[0]}, condition {key[1]})"
            if row
            else (f"(application {key[0]}, condition {key[1]})")
        )
        if row is None or condition is None:
            out.append(Disagreement("grant_condition", where, "row", row, condition))
            continue
        pairs = {
            "text": (row["text"], condition.text),
            "due_on": (_day(row["due_on"]), condition.due_on),
            "met": (row["met_at"] is not None, condition.met),
            "evidence": (row["evidence"], condition.evidence),
        }
        out += [Disagreement("grant_condition", where, c, a, b) for c, (a, b) in pairs.items()
                if a != b]  # fmt: skip
    return out


def _reports(records: Mapping[int, Record], rows: list[dict[str, Any]]) -> list[Disagreement]:
    table = {r["id"]: r for r in rows}
    trail = {i: (app_id, rep) for app_id, r in records.items() for i, rep in r.reports.items()}
    out = []
    for report_id, (app_id, report) in sorted(trail.items()):
        row = table.get(report_id)
        where = f"{report_id} (application {app_id}, {report.label})"
        if row is None:
            out.append(Disagreement("progress_report", where, "row", None, report))
            continue
        for column in ("label", "status", "spent_cents", "traffic_light", "received_on"):
            value = _day(row[column]) if column == "received_on" else row[column]
            if value != getattr(report, column):
                out.append(Disagreement("progress_report", where, column, value,
                                        getattr(report, column)))  # fmt: skip
    for report_id, row in sorted(table.items()):
        if row["status"] == "submitted" and report_id not in trail:
            where = f"{report_id} (application {row['application_id']}, {row['label']})"
            out.append(Disagreement("progress_report", where, "row", row, None))
    return out


def _day(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value
