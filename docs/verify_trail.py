"""Check an export of kracht's audit trail without kracht: the reference verifier.

    python verify_trail.py EXPORT.jsonl [--anchor SEQ:HASH ...]

With `--anchor SEQ:HASH` (as often as wanted), an event's hash kept from an earlier check (the
last line this prints) must still be that event's hash in this export: a cut tail (the event is
gone) and a chain rewritten from that event or before it (its hash differs) are then detected.

EXPORT.jsonl is what `kracht audit export --format jsonl` writes (the auditors' export, with every
payload's salt). The rules are those of docs/audit-format.md, written out here from that document
with Python's standard library only: this file imports nothing of kracht, so it checks kracht's
hashes rather than repeating kracht's own code.

It prints one line and exits with
  0  every event holds: the count, the range and the last event's hash (keep that hash somewhere
     the database's administrator cannot reach: see "What verifying proves" in the document);
  1  an event does not hold: the first one, its line in the file, and why (a changed event, a
     changed hash, a broken link, a missing event, events out of order, a line that is no event),
     or an anchor does not (its event is missing, or has another hash);
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


def verify(lines: Iterator[Line], anchors: dict[int, str] | None = None) -> Verdict:
    """Walk the chain; stop at the first event that does not hold. Then each of `anchors`
    ({seq: hash} kept from an earlier check) must be an event of the chain with that hash."""
    rule = FORMAT_ONE
    expected_seq, expected_prev, count = 1, GENESIS, 0
    anchors = anchors or {}
    seen: dict[int, str] = {}  # the anchored events' hashes in this export
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
        if line.event["seq"] in anchors:
            seen[line.event["seq"]] = line.event["hash"]
        rule = rule_for(line.event, rule)
        expected_seq, expected_prev, count = expected_seq + 1, line.event["hash"], count + 1
        line = following
    for seq, kept in sorted(anchors.items()):
        if seq not in seen:
            return Verdict(
                False,
                count,
                f"anchor #{seq} does not hold: the export ends at event #{count}, so the events "
                f"from #{count + 1} on, which held #{seq}, are gone (a cut tail); the {count} "
                "events verify",
            )
        if seen[seq] != kept:
            return Verdict(
                False,
                count,
                f"anchor #{seq} does not hold: event #{seq} has the hash {seen[seq]}, not the "
                f"{kept} kept (the chain was rewritten from event #{seq} or before); the "
                f"{count} events verify among themselves",
            )
    if count == 0:
        return Verdict(True, 0, "0 events verified: the export is empty")
    held = f", and {len(anchors)} anchor(s) hold" if anchors else ""
    return Verdict(
        True,
        count,
        f"{count} events verified (#1 to #{count}, format {rule.number}){held}; the last event's "
        f"hash is {expected_prev}: keep it elsewhere, to detect a later cut or rewrite "
        f"(--anchor {count}:{expected_prev})",
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


USAGE = "usage: python verify_trail.py EXPORT.jsonl [--anchor SEQ:HASH ...]"


def main(argv: list[str]) -> int:
    path, anchors = None, {}
    words = iter(argv)
    for word in words:
        if word == "--anchor":
            anchor = _anchor(next(words, ""))
            if anchor is None:
                print(f"{USAGE}\n  an anchor is SEQ:HASH (a whole number, 64 hex digits)",
                      file=sys.stderr)  # fmt: skip
                return 2
            anchors[anchor[0]] = anchor[1]
        elif path is None and not word.startswith("-"):
            path = word
        else:
            print(USAGE, file=sys.stderr)
            return 2
    if path is None:
        print(USAGE, file=sys.stderr)
        return 2
    try:
        with open(path, "rb") as stream:
            verdict = verify(read(stream), anchors)
    except OSError as error:
        print(f"verify_trail: cannot read {path}: {error.strerror or error}", file=sys.stderr)
        return 2
    print(verdict.message)
    return 0 if verdict.holds else 1


def _anchor(given: str) -> tuple[int, str] | None:
    seq, _, digest = given.partition(":")
    digest = digest.strip().lower()
    if not (seq.isascii() and seq.isdigit()) or int(seq) < 1 or len(digest) != 64:
        return None
    if any(c not in "0123456789abcdef" for c in digest):
        return None
    return int(seq), digest


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
