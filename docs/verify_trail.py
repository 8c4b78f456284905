"""Check an export of kracht's audit trail without kracht: the reference verifier.

    python verify_trail.py EXPORT.jsonl [--anchor SEQ:HASH]... [--checkpoint CP]... [--key VKEY]
    python verify_trail.py --proof PROOF.json --checkpoint CP [--checkpoint CP2] --key VKEY
                           [--event EXPORT.jsonl]

EXPORT.jsonl is what `kracht audit export --format jsonl` writes (the auditors' export, with every
payload's salt). The rules are those of docs/audit-format.md, written out here from that document
and from the standards it names (RFC 8785, RFC 9162, RFC 8032, C2SP signed-note, tlog-checkpoint
and tlog-cosignature) with Python's standard library only: this file imports nothing of kracht, so
it checks kracht's hashes and signatures rather than repeating kracht's own code.

With an export, it walks the chain (format-1 and format-2 events), and then:
- `--anchor SEQ:HASH` (as often as wanted): an event's hash kept from an earlier check (the last
  line the chain check prints) must still be that event's hash in this export;
- `--checkpoint CP` (as often as wanted, with `--key VKEY`, the log's signed-note verifier key): a
  signed checkpoint kept from kracht must verify with the key, and the Merkle tree over the
  export's first N events (N the checkpoint's size) must have the checkpoint's root. A cut tail,
  a tail cut and refilled after the checkpoint was signed, and a rewrite are each named.

With `--proof`, it checks an inclusion proof (one checkpoint; with `--event`, the event in that
export must be the proof's leaf) or a consistency proof (two checkpoints: the older, the newer).

It prints what it found and exits with
  0  everything holds: for an export, the count, the range and the last event's hash (keep that
     hash, or a checkpoint, somewhere the database's administrator cannot reach: see "What
     verifying proves" in the document), then one line per checkpoint; for a proof, one line;
  1  something does not hold, in one line: the first event that does not and why (a changed
     event, a changed hash, a broken link, a missing event, events out of order, a line that is no
     event, a wrong change of format), an anchor or a checkpoint that does not (a cut tail, a tail
     cut and refilled, a rewrite), a checkpoint whose signature does not verify with the key, a
     proof that does not lead to its checkpoint's root; also a checkpoint, key or proof file that
     can be read but is malformed (the line says what is wrong with it);
  2  a file cannot be read at all (missing, a folder, not permitted) or the command is used
     wrongly (a checkpoint without --key, an option without its value, a proof with an export).
It never ends in a traceback.

The chain walk (numbering, links) is the same for every format; what one event's hash covers is
a format's own rule (`FormatOne`, `FormatTwo`), chosen per event by its `format` field under the
rule of the change of format (`format_problem`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, BinaryIO

GENESIS = "0" * 64  # the prev_hash of event #1
CHANGE = "audit.format"  # the action of the event that changes the format from 1 to 2


class Failure(Exception):
    """Something does not hold: the message names it (exit 1)."""


class UsageError(Exception):
    """The command is used wrongly (exit 2)."""


class Unreadable(Exception):
    """A file cannot be read at all (exit 2)."""

    def __init__(self, path: str, error: OSError) -> None:
        super().__init__(f"verify_trail: cannot read {path}: {error.strerror or error}")


# -- RFC 8785, the JSON Canonicalization Scheme (format 2's bytes) --------------------------------


class NotCanonical(ValueError):
    """A value format 2 cannot write: an integer beyond 2**53, NaN, a lone surrogate, ..."""


LONE_SURROGATE = "a text holds a lone surrogate, which is not Unicode text"
MAX_INTEGER = 2**53  # larger integers are refused (kracht never writes one: amounts are cents)
_ESCAPED = re.compile('["\\\\\x00-\x1f]')
_SHORT = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def canonical_json(value: Any) -> bytes:
    """`value` (as json.loads reads it) in RFC 8785's canonical form, UTF-8."""
    try:
        return jcs(value).encode("utf-8")
    except UnicodeEncodeError as error:
        raise NotCanonical(LONE_SURROGATE) from error
    except RecursionError as error:
        raise NotCanonical("it is nested too deeply") from error


