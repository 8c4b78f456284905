"""Exports for the people who work in spreadsheets: applications, decisions, indicators,
progress reports, payments and partners (their money by source) as CSV or JSON.

Both formats carry the same columns in the same order; money is in integer cents, dates are ISO
dates and times UTC. An applicant exports their own organisation's records only. A CSV cell that
a spreadsheet would run as a formula starts with a quote (workflow.csv_safe); JSON keeps every
value as it is.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from typing_extensions import TypedDict

from kracht.basics.csv_safe import csv_line
from kracht.basics.errors import InvalidInput
from kracht.basics.files import write_text
from kracht.storage import extracts as store
from kracht.storage import reporting as monitoring_store
from kracht.storage.audit import canonical_time
from kracht.storage.extracts import DecisionRow
from kracht.workflow.services import monitor_views
from kracht.workflow.services.monitor_views import ReportExport
from kracht.workflow.unit import Unit

if TYPE_CHECKING:
    from sqlmodel import Session

FORMATS = ("csv", "json")
COLUMNS = {
    "applications": ("id", "title", "programme", "line", "applicant", "state", "round",
                     "submitted_on", "requested_cents", "granted_cents", "paid_cents",
                     "created_at", "updated_at"),
    "decisions": ("seq", "application_id", "title", "applicant", "decision", "decided_at",
                  "decided_by", "reason", "granted_cents", "paid_cents", "budget_year",
                  "spread_until",
                  "budget_kind", "conditions", "follows_advice", "departure_rationale",
                  "deferred_until", "deferred_to_round"),
    "indicators": ("application_id", "title", "state", "programme", "applicant", "indicator_id",
                   "name", "unit", "baseline", "target", "target_date", "source", "measured_on",
                   "value", "report_id", "note", "recorded_by"),
    "reports": ("application_id", "title", "applicant", "programme", "line", "label", "kind",
                "period_start", "period_end", "due_on", "status", "days_late", "traffic_light",
                "spent_cents", "narrative", "measures", "submitted_by"),
    "payments": ("id", "application_id", "title", "programme", "number", "kind", "amount_cents",
                 "year", "planned_on", "status", "requested_by", "requested_at", "approved_by",
                 "approved_at", "second_by", "second_at", "paid_on", "reference", "ended_by",
                 "reason"),
    "partners": ("application_id", "title", "programme", "state", "organisation", "type",
                 "co_financing", "commitment", "amount_cents", "hours", "source"),
}  # fmt: skip
KINDS = tuple(COLUMNS)


class ApplicationExport(TypedDict):
    """A row of the applications export."""

    id: int
    title: str
    programme: str
    line: str | None
    applicant: str
    state: str
    round: str | None
    submitted_on: str | None
    requested_cents: int
    granted_cents: int
    paid_cents: int  # the payments paid on its grant
    created_at: str
    updated_at: str


class DecisionExport(TypedDict):
    """A row of the decisions export: a steering decision, with the data recorded with it."""

    seq: int
    application_id: int
    title: str
    applicant: str
    decision: str
    decided_at: str
    decided_by: str
    reason: str | None
    granted_cents: int | None
    paid_cents: int | None  # on an approval: what is paid on the application's grant so far
    budget_year: int | None
    spread_until: int | None
    budget_kind: str | None
    conditions: int | None  # how many conditions (None: none)
    follows_advice: bool | None
    departure_rationale: str | None
    deferred_until: str | None
    deferred_to_round: str | None


class IndicatorExport(TypedDict):
    """A row of the indicators export: an indicator and one measured value (or none)."""

    application_id: int
    title: str
    state: str
    programme: str
    applicant: str
    indicator_id: int
    name: str
    unit: str
    baseline: str
    target: str
    target_date: str | None
    source: str
    measured_on: str | None
    value: str | None
    report_id: int | None
    note: str | None
    recorded_by: str | None


class PaymentExport(TypedDict):
    """A row of the payments export: a payment of a grant, its approvals and the day paid."""

    id: int
    application_id: int
    title: str
    programme: str
    number: int
    kind: str
    amount_cents: int
    year: int
    planned_on: str | None
    status: str
    requested_by: str
    requested_at: str
    approved_by: str | None
    approved_at: str | None
    second_by: str | None
    second_at: str | None
    paid_on: str | None
    reference: str | None
    ended_by: str | None
    reason: str | None


# A row of the partners export: a partner's commitment; money with its source
# (workflow.co_financing.SOURCES), None where unknown or for knowledge, time or none.
PartnerExport = store.PartnerExportRow


Exported = (
    list[ApplicationExport]
    | list[DecisionExport]
    | list[IndicatorExport]
    | list[ReportExport]
    | list[PaymentExport]
    | list[PartnerExport]
)


def export(unit: Unit, kind: str, fmt: str) -> tuple[str, int]:
    """The export's text and its number of rows."""
    if kind not in COLUMNS:
        raise InvalidInput(f"unknown export {kind!r}; choose " + ", ".join(KINDS))
    if fmt not in FORMATS:
        raise InvalidInput(f"format {fmt!r} is not one of " + ", ".join(FORMATS))
    data = rows(unit, kind)
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n", len(data)
    lines = [csv_line(COLUMNS[kind]), *(csv_line(row.values()) for row in data)]
    return "".join(line + "\n" for line in lines), len(data)


