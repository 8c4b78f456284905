"""A person's deadlines as an iCalendar file (RFC 5545), for any calendar program.

One all-day event per open reminder: scoring deadlines, conditions and progress reports, each
with an alarm at the moment kracht would remind. UIDs are stable, so importing the file again
updates events rather than doubling them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from kracht.notifications import reminders
from kracht.storage import clock

SUMMARIES = {
    "scoring_deadline": "KRACHT scores due: {title}",
    "condition_due": "Condition {number} due: {title}",
    "report_due": "Progress report {report} due: {title}",
    "payment_due": "Payment {payment} ({payment_kind}, {amount}) planned: {title}",
}


def export(rows: list[tuple[Any, str]], person: str, now: dt.datetime | None = None) -> bytes:
    """`rows`: (reminder, application title) pairs; the calendar as bytes."""
    from icalendar import Alarm, Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//kracht//deadlines//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"kracht deadlines: {person}")
    stamp = now or clock.now()
    for reminder, title in rows:
        due = dt.date.fromisoformat(reminder.facts["due"])
        event = Event()
        event.add("uid", hashlib.sha256(reminder.key.encode()).hexdigest()[:32] + "@kracht")
        event.add("dtstamp", stamp)
        event.add("dtstart", due)
        event.add("dtend", due + dt.timedelta(days=1))
        event.add("summary", SUMMARIES[reminder.kind].format(title=title, **_facts(reminder)))
        event.add("description", _description(reminder))
        event.add("categories", [reminder.kind])
        event.add("status", "CONFIRMED")
        if reminder.status == "pending":
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", "kracht reminder")
            alarm.add("trigger", reminders.ensure_utc(reminder.remind_at))
            event.add_component(alarm)
        calendar.add_component(event)
    return calendar.to_ical()


def _facts(reminder: Any) -> dict[str, Any]:
    return {"number": "", "report": "", **reminder.facts}


def _description(reminder: Any) -> str:
    facts = reminder.facts
    lines = [f"Application {reminder.application_id}", f"Status: {reminder.status}"]
    if "condition" in facts:
        lines.append(f"Condition: {facts['condition']}")
    return "\n".join(lines)
