"""Applications rebuilt from the audit trail alone: what every event says happened, applied in
order, gives each application's state, amounts, stage data, grants, conditions and reports.

`replay` reads events as the auditors' export has them (storage.audit.EventRow) and nothing
else, so it answers two questions: do the tables still say what the trail says (`kracht audit
verify`, workflow/agreement.py), and how did an application stand at a given moment (`kracht
app show --at`). Events kracht refused change nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kracht.states import sections

COLUMNS = {  # a field recorded into a column of the application itself
    name: spec.column for name, (_, spec) in sections.FIELDS.items() if spec.column
}
EFFECT_VALUES = {"deadline": "scoring_deadline"}  # effects that are recorded as stage data


@dataclass
class Charge:
    year: int
    amount_cents: int
    seq: int  # the event that charged it


@dataclass
class Condition:
    text: str
    due_on: str
    owner: str
    met: bool = False
    evidence: str | None = None


@dataclass
class Report:
    label: str
    status: str
    spent_cents: int | None
    traffic_light: str | None
    received_on: str | None


@dataclass
class Record:
    """One application as its events built it."""

    id: int
    title: str
    state: str
    requested_cents: int
    previous_state: str | None = None
    values: dict[str, Any] = field(default_factory=dict)  # stage data, by field
    charges: list[Charge] = field(default_factory=list)  # the grant's parts, in order
    conditions: dict[int, Condition] = field(default_factory=dict)  # by number
    reports: dict[int, Report] = field(default_factory=dict)  # submitted ones, by report id
    events: int = 0  # how many of its events kracht carried out
    last_at: str = ""  # when the last of them was recorded


def replay(events: Iterable[Mapping[str, Any]], until: str | None = None) -> dict[int, Record]:
    """Every application as the events in chain order built it; with `until` (a canonical UTC
    time, as events carry), only from the events recorded up to and including it."""
    records: dict[int, Record] = {}
    for event in events:
        if until is not None and event["at"] > until:
            continue  # (times follow the chain's order, but a clock may have stepped back)
        app_id = event["application_id"]
        if app_id is None or event["outcome"] != "ok":
            continue
        if event["action"] == "create":
            records[app_id] = _created(event)
            continue
        record = records.get(app_id)
        if record is None:
            continue  # an application created before the trail began (none in kracht)
        _HANDLERS.get(event["action"], _other)(record, event)
        record.events += 1
        record.last_at = event["at"]
    return records


def _created(event: Mapping[str, Any]) -> Record:
    payload = event["payload"]
    return Record(
        id=event["application_id"],
        title=payload["title"],
        state=event["to_state"],
        requested_cents=payload["requested_cents"],
        events=1,
        last_at=event["at"],
    )


def _fired(record: Record, event: Mapping[str, Any]) -> None:
    payload = event["payload"]
    if event["to_state"] != record.state:
        record.previous_state = event["from_state"]
    record.state = event["to_state"]
    _recorded(record, event)
    effects = payload.get("effects") or {}
    for charge in effects.get("charged") or []:
        record.charges.append(Charge(charge["year"], charge["amount_cents"], event["seq"]))
    for condition in effects.get("conditions") or []:
        record.conditions[condition["number"]] = Condition(
            condition["text"], condition["due"], condition["owner"]
        )
    for effect, name in EFFECT_VALUES.items():
        if effect in effects:
            record.values[name] = effects[effect]
    if "submitted" in effects:  # a final report the move itself wrote
        _add_report(record, effects["submitted"])


def _recorded(record: Record, event: Mapping[str, Any]) -> None:
    for name, value in (event["payload"].get("values") or {}).items():
        column = COLUMNS.get(name)
        if column == "requested_cents":
            record.requested_cents = value
        elif column is None:
            record.values[name] = value


def _condition_met(record: Record, event: Mapping[str, Any]) -> None:
    payload = event["payload"]
    condition = record.conditions.get(payload["condition"])
    if condition is not None:
        condition.met, condition.evidence = True, payload.get("evidence")


def _report_submitted(record: Record, event: Mapping[str, Any]) -> None:
    _add_report(record, event["payload"]["report"])


def _add_report(record: Record, report: Mapping[str, Any]) -> None:
    record.reports[report["id"]] = Report(
        report["label"],
        report["status"],
        report.get("spent_cents"),
        report.get("traffic_light"),
        report.get("received_on"),
    )


def _other(record: Record, event: Mapping[str, Any]) -> None:
    """Events that change nothing replayed here (partners, indicators, the committee's work)."""


_HANDLERS = {
    "fire": _fired,
    "record": _recorded,
    "condition.met": _condition_met,
    "report.submit": _report_submitted,
}


def moment(at: dt.datetime) -> str:
    """`at` as events write their time (canonical UTC), to compare with `until`."""
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")
