"""What a reader is shown of an application's audit trail (`kracht app history`).

Payloads the reader may not read (`committee.hidden_events`) are replaced by the reason they
are hidden. No event's salt is ever shown (see `storage.audit`): it is what makes a hash useless
for guessing a hidden payload. An event written before salting has a guessable hash, so where
its payload is hidden from the reader, its hash is not shown, nor the next event's previous-hash.
The link to an event outside this history (another application's, or none) is shown only when
that event is salted; programme leaders and auditors, who may read every payload and export the
whole chain, see every hash.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, cast

from typing_extensions import TypedDict

from kracht.storage import audit, clock
from kracht.workflow.services import policy

if TYPE_CHECKING:
    from sqlmodel import Session

    from kracht.basics.actors import Actor
    from kracht.storage.tables import Application


class ShownEvent(TypedDict):
    """An audit event as a reader is shown it: no salt; a payload hidden from them replaced by
    `{"hidden": why}`; a hash (or previous hash) that would be guessable left out as None."""

    seq: int
    at: str
    actor: str
    roles: str
    application_id: int | None
    action: str
    trigger: str | None
    from_state: str | None
    to_state: str | None
    outcome: str
    reason: str | None
    payload: dict[str, Any]  # what the event recorded (free-form), or {"hidden": why}
    prev_hash: str | None
    hash: str | None
    format: int  # the rule its hash follows (docs/audit-format.md)


def history(db: Session, actor: Actor, app: Application) -> list[ShownEvent]:
    """The application's audit events in chain order, as `actor` may read them."""
    events = audit.history(db, app.id, salted=True)
    hidden = policy.hidden_events(db, actor, app, events)
    guessable = _guessable(db, actor, events, hidden)
    for event in events:
        seq = event["seq"]
        if seq in hidden:
            event["payload"] = {"hidden": hidden[seq]}
        else:
            event["payload"] = audit.without_salt(event["payload"])
        if seq in guessable:
            event["hash"] = None
        if seq - 1 in guessable:
            event["prev_hash"] = None
    return cast(list[ShownEvent], events)


def _guessable(
    db: Session, actor: Actor, events: list[audit.EventRow], hidden: dict[int, str]
) -> set[int]:
    """The unsalted events, in this history or just before one of its events, whose payload the
    reader may not read (outside this history: assumed so, unless the reader may read all)."""
    inside = {e["seq"]: e for e in events}
    guessable = {s for s in hidden if not audit.is_salted(inside[s]["payload"])}
    if actor.holds(policy.OVERSEERS):
        return guessable
    outside = {s - 1 for s in inside if s > 1} - inside.keys()
    return guessable | audit.unsalted(db, outside)


class RealDay(TypedDict):
    """The day in the world an event records (a meeting, a session), beside its time of entry."""

    what: str  # decided | presented | opened | met
    on: str  # ISO date


# Stage data naming the day something happened, and what happened on it.
DAY_FIELDS = {
    "decided_on": "decided",
    "deferred_on": "decided",
    "table_date": "presented",
    "scoring_opened_on": "opened",
}


def real_day(event: ShownEvent) -> RealDay | None:
    """The day the event's action really took place, where it records one that is not the day
    it was entered (a decision taken at a meeting in 2018 and entered today); else None."""
    if event["outcome"] != "ok":
        return None
    payload = event["payload"]
    values = payload.get("values") if event["action"] in ("fire", "record") else None
    values = values if isinstance(values, dict) else {}  # stage data, by field
    found = [(what, values.get(name)) for name, what in DAY_FIELDS.items()]
    found.append(("met", payload.get("met_on") if event["action"] == "condition.met" else None))
    entered = clock.local_day(dt.datetime.fromisoformat(event["at"])).isoformat()
    for what, day in found:
        if isinstance(day, str) and day != entered:
            return {"what": what, "on": day}
    return None