def jcs(value: Any) -> str:
    """RFC 8785's serialisation of one JSON value, as text."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, str):
        return _jcs_string(value)
    if isinstance(value, int):
        return _jcs_integer(value)
    if isinstance(value, float):
        return _jcs_number(value)
    if isinstance(value, list):
        return "[" + ",".join(jcs(item) for item in value) + "]"
    if isinstance(value, dict):
        return _jcs_object(value)
    raise NotCanonical(f"{type(value).__name__} is no JSON value")


def _jcs_string(text: str) -> str:
    """Between quotes; only `"`, `\\` and U+0000..U+001F escaped (RFC 8785 3.2.2.2)."""
    return '"' + _ESCAPED.sub(lambda m: _SHORT.get(m[0], f"\\u{ord(m[0]):04x}"), text) + '"'


def _jcs_object(members: dict[Any, Any]) -> str:
    """Members sorted by their keys' UTF-16 code units (RFC 8785 3.2.3), not by code points."""
    if any(not isinstance(key, str) for key in members):
        raise NotCanonical("an object's key is not text")
    keys = sorted(members, key=lambda key: key.encode("utf-16-be", "surrogatepass"))
    return "{" + ",".join(_jcs_string(key) + ":" + jcs(members[key]) for key in keys) + "}"


def _jcs_integer(number: int) -> str:
    if abs(number) > MAX_INTEGER:
        raise NotCanonical(f"the whole number {number} is beyond 2**53")
    return str(number)


def _jcs_number(number: float) -> str:
    """ECMAScript's Number.prototype.toString (RFC 8785 3.2.2.3): the shortest digits that read
    back as the same double, placed as ECMA-262's Number::toString places them."""
    if number != number or number in (float("inf"), float("-inf")):
        raise NotCanonical(f"{number} is no JSON number")
    if number == 0:
        return "0"  # and -0 too
    sign = "-" if number < 0 else ""
    digits, n = _shortest(abs(number))  # the value is 0.DIGITS times 10**n
    k = len(digits)
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * -n + digits
    exponent = f"e{'+' if n > 0 else '-'}{abs(n - 1)}"
    return sign + (digits if k == 1 else digits[0] + "." + digits[1:]) + exponent


def _shortest(number: float) -> tuple[str, int]:
    """The shortest round-trip digits of a positive double (Python's repr finds them) without
    leading or trailing zeros, and n such that the number is 0.DIGITS times 10**n."""
    mantissa, _, exponent = repr(number).partition("e")
    whole, _, fraction = mantissa.partition(".")
    significant = (whole + fraction).lstrip("0")
    digits = significant.rstrip("0")
    trailing = len(significant) - len(digits)
    return digits, int(exponent or 0) - len(fraction) + trailing + len(digits)


# -- the formats: what an event's hash covers ------------------------------------------------------


