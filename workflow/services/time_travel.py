"""Applications as they stood at a past moment, rebuilt from the audit trail alone
(workflow/replay.py): `kracht app show ID --at ...` and `kracht app list --at ...`.

The trail holds what many readers may not see (other members' scores, advice before the
decision), so only those who read the whole trail (auditors, the programme leader) travel in
time. A date means the end of that day in the programme's time zone (Europe/Amsterdam); a time
without a zone is read there too.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict
from typing import Any

from typing_extensions import TypedDict

from kracht.basics.actors import require
from kracht.basics.errors import InvalidInput, NotFound
from kracht.storage import audit, clock
from kracht.workflow import replay
from kracht.workflow.services.applications import READERS_OF_AUDIT
from kracht.workflow.unit import Unit, reads

DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class PastApplication(TypedDict):
    """An application as its events had built it by `as_of`."""

    id: int
    title: str
    state: str
    previous_state: str | None
    requested_cents: int
    values: dict[str, Any]  # stage data, by field
    granted: list[dict[str, Any]]  # [{year, amount_cents, seq}]
    conditions: list[dict[str, Any]]  # [{number, text, due_on, owner, met, evidence}]
    reports: list[dict[str, Any]]  # submitted: [{id, label, status, spent_cents, ...}]
    events: int  # its events carried out by then
    last_event_at: str
    as_of: str  # the moment asked for, canonical UTC


def moment(text: str) -> dt.datetime:
    """`text` (YYYY-MM-DD, or an ISO date and time) as an aware moment: a date is the end of
    that day, a time without a zone is in the programme's time zone. Refused by field."""
    given = text.strip()
    try:
        if DAY.fullmatch(given):
            day = _after_2000(dt.date.fromisoformat(given))
            end = dt.datetime.combine(day, dt.time.max, clock.PROGRAMME_TZ)
            return clock.now() if day == clock.today() else end  # today: as it stands now
        parsed = _after_2000(dt.datetime.fromisoformat(given))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=clock.PROGRAMME_TZ)
        parsed.astimezone(dt.UTC)  # a moment at the calendar's very ends has no UTC time
    except (ValueError, OverflowError):
        raise InvalidInput(
            f"moment {text!r} is not a date (YYYY-MM-DD) or a date and time "
            "(YYYY-MM-DDTHH:MM, optionally with a zone such as +01:00)",
            field="at",
            label="moment",
        ) from None
    return parsed


def _after_2000(value: Any) -> Any:
    """Before any programme kracht runs, and far from the calendar's edge, is refused."""
    if value.year < 2000:
        raise InvalidInput(
            f"moment {value.isoformat()} is before 2000; give a later one",
            field="at",
            label="moment",
        )
    return value


@reads
def show_at(unit: Unit, application_id: int, at: dt.datetime) -> PastApplication:
    """Application `application_id` as the trail says it stood at `at`."""
    require(unit.actor, READERS_OF_AUDIT, "see an application as it stood in the past")
    records = _records(unit, at)
    if application_id not in records:
        raise NotFound(
            "application",
            application_id,
            within=f"the audit trail up to {_shown(at)} (its times are when kracht recorded "
            "each step)",
        )
    return _past(records[application_id], at)


@reads
def list_at(unit: Unit, at: dt.datetime, programme: str | None = None) -> list[PastApplication]:
    """Every application that existed at `at` (of `programme`), as the trail says it stood
    then. (An application's programme never changes: today's tables say which it is.)"""
    require(unit.actor, READERS_OF_AUDIT, "see the applications as they stood in the past")
    records = _records(unit, at)
    if programme is not None:
        from kracht.workflow.services.applications import list_all

        of = {row["id"] for row in list_all(unit, programme=programme)}
        records = {i: r for i, r in records.items() if i in of}
    return [_past(record, at) for _, record in sorted(records.items())]


def _records(unit: Unit, at: dt.datetime) -> dict[int, replay.Record]:
    _after_2000(at)
    if at > clock.now():
        raise InvalidInput(
            f"moment {_shown(at)} is in the future; give one up to now", field="at", label="moment"
        )
    return replay.replay(audit.history(unit.db), until=replay.moment(at))


def _past(record: replay.Record, at: dt.datetime) -> PastApplication:
    return {
        "id": record.id,
        "title": record.title,
        "state": record.state,
        "previous_state": record.previous_state,
        "requested_cents": record.requested_cents,
        "values": dict(record.values),
        "granted": [asdict(c) for c in record.charges],
        "conditions": [{"number": n, **asdict(c)} for n, c in sorted(record.conditions.items())],
        "reports": [{"id": i, **asdict(r)} for i, r in sorted(record.reports.items())],
        "events": record.events,
        "last_event_at": record.last_at,
        "as_of": replay.moment(at),
    }


def _shown(at: dt.datetime) -> str:
    return clock.local(at).strftime("%Y-%m-%d %H:%M")