def rows(unit: Unit, kind: str) -> Exported:
    """The export's rows as JSON-ready dicts, columns in order."""
    data: Sequence[Mapping[str, Any]]
    if kind == "reports":
        data = monitor_views.reports(unit)
    else:
        db = unit.db
        actor = unit.actor
        own = None if actor.sees_everything() else (actor.organisation_id or -1)
        data = READERS[kind](db, own)
    return cast(Exported, [{c: _plain(row.get(c)) for c in COLUMNS[kind]} for row in data])


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return canonical_time(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


CARRIED = ("budget_year", "spread_until", "budget_kind", "departure_rationale", "deferred_until",
           "deferred_to_round")  # fmt: skip


class Decided(DecisionRow):
    """A decision's audit event with the export's columns drawn from it."""

    budget_year: int | None
    spread_until: int | None
    budget_kind: str | None
    departure_rationale: str | None
    deferred_until: str | None
    deferred_to_round: str | None
    decision: str
    decided_at: dt.datetime
    decided_by: str
    granted_cents: int | None
    paid_cents: int | None
    conditions: int | None
    follows_advice: bool | None


def _decisions(db: Session, own: int | None) -> list[Decided]:
    paid = _paid(db)
    result: list[Decided] = []
    for row in store.decisions(db, own):
        values = (row["payload"] or {}).get("values", {})
        effects = (row["payload"] or {}).get("effects", {})
        carried = {k: values.get(k) for k in CARRIED}
        result.append(
            {
                **row,
                **carried,
                "decision": row["trigger"],
                "decided_at": row["at"],
                "decided_by": row["actor"],
                "granted_cents": values.get("granted"),
                "paid_cents": (
                    paid.get(row["application_id"], 0)
                    if str(row["trigger"]).startswith("approve")
                    else None
                ),
                "conditions": len(values.get("conditions") or []) or None,
                "follows_advice": effects.get("follows_advice"),
            }
        )
    return result


def _paid(db: Session) -> dict[int, int]:
    """Per application, the cents paid on its grant."""
    from kracht.storage import payment_rows as payment_store

    return {
        app_id: sum(years.values())
        for app_id, years in payment_store.paid_by_application(db).items()
    }


def _applications(db: Session, own: int | None) -> list[dict[str, Any]]:
    paid = _paid(db)
    return [{**row, "paid_cents": paid.get(row["id"], 0)} for row in store.applications(db, own)]


def _payments(db: Session, own: int | None) -> list[dict[str, Any]]:
    from kracht.storage import payment_rows as payment_store

    return payment_store.rows(db, own)


def _partners(db: Session, own: int | None) -> list[dict[str, Any]]:
    from kracht.workflow import co_financing

    return [
        {**row, "source": row["source"] or co_financing.UNKNOWN}
        if row["commitment"] == "money"
        else {**row, "source": None}
        for row in store.partners(db, own)
    ]


READERS: dict[str, Callable[[Session, int | None], Sequence[Mapping[str, Any]]]] = {
    "applications": _applications,
    "decisions": _decisions,
    "indicators": monitoring_store.indicator_rows,
    "payments": _payments,
    "partners": _partners,
}


def write_file(path: Path, text: str) -> None:
    """Write all of it or nothing (workflow.files: no folder, link, device or read-only file)."""
    write_text(path, text)