class FormatOne:
    """Format 1 (kracht up to issue 15): SHA-256 over compact, sorted-key JSON of 13 fields,
    text written as UTF-8 (not escaped), the payload with its salt."""

    number = 1
    hashed: tuple[str, ...] = (
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
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError as error:
            raise NotCanonical(LONE_SURROGATE) from error

    def event_hash(self, event: dict[str, Any]) -> str:
        return self.hashes(event)[0]

    def hashes(self, event: dict[str, Any]) -> tuple[str, bytes]:
        """The event's `hash` (hex) and its leaf hash in the tree: SHA-256(0x00 || bytes)."""
        data = self.canonical_bytes(event)
        return hashlib.sha256(data).hexdigest(), leaf_hash(data)


class FormatTwo(FormatOne):
    """Format 2: RFC 8785 canonical JSON of the 13 fields and `"format": 2`; the hash is the
    leaf hash itself, SHA-256(0x00 || bytes)."""

    number = 2
    hashed = (*FormatOne.hashed, "format")

    def canonical_bytes(self, event: dict[str, Any]) -> bytes:
        return canonical_json({name: event[name] for name in self.hashed})

    def hashes(self, event: dict[str, Any]) -> tuple[str, bytes]:
        leaf = leaf_hash(self.canonical_bytes(event))
        return leaf.hex(), leaf


FORMAT_ONE = FormatOne()
FORMAT_TWO = FormatTwo()
FORMATS: dict[int, FormatOne] = {1: FORMAT_ONE, 2: FORMAT_TWO}


def format_problem(event: dict[str, Any], before: int | None) -> str | None:
    """Why `event`'s format breaks the rule of the change (None if it keeps it): the format never
    goes down and goes from 1 to 2 once, at a format-2 `audit.format` event whose payload's
    `format` is 2. `before` is the previous event's format (None for the first event)."""
    found = event.get("format", 1)
    if type(found) is not int or found not in FORMATS:
        return f"its format {json.dumps(found)} is unknown (the formats are 1 and 2)"
    if event["action"] == CHANGE:
        return _change_problem(event, found, before)
    if before == 2 and found == 1:
        return "it is a format-1 event after a format-2 one (the format never goes down)"
    if before == 1 and found == 2:
        return f"it is a format-2 event before the change of format (an {CHANGE} event)"
    return None


def _change_problem(event: dict[str, Any], found: int, before: int | None) -> str | None:
    payload = event["payload"]
    target = payload.get("format") if isinstance(payload, dict) else None
    if type(target) is not int or target != 2:
        return f"it changes the format to {json.dumps(target)}, an unknown format"
    if found != 2:
        return "it changes the format to 2 but is itself a format-1 event"
    if before == 2:
        return "it changes the format to 2 again (the format changes once)"
    return None


# -- the chain -------------------------------------------------------------------------------------


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
    leaves: tuple[bytes, ...] = ()  # the leaf hashes of the events that hold, in order
    times: tuple[str, ...] = ()  # their `at`


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
    except RecursionError:
        return Line(number, None, "it is nested too deeply")
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


@dataclass
class Walk:
    """The chain walk so far: what the next event must be, and what the events that held gave."""

    expected_seq: int = 1
    expected_prev: str = GENESIS
    format: int | None = None  # the last event's format
    change: int | None = None  # the seq of the first format-2 event
    hashes: dict[int, str] = field(default_factory=dict)  # every event's hash, by seq
    leaves: list[bytes] = field(default_factory=list)
    times: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return self.expected_seq - 1

    def step(self, line: Line, following: Line | None, rest: Iterator[Line]) -> str | None:
        """Check one line: None if its event holds (then it is taken in), else why not."""
        event = line.event
        if event is None:
            return f"the line is no event: {line.problem}"
        if event["seq"] != self.expected_seq:
            return _misnumbered(event["seq"], self.expected_seq, following, rest)
        if event["prev_hash"] != self.expected_prev:
            if self.expected_seq == 1:
                return "its prev_hash is not the genesis value (a broken link)"
            return f"its prev_hash is not the hash of event #{self.count} (a broken link)"
        problem = format_problem(event, self.format)
        if problem is not None:
            return problem
        rule = FORMATS[event.get("format", 1)]
        try:
            recomputed, leaf = rule.hashes(event)
        except NotCanonical as error:
            return f"it cannot be hashed under format {rule.number}: {error}"
        if recomputed != event["hash"]:
            return _changed(recomputed, following)
        self._take(event, rule.number, leaf)
        return None

    def _take(self, event: dict[str, Any], number: int, leaf: bytes) -> None:
        if number == 2 and self.change is None:
            self.change = event["seq"]
        self.format = number
        self.hashes[event["seq"]] = event["hash"]
        self.leaves.append(leaf)
        self.times.append(event["at"])
        self.expected_seq, self.expected_prev = self.expected_seq + 1, event["hash"]

    def formats(self) -> str:
        """The formats of the events, for the verdict: `format 1`, `format 2`, or both."""
        if self.change is None:
            return "format 1"
        if self.change == 1:
            return "format 2"
        return f"format 1, format 2 from #{self.change}"


def verify(lines: Iterator[Line], anchors: dict[int, str] | None = None) -> Verdict:
    """Walk the chain; stop at the first event that does not hold. Then each of `anchors`
    ({seq: hash} kept from an earlier check) must be an event of the chain with that hash."""
    walk = Walk()
    line = next(lines, None)
    while line is not None:
        following = next(lines, None)  # one line ahead: a changed hash shows in the next link
        problem = walk.step(line, following, lines)
        if problem is not None:
            where = (
                f"line {line.number}, where event #{walk.expected_seq} should be,"
                if line.event is None
                else f"event #{line.event['seq']} (line {line.number})"
            )
            return Verdict(
                False,
                walk.count,
                f"{where} does not hold: {problem}; the {walk.count} events before it verify",
            )
        line = following
    return _anchored(walk, anchors or {})


def _anchored(walk: Walk, anchors: dict[int, str]) -> Verdict:
    count = walk.count
    for seq, kept in sorted(anchors.items()):
        if seq not in walk.hashes:
            return Verdict(
                False,
                count,
                f"anchor #{seq} does not hold: the export ends at event #{count}, so the events "
                f"from #{count + 1} on, which held #{seq}, are gone (a cut tail); the {count} "
                "events verify",
            )
        if walk.hashes[seq] != kept:
            return Verdict(
                False,
                count,
                f"anchor #{seq} does not hold: event #{seq} has the hash {walk.hashes[seq]}, not "
                f"the {kept} kept (the chain was rewritten from event #{seq} or before); the "
                f"{count} events verify among themselves",
            )
    if count == 0:
        return Verdict(True, 0, "0 events verified: the export is empty")
    held = f", and {len(anchors)} anchor(s) hold" if anchors else ""
    return Verdict(
        True,
        count,
        f"{count} events verified (#1 to #{count}, {walk.formats()}){held}; the last event's "
        f"hash is {walk.expected_prev}: keep it elsewhere, to detect a later cut or rewrite "
        f"(--anchor {count}:{walk.expected_prev})",
        tuple(walk.leaves),
        tuple(walk.times),
    )


def _changed(recomputed: str, following: Line | None) -> str:
    nxt = following.event if following is not None else None
    if nxt is not None and nxt["prev_hash"] == recomputed:
        return (
            "its hash is not that of its contents, which the next event links to (a changed hash)"
        )
    return "its contents do not match its hash (a changed event)"


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


# -- the tree (RFC 9162 section 2.1) ---------------------------------------------------------------


EMPTY_ROOT = hashlib.sha256(b"").digest()  # the root of the tree of no leaves


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def tree_root(leaves: Sequence[bytes]) -> bytes:
    """MTH (RFC 9162 2.1.1) of the leaf hashes: split at the largest power of two below n."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return node_hash(tree_root(leaves[:k]), tree_root(leaves[k:]))


def _halve_until_odd(fn: int, sn: int) -> tuple[int, int]:
    """Right-shift both until LSB(fn) is set or fn is 0."""
    while fn and not fn & 1:
        fn, sn = fn >> 1, sn >> 1
    return fn, sn


def inclusion_holds(
    index: int, size: int, leaf: bytes, path: Sequence[bytes], root: bytes
) -> bool:  # fmt: skip
    """RFC 9162 2.1.3.2: the audit path leads from leaf `index` of a tree of `size` to `root`."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            fn, sn = _halve_until_odd(fn, sn)
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def consistency_holds(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, path: Sequence[bytes]
) -> bool:
    """RFC 9162 2.1.4.2: the tree of `old_size` is the first leaves of the one of `new_size`.
    Equal sizes need an empty path and equal roots; size 0, an empty path and the empty root."""
    if not 0 <= old_size <= new_size:
        return False
    if old_size == new_size:
        return not path and old_root == new_root
    if old_size == 0:
        return not path and old_root == EMPTY_ROOT
    if not path:
        return False
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is a node of the path
        path = [old_root, *path]
    return _consistency_walk(old_size - 1, new_size - 1, path) == (old_root, new_root, 0)


def _consistency_walk(fn: int, sn: int, path: Sequence[bytes]) -> tuple[bytes, bytes, int]:
    """Steps 4 to 6 of RFC 9162 2.1.4.2: the old and the new root the path leads to, and sn."""
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return b"", b"", -1
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            fn, sn = _halve_until_odd(fn, sn)
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr, sr, sn


# -- Ed25519 verification (RFC 8032 sections 5.1.3 and 5.1.7, after the code of section 6) --------


_P = 2**255 - 19
_D = -121665 * pow(121666, -1, _P) % _P
_L = 2**252 + 27742317777372353535851937790883648493  # the order of the base point
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)
_Point = tuple[int, int, int, int]  # extended coordinates (X, Y, Z, T), x = X/Z, y = Y/Z
_NEUTRAL: _Point = (0, 1, 1, 0)


