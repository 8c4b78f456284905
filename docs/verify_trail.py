"""Check an export of kracht's audit trail without kracht: the reference verifier.

    python verify_trail.py EXPORT.jsonl

EXPORT.jsonl is what `kracht audit export --format jsonl` writes (the auditors' export, with every
payload's salt). The rules are those of docs/audit-format.md, written out here from that document
with Python's standard library only: this file imports nothing of kracht, so it checks kracht's
hashes rather than repeating kracht's own code.

It prints one line and exits with
  0  every event holds: the count, the range and the last event's hash (keep that hash somewhere
     the database's administrator cannot reach: see "What verifying proves" in the document);
  1  an event does not hold: the first one, its line in the file, and why (a changed event, a
     changed hash, a broken link, a missing event, events out of order, a line that is no event);
  2  the file cannot be read (missing, a folder, not permitted) or the command is used wrongly.

The chain walk (numbering, links) is the same for every format; what one event's hash covers is
a format's own rule (`FormatOne`). A later format is another rule beside it, chosen per event by
`rule_for`, so that the events written under format 1 keep verifying under format 1.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

GENESIS = "0" * 64  # the prev_hash of event #1


class FormatOne:
    """Format 1 (kracht up to issue 15): SHA-256 over compact, sorted-key JSON of 13 fields,
    text written as UTF-8 (not escaped), the payload with its salt."""

    number = 1
    hashed = (
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

    def canonical_bytes(self, event: dict[str, Any]) -> bytes:
        document = {name: event[name] for name in self.hashed}
        text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return text.encode("utf-8")

    def event_hash(self, event: dict[str, Any]) -> str:
        return hashlib.sha256(self.canonical_bytes(event)).hexdigest()


FORMAT_ONE = FormatOne()


def rule_for(event: dict[str, Any], current: FormatOne) -> FormatOne:
    """The rule `event` is hashed under: today every event is format 1. A format-change event
    (issue 15) will switch the rule from the event after it on."""
    return current


@dataclass(frozen=True)
class Line:
    number: int  # in the file, from 1
    event: dict[str, Any] | None
    problem: str | None = None  # why the line is no event


@dataclass(frozen=True)
class Verdict:
    holds: bool
    verified: int  # events that hold before the first that does not (all of them when it holds)
    message: str


def read(stream: BinaryIO) -> Iterator[Line]:
    """The export's lines as events. Lines end at LF only: text may hold U+2028 and other
    characters some readers take for line breaks, unescaped."""
    for number, raw in enumerate(stream, start=1):
        yield _parse(number, raw)


def _parse(number: int, raw: bytes) -> Line:
    try:
        event = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return Line(number, None, "it is not UTF-8 text")
    except ValueError:
        return Line(number, None, "it is not JSON")
    if not isinstance(event, dict):
        return Line(number, None, "it is not a JSON object")
    missing = [name for name in (*FORMAT_ONE.hashed, "hash") if name not in event]
    if missing:
        return Line(number, None, "it lacks the field " + ", ".join(missing))
    if type(event["seq"]) is not int:
        return Line(number, None, "its seq is not a whole number")
    if not isinstance(event["hash"], str) or not isinstance(event["prev_hash"], str):
        return Line(number, None, "its hash or prev_hash is not text")
    return Line(number, event)


def verify(lines: Iterator[Line]) -> Verdict:
    """Walk the chain; stop at the first event that does not hold."""
    rule = FORMAT_ONE
    expected_seq, expected_prev, count = 1, GENESIS, 0
    line = next(lines, None)
    while line is not None:
        following = next(lines, None)  # one line ahead: a changed hash shows in the next link
        problem = _problem(line, following, lines, rule, expected_seq, expected_prev)
        if problem is not None:
            where = (
                f"line {line.number}, where event #{expected_seq} should be,"
                if line.event is None
                else f"event #{line.event['seq']} (line {line.number})"
            )
            return Verdict(
                False,
                count,
                f"{where} does not hold: {problem}; the {count} events before it verify",
            )
        assert line.event is not None
        rule = rule_for(line.event, rule)
        expected_seq, expected_prev, count = expected_seq + 1, line.event["hash"], count + 1
        line = following
    if count == 0:
        return Verdict(True, 0, "0 events verified: the export is empty")
    return Verdict(
        True,
        count,
        f"{count} events verified (#1 to #{count}, format {rule.number}); the last event's hash "
        f"is {expected_prev}: keep it elsewhere, to detect a later cut or rewrite",
    )


def _problem(
    line: Line,
    following: Line | None,
    rest: Iterator[Line],
    rule: FormatOne,
    expected_seq: int,
    expected_prev: str,
) -> str | None:
    event = line.event
    if event is None:
        return f"the line is no event: {line.problem}"
    if event["seq"] != expected_seq:
        return _misnumbered(event["seq"], expected_seq, following, rest)
    if event["prev_hash"] != expected_prev:
        if expected_seq == 1:
            return "its prev_hash is not the genesis value (a broken link)"
        return f"its prev_hash is not the hash of event #{expected_seq - 1} (a broken link)"
    recomputed = rule.event_hash(event)
    if recomputed != event["hash"]:
        nxt = following.event if following is not None else None
        if nxt is not None and nxt["prev_hash"] == recomputed:
            return (
                "its hash is not that of its contents, which the next event links to "
                "(a changed hash)"
            )
        return "its contents do not match its hash (a changed event)"
    return None


def _misnumbered(found: int, expected: int, following: Line | None, rest: Iterator[Line]) -> str:
    here = f"expected event #{expected} here, found #{found}"
    if found > expected:
        later = [following] if following is not None else []
        for line in (*later, *rest):
            if line.event is not None and line.event["seq"] == expected:
                return f"{here}; #{expected} comes later, on line {line.number} (out of order)"
        if found == expected + 1:
            return f"{here} (event #{expected} is missing)"
        return f"{here} (events #{expected} to #{found - 1} are missing)"
    return f"{here} (out of order or repeated)"


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0].startswith("-"):
        print("usage: python verify_trail.py EXPORT.jsonl", file=sys.stderr)
        return 2
    try:
        with open(argv[0], "rb") as stream:
            verdict = verify(read(stream))
    except OSError as error:
        print(f"verify_trail: cannot read {argv[0]}: {error.strerror or error}", file=sys.stderr)
        return 2
    print(verdict.message)
    return 0 if verdict.holds else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
