"""What an audit event's hash covers, per format (docs/audit-format.md specifies both).

Format 1 (every event written before issue 15): SHA-256 over sorted-key compact JSON of 13
fields, text as UTF-8. Format 2 (every event since): the same fields and `format`, serialised
by RFC 8785 (the JSON Canonicalization Scheme) and stored as those bytes (`audit_event.body`);
the hash is SHA-256(0x00 || bytes), which is also the event's leaf in the Merkle tree
(storage/merkle.py). A format-1 event's leaf is SHA-256(0x00 || its format-1 bytes), so one tree
covers the whole trail; its own hash stays what it was. The trail changes format once, at an
`audit.format` event (the first of format 2).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

import rfc8785

from kracht.storage import merkle

HASHED = (
    "seq",
    "at",
    "actor",
    "roles",
    "application_id",
    "action",
    "trigger",
    "from_state",
    "to_state",
    "outcome",
    "reason",
    "payload",
    "prev_hash",
)
HASHED_TWO = (*HASHED, "format")
FORMAT = 2  # the format kracht writes
CHANGE = "audit.format"  # the action of the event that starts a new format


def canonical_time(at: dt.datetime | str) -> str:
    if isinstance(at, str):  # already canonical, as exported
        return at
    if at.tzinfo is None:  # SQLite hands back naive datetimes; kracht only ever stores UTC
        at = at.replace(tzinfo=dt.UTC)
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


def format_of(fields: dict[str, Any]) -> int:
    return fields.get("format") or 1


def canonical_bytes(fields: dict[str, Any]) -> bytes:
    """The exact bytes an event's hash covers, under the event's own format."""
    if format_of(fields) == 1:
        doc = {name: fields[name] for name in HASHED}
        doc["at"] = canonical_time(doc["at"])
        return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    doc = {name: fields[name] for name in HASHED_TWO}
    doc["at"] = canonical_time(doc["at"])
    return rfc8785.dumps(doc)


def event_hash(fields: dict[str, Any]) -> str:
    """The event's `hash`, hex: SHA-256 of its bytes (format 1), of 0x00 and them (format 2)."""
    data = canonical_bytes(fields)
    if format_of(fields) == 1:
        return hashlib.sha256(data).hexdigest()
    return merkle.leaf_hash(data).hex()


def leaf(fields: dict[str, Any]) -> bytes:
    """The event's leaf in the Merkle tree: SHA-256(0x00 || its bytes), whatever its format."""
    return merkle.leaf_hash(canonical_bytes(fields))


def parse_body(body: bytes) -> dict[str, Any]:
    """A format-2 event's fields as its stored bytes hold them."""
    return json.loads(body)