def _point_add(p: _Point, q: _Point) -> _Point:
    a = (p[1] - p[0]) * (q[1] - q[0]) % _P
    b = (p[1] + p[0]) * (q[1] + q[0]) % _P
    c = 2 * p[3] * q[3] * _D % _P
    d = 2 * p[2] * q[2] % _P
    e, f, g, h = b - a, d - c, d + c, b + a
    return e * f % _P, g * h % _P, f * g % _P, e * h % _P


def _point_mul(scalar: int, point: _Point) -> _Point:
    result = _NEUTRAL
    while scalar > 0:
        if scalar & 1:
            result = _point_add(result, point)
        point = _point_add(point, point)
        scalar >>= 1
    return result


def _point_equal(p: _Point, q: _Point) -> bool:
    return (p[0] * q[2] - q[0] * p[2]) % _P == 0 and (p[1] * q[2] - q[1] * p[2]) % _P == 0


def _recover_x(y: int, sign: int) -> int | None:
    if y >= _P:
        return None
    x2 = (y * y - 1) * pow(_D * y * y + 1, -1, _P) % _P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P != 0:
        x = x * _SQRT_M1 % _P
    if (x * x - x2) % _P != 0:
        return None
    return _P - x if (x & 1) != sign else x


def _decode_point(data: bytes) -> _Point | None:
    """RFC 8032 5.1.3: a point from 32 bytes, or None where they encode none."""
    y = int.from_bytes(data, "little")
    sign, y = y >> 255, y & ((1 << 255) - 1)
    x = _recover_x(y, sign)
    return None if x is None else (x, y, 1, x * y % _P)


def _base_point() -> _Point:
    """B of RFC 8032 5.1: y = 4/5, x positive (even)."""
    y = 4 * pow(5, -1, _P) % _P
    x = _recover_x(y, 0)
    assert x is not None
    return x, y, 1, x * y % _P


_G = _base_point()


def ed25519_verify(public: bytes, message: bytes, signature: bytes) -> bool:
    """RFC 8032 5.1.7: does `signature` sign `message` with the key `public`?
    Checks the group equation [8][S]B = [8]R + [8][k]A."""
    if len(public) != 32 or len(signature) != 64:
        return False
    a, r = _decode_point(public), _decode_point(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if a is None or r is None or s >= _L:
        return False
    k = int.from_bytes(hashlib.sha512(signature[:32] + public + message).digest(), "little") % _L
    left = _point_mul(8 * s, _G)
    right = _point_mul(8, _point_add(r, _point_mul(k, a)))
    return _point_equal(left, right)


# -- the log's key and its checkpoints (C2SP signed-note, tlog-checkpoint, tlog-cosignature) -------


DASH = "\u2014 "  # a signature line starts with an em dash and a space


def _base64(text: str) -> bytes | None:
    """Standard padded base64, in its one canonical spelling (else None)."""
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return data if base64.b64encode(data).decode("ascii") == text else None


@dataclass(frozen=True)
class Key:
    """The log's Ed25519 public key under its name (a signed-note verifier key)."""

    name: str
    public: bytes

    def key_id(self, kind: int) -> bytes:
        """SHA-256(name || 0x0A || kind || key)[:4]: kind 0x01 signs notes, 0x04 cosignatures."""
        return hashlib.sha256(self.name.encode() + b"\n" + bytes([kind]) + self.public).digest()[:4]


def parse_key(text: str) -> Key:
    """`<name>+<key ID, 8 hex digits>+<base64(0x01 || key)>`, one line (a final LF allowed)."""
    line = text.removesuffix("\n")
    name, _, rest = line.partition("+")
    given_id, _, encoded = rest.partition("+")
    data = _base64(encoded)
    if not name or any(c.isspace() for c in line) or data is None:
        raise Failure("it is not a verifier key (NAME+KEYID+BASE64, one line)")
    if len(data) != 33 or data[0] != 1:
        raise Failure("it is not an Ed25519 verifier key (0x01 and 32 bytes)")
    key = Key(name, data[1:])
    if given_id != key.key_id(1).hex():
        raise Failure(f"its key ID {given_id} is not that of its name and key")
    return key


@dataclass(frozen=True)
class Checkpoint:
    """A checkpoint whose log signature verified: the tree's size and root, and when it was
    signed (POSIX seconds, from the cosignature; None without one)."""

    origin: str
    size: int
    root: bytes
    time: int | None

    def named(self) -> str:
        return f"checkpoint {self.origin} size {self.size}"


def parse_checkpoint(text: str, key: Key) -> Checkpoint:
    """A signed note: the body (origin, size, root), a blank line, signature lines. The log's
    signature must verify; its cosignature, where present, too; other keys' lines are ignored."""
    if not text.endswith("\n") or "\n\n" not in text:
        raise Failure("it is not a signed note (a body, a blank line, signature lines)")
    split = text.rindex("\n\n")
    body, signatures = text[: split + 1], text[split + 2 :].removesuffix("\n").split("\n")
    origin, size, root = _body(body)
    signed_at = _signatures(body.encode("utf-8"), signatures, key)
    if origin != key.name:
        raise Failure(f"its origin {origin} is not the key's name {key.name}")
    return Checkpoint(origin, size, root, signed_at)


def _body(body: str) -> tuple[str, int, bytes]:
    lines = body.removesuffix("\n").split("\n")
    if len(lines) != 3 or not lines[0]:
        raise Failure("its body is not three lines (origin, tree size, root)")
    origin, size, encoded = lines
    if not re.fullmatch(r"0|[1-9][0-9]*", size):
        raise Failure(f"its tree size {size!r} is not a decimal number")
    root = _base64(encoded)
    if root is None or len(root) != 32:
        raise Failure("its root is not 32 bytes in base64")
    return origin, int(size), root


def _signatures(body: bytes, lines: list[str], key: Key) -> int | None:
    """Check the signature lines; the time the cosignature gives (None without one). A line
    under the log's name, or bearing one of its key IDs, must be the log's signature or its
    cosignature and verify; the log's signature must be there."""
    log_id, cosign_id = key.key_id(1), key.key_id(4)
    key_text = f"{key.name}+{log_id.hex()}"
    signed, signed_at = False, None
    for line in lines:
        name, signature = _signature_line(line)
        if name != key.name and signature[:4] not in (log_id, cosign_id):
            continue  # another key's signature (a witness's): ignored, as signed-note says
        if name != key.name or signature[:4] not in (log_id, cosign_id):
            raise Failure(f"its signature line under {name} is not by the key given ({key_text})")
        if signature[:4] == log_id:
            _log_signature(body, signature, key)
            signed = True
        else:
            signed_at = _cosignature(body, signature, key)
    if not signed:
        raise Failure(f"it holds no signature by the key {key.name} ({log_id.hex()})")
    return signed_at


def _signature_line(line: str) -> tuple[str, bytes]:
    name, _, encoded = line.removeprefix(DASH).partition(" ")
    signature = _base64(encoded)
    if not line.startswith(DASH) or not name or signature is None or len(signature) < 5:
        raise Failure(f"its line {line!r} is not a signature line (— NAME BASE64)")
    return name, signature


def _log_signature(body: bytes, signature: bytes, key: Key) -> None:
    if len(signature) != 68 or not ed25519_verify(key.public, body, signature[4:]):
        raise Failure(f"the log's signature does not verify with the key {key.name}")


def _cosignature(body: bytes, signature: bytes, key: Key) -> int:
    """The timestamp of the log's own cosignature/v1, which must verify."""
    timestamp = int.from_bytes(signature[4:12], "big")
    message = b"cosignature/v1\ntime %d\n" % timestamp + body
    if len(signature) != 76 or not ed25519_verify(key.public, message, signature[12:]):
        raise Failure(f"the log's timestamp signature does not verify with the key {key.name}")
    return timestamp


def moment(timestamp: int) -> str:
    """POSIX seconds as a UTC time, the way events give theirs."""
    try:
        return datetime.fromtimestamp(timestamp, UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        return f"POSIX time {timestamp}"


def checkpoint_problem(checkpoint: Checkpoint, verdict: Verdict) -> str | None:
    """Why a verified export is not the trail `checkpoint` signed (None if it is): a cut tail,
    a tail cut and refilled after the checkpoint was signed, or a rewrite."""
    n, count = checkpoint.size, verdict.verified
    if n > count:
        return f"cut tail: the export ends at event #{count}; events #{count + 1}..#{n} are gone"
    if tree_root(verdict.leaves[:n]) == checkpoint.root:
        return None
    later = _recorded_after(verdict.times[:n], checkpoint.time)
    if later is not None and checkpoint.time is not None:
        return (
            f"cut and refilled: events #{later}..#{n} were recorded after the checkpoint was "
            f"signed at {moment(checkpoint.time)}"
        )
    return (
        f"rewritten: the first {n} events are not the ones checkpointed (their hashes were "
        "recomputed)"
    )


def _recorded_after(times: Sequence[str], signed_at: int | None) -> int | None:
    """The seq of the first event recorded at least a second after `signed_at`, if any."""
    if signed_at is None:
        return None
    for seq, at in enumerate(times, start=1):
        try:
            when = datetime.fromisoformat(at)
        except (TypeError, ValueError):
            continue
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        if when.timestamp() >= signed_at + 1:
            return seq
    return None


# -- proofs ---------------------------------------------------------------------------------------


def _hash_field(proof: dict[str, Any], name: str) -> bytes:
    value = proof.get(name)
    if not isinstance(value, str) or not re.fullmatch(r"[0-9a-f]{64}", value):
        raise Failure(f"its {name} is not a hash (64 lowercase hex digits)")
    return bytes.fromhex(value)


def _count_field(proof: dict[str, Any], name: str, least: int) -> int:
    value = proof.get(name)
    if type(value) is not int or value < least:
        raise Failure(f"its {name} is not a whole number of at least {least}")
    return value


def _path_field(proof: dict[str, Any]) -> list[bytes]:
    path = proof.get("path")
    if not isinstance(path, list):
        raise Failure("its path is not a list of hashes")
    return [_hash_field({"path element": p}, "path element") for p in path]


def parse_proof(text: str) -> dict[str, Any]:
    """A proof file: one JSON object, an inclusion or a consistency proof."""
    try:
        proof = json.loads(text)
    except (ValueError, RecursionError):
        raise Failure("it is not JSON") from None
    if not isinstance(proof, dict) or proof.get("proof") not in ("inclusion", "consistency"):
        raise Failure('it is no proof (an object whose "proof" is inclusion or consistency)')
    if not isinstance(proof.get("origin"), str):
        raise Failure("its origin is not text")
    return proof


def check_inclusion(proof: dict[str, Any], checkpoint: Checkpoint) -> tuple[int, bytes]:
    """An inclusion proof against its checkpoint: the event's seq and leaf hash if it holds."""
    seq, size = _count_field(proof, "seq", 1), _count_field(proof, "tree_size", 1)
    leaf, root = _hash_field(proof, "leaf_hash"), _hash_field(proof, "root")
    path = _path_field(proof)
    if proof["origin"] != checkpoint.origin or size != checkpoint.size:
        raise Failure(f"it is for {proof['origin']} size {size}, not {checkpoint.named()}")
    if root != checkpoint.root:
        raise Failure(f"its root is not the root of {checkpoint.named()}")
    if not inclusion_holds(seq - 1, size, leaf, path, root):
        raise Failure(f"its path does not lead from event #{seq} to the root of size {size}")
    return seq, leaf


def check_consistency(proof: dict[str, Any], old: Checkpoint, new: Checkpoint) -> None:
    """A consistency proof between the old and the new checkpoint."""
    old_size, new_size = _count_field(proof, "old_size", 0), _count_field(proof, "new_size", 0)
    old_root, new_root = _hash_field(proof, "old_root"), _hash_field(proof, "new_root")
    path = _path_field(proof)
    for checkpoint, size, root in ((old, old_size, old_root), (new, new_size, new_root)):
        if proof["origin"] != checkpoint.origin or size != checkpoint.size:
            raise Failure(f"it is for {proof['origin']} size {size}, not {checkpoint.named()}")
        if root != checkpoint.root:
            raise Failure(f"its root for size {size} is not the root of {checkpoint.named()}")
    if not consistency_holds(old_size, new_size, old_root, new_root, path):
        raise Failure(f"its path does not show size {old_size} to be the start of size {new_size}")


def event_leaf(lines: Iterator[Line], seq: int) -> bytes:
    """The leaf hash of event `seq` in an export, which must match its own hash."""
    for line in lines:
        event = line.event
        if event is None or event["seq"] != seq:
            continue
        found = event.get("format", 1)
        rule = FORMATS.get(found) if type(found) is int else None
        if rule is None:
            raise Failure(f"event #{seq} (line {line.number}) has the unknown format {found}")
        try:
            recomputed, leaf = rule.hashes(event)
        except NotCanonical as error:
            raise Failure(f"event #{seq} (line {line.number}) cannot be hashed: {error}") from None
        if recomputed != event["hash"]:
            raise Failure(f"event #{seq} (line {line.number}) does not match its hash")
        return leaf
    raise Failure(f"it holds no event #{seq}")


# -- the command ----------------------------------------------------------------------------------


USAGE = (
    "usage: python verify_trail.py EXPORT.jsonl [--anchor SEQ:HASH]... [--checkpoint CP]... "
    "[--key VKEY]\n"
    "       python verify_trail.py --proof PROOF.json --checkpoint CP [--checkpoint CP2] "
    "--key VKEY [--event EXPORT.jsonl]"
)


@dataclass
class Options:
    export: str | None = None
    anchors: dict[int, str] = field(default_factory=dict)
    checkpoints: list[str] = field(default_factory=list)
    key: str | None = None
    proof: str | None = None
    event: str | None = None


def parse_options(argv: list[str]) -> Options:
    options = Options()
    words = iter(argv)
    for word in words:
        value = next(words, None) if word.startswith("--") else word
        if value is None:
            raise UsageError(f"{word} needs a value")
        if word == "--anchor":
            options.anchors.update([_anchor(value)])
        elif word == "--checkpoint":
            options.checkpoints.append(value)
        elif word in ("--key", "--proof", "--event") and getattr(options, word[2:]) is None:
            setattr(options, word[2:], value)
        elif options.export is None and not word.startswith("-"):
            options.export = value
        else:
            raise UsageError(f"{word} is not expected here")
    _check_options(options)
    return options


def _check_options(options: Options) -> None:
    if options.proof is not None:
        if options.export is not None or options.anchors:
            raise UsageError("a proof is checked against checkpoints, not an export")
        if not options.checkpoints or len(options.checkpoints) > 2 or options.key is None:
            raise UsageError("a proof needs --key and one or two --checkpoint")
        return
    if options.export is None:
        raise UsageError("which export?")
    if options.event is not None:
        raise UsageError("--event goes with --proof")
    if options.checkpoints and options.key is None:
        raise UsageError("a checkpoint needs the log's key: --key VKEY")


def _anchor(given: str) -> tuple[int, str]:
    seq, _, digest = given.partition(":")
    digest = digest.strip().lower()
    wrong = UsageError("an anchor is SEQ:HASH (a whole number, 64 hex digits)")
    if not (seq.isascii() and seq.isdigit()) or int(seq) < 1 or len(digest) != 64:
        raise wrong
    if any(c not in "0123456789abcdef" for c in digest):
        raise wrong
    return int(seq), digest


def _text(path: str, what: str) -> str:
    """A small file's text (UTF-8); a file that is not text is a failure naming it."""
    try:
        with open(path, "rb") as stream:
            data = stream.read()
    except OSError as error:
        raise Unreadable(path, error) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise Failure(f"{what} {path} is not usable: it is not UTF-8 text") from None


def _export(path: str, anchors: dict[int, str]) -> Verdict:
    try:
        with open(path, "rb") as stream:
            return verify(read(stream), anchors)
    except OSError as error:
        raise Unreadable(path, error) from None


def _within(what: str, path: str, parse: Any, *args: Any) -> Any:
    """`parse(text, *args)` of a file; its failure names the file."""
    text = _text(path, what)
    try:
        return parse(text, *args)
    except Failure as failure:
        raise Failure(f"{what} {path} does not hold: {failure}") from None


def read_key(path: str) -> Key:
    """The verifier key in the file at `path`."""
    return _within("key", path, parse_key)


def read_checkpoint(path: str, key: Key) -> Checkpoint:
    """The checkpoint in the file at `path`, its signatures verified with `key`."""
    return _within("checkpoint", path, parse_checkpoint, key)


def _checkpoints(options: Options) -> list[Checkpoint]:
    if not options.checkpoints:
        return []
    assert options.key is not None
    key = read_key(options.key)
    return [read_checkpoint(path, key) for path in options.checkpoints]


def check_export(options: Options) -> list[str]:
    """The export mode: the chain, its anchors and its checkpoints."""
    assert options.export is not None
    checkpoints = _checkpoints(options)
    verdict = _export(options.export, options.anchors)
    if not verdict.holds:
        raise Failure(verdict.message)
    lines = [verdict.message]
    for checkpoint in checkpoints:
        problem = checkpoint_problem(checkpoint, verdict)
        if problem is not None:
            raise Failure(f"{checkpoint.named()} does not hold: {problem}")
        lines.append(f"{checkpoint.named()} holds")
    return lines


def check_proof(options: Options) -> list[str]:
    """The proof mode: an inclusion proof (and its event) or a consistency proof."""
    assert options.proof is not None
    checkpoints = _checkpoints(options)
    proof = _within("proof", options.proof, parse_proof)
    try:
        if proof["proof"] == "consistency":
            if options.event is not None:
                raise UsageError("--event goes with an inclusion proof")
            return [_consistency(proof, checkpoints)]
        return [_inclusion(proof, checkpoints[0], options)]
    except Failure as failure:
        raise Failure(f"proof {options.proof} does not hold: {failure}") from None


def _consistency(proof: dict[str, Any], checkpoints: list[Checkpoint]) -> str:
    if len(checkpoints) != 2:
        raise UsageError("a consistency proof needs two checkpoints: the older, then the newer")
    old, new = checkpoints
    check_consistency(proof, old, new)
    return f"consistency proof holds: {old.named()} is the start of {new.named()}"


def _inclusion(proof: dict[str, Any], checkpoint: Checkpoint, options: Options) -> str:
    if len(options.checkpoints) != 1:
        raise UsageError("an inclusion proof needs one checkpoint")
    seq, leaf = check_inclusion(proof, checkpoint)
    held = f"inclusion proof holds: event #{seq} is in {checkpoint.named()}"
    if options.event is None:
        return held
    try:
        with open(options.event, "rb") as stream:
            found = event_leaf(read(stream), seq)
    except OSError as error:
        raise Unreadable(options.event, error) from None
    except Failure as failure:
        raise Failure(f"the export {options.event}: {failure}") from None
    if found != leaf:
        raise Failure(f"event #{seq} of {options.event} is not the event it proves")
    return f"{held}, and it is event #{seq} of {options.event}"


def main(argv: list[str]) -> int:
    try:
        options = parse_options(argv)
        lines = (check_proof if options.proof is not None else check_export)(options)
    except UsageError as error:
        print(f"{USAGE}\n  {error}", file=sys.stderr)
        return 2
    except Unreadable as error:
        print(error, file=sys.stderr)
        return 2
    except Failure as failure:
        print(failure)
        return 1
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
