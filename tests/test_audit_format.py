"""docs/audit-format.md tells the truth, and docs/verify_trail.py (the reference verifier, which
knows only that document) agrees with kracht: it accepts kracht's own exports, the demo's and one
holding non-ASCII text and hidden payloads, and rejects each tampered export, naming the event and
what is wrong with it."""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kracht.cli import main
from kracht.storage import audit
from kracht.storage.database import GENESIS
from kracht.workflow.demo import data as demo_data
from kracht.workflow.demo.build import run as build_demo
from kracht.workflow.services import auditing
from tests import factories as f

ROOT = Path(__file__).resolve().parent.parent
VERIFIER = ROOT / "docs" / "verify_trail.py"
DOC = (ROOT / "docs" / "audit-format.md").read_text(encoding="utf-8")

# A decision's reason and a title as people write them: the euro sign, accents, curly quotes, an
# en dash, a character beyond U+FFFF, a line break and U+2028 (a line break to some JSON readers).
REASON = "€ 64.389 toegekend: café ‘De Zwaan’ – Enschede; fietsen 🚲\nzie ook\u2028bijlage"
TITLE = "Tweewielers Twente – Ĳzersterk ‘samen’ naar Hengelo"


def _verifier() -> Any:
    spec = importlib.util.spec_from_file_location("verify_trail", VERIFIER)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["verify_trail"] = module  # dataclasses look their module up while being made
    spec.loader.exec_module(module)
    return module


def _export(db_path: Path, auditor: str, out: Path) -> Path:
    """`kracht audit export --format jsonl -o OUT` as `auditor`, kracht's own command."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KRACHT_USER", auditor)
        code = main(["--db", str(db_path), "audit", "export", "--format", "jsonl", "-o", str(out)])
    assert code == 0
    return out


def _check(path: Path, *options: str) -> tuple[int, str, str]:
    """The reference verifier on `path`, as an outsider runs it: its own process, isolated
    (no PYTHONPATH, no user site, not the script's folder on the path)."""
    result = subprocess.run(
        [sys.executable, "-I", str(VERIFIER), str(path), *options],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=path.parent,
    )
    return result.returncode, result.stdout, result.stderr


def _verified(lines: list[bytes], anchors: int = 0) -> str:
    count, last = len(lines), json.loads(lines[-1])["hash"]
    held = f", and {anchors} anchor(s) hold" if anchors else ""
    formats = [json.loads(line).get("format", 1) for line in lines]
    shown = f"format {formats[0]}"
    if formats[-1] != formats[0]:
        shown += f", format {formats[-1]} from #{formats.index(formats[-1]) + 1}"
    return (
        f"{count} events verified (#1 to #{count}, {shown}){held}; the last event's hash is "
        f"{last}: keep it elsewhere, to detect a later cut or rewrite (--anchor {count}:{last})\n"
    )


def _lines(path: Path) -> list[bytes]:
    data = path.read_bytes()
    assert data.endswith(b"\n")
    return data.removesuffix(b"\n").split(b"\n")  # at LF only, as the document says


def _line(event: dict[str, Any]) -> bytes:
    """An event as the export writes it."""
    return json.dumps(event, ensure_ascii=False, sort_keys=True).encode("utf-8")


def _write(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    return path


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """A demo database (`kracht demo`) and its auditor's export."""
    folder = tmp_path_factory.mktemp("demo")
    db_path = Path(build_demo(str(folder / "demo.db"), echo=lambda _line: None))
    return f"sqlite:///{db_path}", _export(db_path, demo_data.AUDITOR, folder / "audit.jsonl")


@pytest.fixture(scope="module")
def small(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """A small trail made with the factories: sheets scored blind (drafts hidden from the other
    members), the joint advice, and a decision whose reason holds non-ASCII text."""
    folder = tmp_path_factory.mktemp("small")
    db_path = folder / "kracht.db"
    shutil.copyfile(sqlite_template, db_path)
    world = f.seed(f"sqlite:///{db_path}")
    app_id = f.make_application(world, stage="steering_decision", title=TITLE)
    world.fire(app_id, "approve", f.STEERING, values={"granted": "64389"}, reason=REASON)
    return world.url, _export(db_path, f.AUDITOR, folder / "audit.jsonl")


def _seq(lines: list[bytes], **match: Any) -> int:
    """The number of the last event whose fields hold `match`."""
    found = [e for e in map(json.loads, lines) if all(e.get(k) == v for k, v in match.items())]
    assert found, match
    return found[-1]["seq"]


# -- the verifier accepts kracht's exports ---------------------------------------------------------


def test_the_verifier_imports_only_the_standard_library():
    tree = ast.parse(VERIFIER.read_text(encoding="utf-8"))
    imported = {
        name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for name in (
            [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
        )
    }

    assert imported <= sys.stdlib_module_names
    assert {"json", "hashlib"} <= imported


@pytest.mark.parametrize("trail", ["demo", "small"])
def test_the_verifier_accepts_krachts_own_export(trail, request):
    url, export = request.getfixturevalue(trail)
    lines = _lines(export)

    code, out, err = _check(export)

    assert (code, out, err) == (0, _verified(lines), "")
    auditor = f.AUDITOR if trail == "small" else demo_data.AUDITOR
    verdict = f.run(url, auditor, auditing.verify)
    assert (verdict.intact, verdict.events) == (True, len(lines))


def test_the_small_trail_holds_non_ascii_text_and_hidden_payloads(small):
    _url, export = small
    lines = _lines(export)
    events = [json.loads(line) for line in lines]
    decision = events[_seq(lines, trigger="approve") - 1]

    assert decision["reason"] == REASON
    assert "€".encode() in lines[decision["seq"] - 1]  # as UTF-8, not escaped
    assert b"\\u20ac" not in export.read_bytes()
    assert any(e["action"] == "score.draft" for e in events)  # blind until submitted
    assert all(len(e["payload"]["salt"]) == 64 for e in events)
    # what issue 15 measured: a verifier escaping non-ASCII text (json.dumps's default) disagrees
    hashed = {name: decision[name] for name in audit.HASHED}
    escaped = json.dumps(hashed, sort_keys=True, separators=(",", ":")).encode()
    assert hashlib.sha256(escaped).hexdigest() != decision["hash"] == audit.event_hash(decision)


def test_an_export_rewritten_with_escaped_text_still_verifies(small, tmp_path):
    """The verifier hashes the values, not the export's lines: the same values written with
    \\u escapes and other spacing are the same events."""
    _url, export = small
    lines = [json.dumps(json.loads(line), indent=None).encode() for line in _lines(export)]
    assert b"\\u20ac" in b"".join(lines)

    assert _check(_write(tmp_path / "escaped.jsonl", lines)) == (0, _verified(lines), "")


# -- and rejects each tampered one, naming it ------------------------------------------------------


def _changed(lines: list[bytes], seq: int, change: Any) -> list[bytes]:
    event = json.loads(lines[seq - 1])
    change(event)
    return [*lines[: seq - 1], _line(event), *lines[seq:]]


def _reason(event: dict[str, Any]) -> None:
    event["reason"] = event["reason"].replace("64.389", "643.890")


def _granted(event: dict[str, Any]) -> None:
    assert isinstance(event["payload"]["values"]["granted"], int)  # cents
    event["payload"]["values"]["granted"] *= 10


def _score(event: dict[str, Any]) -> None:
    event["payload"]["draft"]["innovation"] += 1


def _hash(event: dict[str, Any]) -> None:
    event["hash"] = "f" * 64


def _edited(case: str, lines: list[bytes]) -> tuple[list[bytes], str]:
    """The export with one event changed as `case` says, and the verifier's line for it."""
    decision = _seq(lines, trigger="approve")
    middle = _seq(lines, action="score.draft")  # a blind score: the payload hidden from others
    changed = "its contents do not match its hash (a changed event)"
    if case == "changed reason":
        seq, tampered, problem = decision, _changed(lines, decision, _reason), changed
    elif case == "changed payload value":
        seq, tampered, problem = decision, _changed(lines, decision, _granted), changed
    elif case == "changed hidden score":
        seq, tampered, problem = middle, _changed(lines, middle, _score), changed
    elif case == "changed hash":
        seq, tampered = middle, _changed(lines, middle, _hash)
        problem = (
            "its hash is not that of its contents, which the next event links to (a changed hash)"
        )
    elif case == "another genesis":
        seq, tampered = 1, _changed(lines, 1, lambda e: e.update(prev_hash="1" * 64))
        problem = "its prev_hash is not the genesis value (a broken link)"
    else:
        assert case == "changed reason, hash recomputed"
        return _rehashed(lines, middle)
    return tampered, (
        f"event #{seq} (line {seq}) does not hold: {problem}; the {seq - 1} events before it verify"
    )


def _rehashed(lines: list[bytes], seq: int) -> tuple[list[bytes], str]:
    """A forgery with its own hash recomputed: the next event still links to the old one."""

    def forge(event: dict[str, Any]) -> None:
        event["reason"] = "forged"
        event["hash"] = audit.event_hash(event)

    return _changed(lines, seq, forge), (
        f"event #{seq + 1} (line {seq + 1}) does not hold: its prev_hash is not the hash of event "
        f"#{seq} (a broken link); the {seq} events before it verify"
    )


def _moved(case: str, lines: list[bytes]) -> tuple[list[bytes], str]:
    """The export with lines removed, moved, repeated or cut as `case` says, and the
    verifier's line for it."""
    k = _seq(lines, action="score.draft")
    before = f"the {k - 1} events before it verify"
    if case == "deleted middle event":
        return [*lines[: k - 1], *lines[k:]], (
            f"event #{k + 1} (line {k}) does not hold: expected event #{k} here, "
            f"found #{k + 1} (event #{k} is missing); {before}"
        )
    if case == "two events swapped":
        return [*lines[: k - 1], lines[k], lines[k - 1], *lines[k + 1 :]], (
            f"event #{k + 1} (line {k}) does not hold: expected event #{k} here, "
            f"found #{k + 1}; #{k} comes later, on line {k + 1} (out of order); {before}"
        )
    if case == "repeated event":
        return [*lines[:k], lines[k - 1], *lines[k:]], (
            f"event #{k} (line {k + 1}) does not hold: expected event #{k + 1} here, found #{k} "
            f"(out of order or repeated); the {k} events before it verify"
        )
    if case == "cut line":
        return [*lines[: k - 1], lines[k - 1][:-40], *lines[k:]], (
            f"line {k}, where event #{k} should be, does not hold: the line is no event: "
            f"it is not JSON; {before}"
        )
    assert case == "head cut off"
    return lines[k - 1 :], (
        f"event #{k} (line 1) does not hold: expected event #1 here, found #{k} "
        f"(events #1 to #{k - 1} are missing); the 0 events before it verify"
    )


EDITS = (
    "changed reason",
    "changed payload value",
    "changed hidden score",
    "changed hash",
    "another genesis",
    "changed reason, hash recomputed",
)
MOVES = ("deleted middle event", "two events swapped", "repeated event", "cut line", "head cut off")


@pytest.mark.parametrize("case", EDITS + MOVES)
def test_a_tampered_export_is_rejected_naming_the_event(small, tmp_path, case):
    _url, export = small
    lines = _lines(export)
    tampered, expected = (_edited if case in EDITS else _moved)(case, lines)
    assert tampered != lines

    code, out, err = _check(_write(tmp_path / "tampered.jsonl", tampered))

    assert (code, out, err) == (1, expected + "\n", "")


@pytest.mark.parametrize("kept", [1, 20])
def test_a_cut_tail_verifies_as_the_document_warns(small, tmp_path, kept):
    """What format 1 cannot detect without an outside anchor (issue 15 adds checkpoints): the
    first events alone verify, and only the last hash printed differs from the whole trail's."""
    _url, export = small
    lines = _lines(export)[:kept]

    assert _check(_write(tmp_path / "cut.jsonl", lines)) == (0, _verified(lines), "")
    assert "**A cut tail is not detected.**" in DOC


# -- an anchor kept from an earlier check detects what the chain alone cannot ---------------------


def _anchor(lines: list[bytes], seq: int) -> str:
    return f"{seq}:{json.loads(lines[seq - 1])['hash']}"


def _rewritten(lines: list[bytes], seq: int) -> list[bytes]:
    """The chain rewritten from event `seq` on, as someone with the database could: the event's
    reason changed and every hash from it recomputed, so the result verifies on its own."""
    events = [json.loads(line) for line in lines]
    events[seq - 1]["reason"] = "rewritten"
    for number in range(seq - 1, len(events)):
        if number:
            events[number]["prev_hash"] = events[number - 1]["hash"]
        events[number]["hash"] = audit.event_hash(events[number])
    return [_line(e) for e in events]


def test_an_anchor_kept_from_an_earlier_check_holds_on_the_same_trail(small, tmp_path):
    _url, export = small
    lines = _lines(export)
    anchors = ("--anchor", _anchor(lines, len(lines)), "--anchor", _anchor(lines, 3))

    assert _check(export, *anchors) == (0, _verified(lines, anchors=2), "")


def test_an_anchor_detects_a_cut_tail(small, tmp_path):
    _url, export = small
    lines = _lines(export)
    kept = _anchor(lines, len(lines))
    cut = _write(tmp_path / "cut.jsonl", lines[:20])

    assert _check(cut) == (0, _verified(lines[:20]), "")  # on its own it verifies
    assert _check(cut, "--anchor", kept) == (
        1,
        f"anchor #{len(lines)} does not hold: the export ends at event #20, so the events from #21 "
        f"on, which held #{len(lines)}, are gone (a cut tail); the 20 events verify\n",
        "",
    )


def test_an_anchor_detects_a_chain_rewritten_with_every_hash_recomputed(small, tmp_path):
    _url, export = small
    lines = _lines(export)
    last = len(lines)
    forged = _rewritten(lines, _seq(lines, trigger="approve"))
    path = _write(tmp_path / "rewritten.jsonl", forged)

    assert _check(path) == (0, _verified(forged), "")  # on its own it verifies
    code, out, err = _check(path, "--anchor", _anchor(lines, last))
    assert (code, err) == (1, "")
    assert out == (
        f"anchor #{last} does not hold: event #{last} has the hash "
        f"{json.loads(forged[-1])['hash']}, not the {json.loads(lines[-1])['hash']} kept (the "
        f"chain was rewritten from event #{last} or before); the {last} events verify among "
        "themselves\n"
    )


@pytest.mark.parametrize("anchor", ["", "x:" + "a" * 64, "0:" + "a" * 64, "3:abc", "²:" + "a" * 64])
def test_an_anchor_that_is_no_anchor_is_a_usage_error(small, anchor):
    _url, export = small
    code, out, err = _check(export, "--anchor", anchor)

    assert (code, out) == (2, "")
    assert "an anchor is SEQ:HASH" in err


def test_a_file_that_cannot_be_read_exits_2(tmp_path):
    code, out, err = _check(tmp_path / "missing.jsonl")

    assert (code, out) == (2, "")
    assert err.startswith(f"verify_trail: cannot read {tmp_path / 'missing.jsonl'}: ")


# -- the document is kracht's rule -----------------------------------------------------------------


def _block(marker: str) -> str:
    found = re.search(rf"<!-- {marker} -->\n```\w+\n(.*?)\n```", DOC, re.S)
    assert found, marker
    return found.group(1)


def test_the_worked_example_is_what_kracht_computes():
    event = json.loads(_block("example-export"))
    canonical = _block("example-bytes").replace("\n", "").encode("utf-8")
    digest = _block("example-hash")

    assert audit.canonical_bytes(event) == canonical
    assert audit.event_hash(event) == digest == event["hash"]
    assert _verifier().FORMAT_ONE.canonical_bytes(event) == canonical
    assert f"Its canonical bytes, {len(canonical)} bytes" in DOC


def test_the_worked_example_is_an_event_of_the_demo(tmp_path):
    """The same event in the format-1 demo kept beside the tests (a demo of the same day, the
    migration's fixture): equal but for its time, salt and hashes, which differ from one demo
    database to another. Upgraded and exported as an auditor does today."""
    import gzip

    from kracht.storage.database import migrate

    example = json.loads(_block("example-export"))
    db_path = tmp_path / "format-one.db"
    with gzip.open(Path(__file__).parent / "assets" / "format1-demo.db.gz") as packed:
        db_path.write_bytes(packed.read())
    migrate(f"sqlite:///{db_path}")
    export = _export(db_path, demo_data.AUDITOR, tmp_path / "audit.jsonl")
    event = json.loads(_lines(export)[example["seq"] - 1])

    def stable(e: dict[str, Any]) -> dict[str, Any]:
        payload = {k: v for k, v in e["payload"].items() if k != audit.SALT}
        kept = {k: v for k, v in e.items() if k not in ("at", "prev_hash", "hash", "format")}
        return {**kept, "payload": payload}

    assert stable(event) == stable(example)


def test_the_documented_fields_order_and_genesis_are_krachts():
    documented = re.findall(r"^\| `([a-z_]+)` \|", DOC, re.M)
    order = re.search(r"therefore come as (.*?)\. \(", DOC, re.S)
    assert order is not None

    assert documented == [*audit.HASHED, "hash"]
    assert re.findall(r"`(\w+)`", order.group(1)) == sorted(audit.HASHED)
    assert f"64 zeros: `{GENESIS}`" in DOC
    assert _verifier().FORMAT_ONE.hashed == audit.HASHED
    assert _verifier().GENESIS == GENESIS


def _text_rows() -> list[tuple[str, str]]:
    table = DOC.split("<!-- text-bytes -->")[1].split("<!-- /text-bytes -->")[0]
    rows = re.findall(r"^\| (.+?) \| `([0-9a-f ]+)` \|$", table, re.M)
    assert len(rows) == 12
    return rows


def _text(described: str) -> str:
    """The text a row of the table describes: `€`, `🚲` (U+1F6B2), U+0001, line feed, tab."""
    named = {"line feed": "\n", "tab": "\t"}
    if described in named:
        return named[described]
    if code := re.fullmatch(r"U\+([0-9A-F]{4})", described):
        return chr(int(code.group(1), 16))
    quoted = re.match(r"`(.+?)`", described)
    assert quoted, described
    return quoted.group(1)


@pytest.mark.parametrize(("text", "written"), _text_rows())
def test_text_is_written_as_the_document_says(text, written):
    event = dict.fromkeys(audit.HASHED) | {"at": "", "payload": {}, "reason": _text(text)}

    assert b'"reason":"' + bytes.fromhex(written) + b'"' in audit.canonical_bytes(event)


def test_the_documented_csv_header_is_krachts(small):
    url, _export_path = small
    header = re.search(r"a header row `(.*?)`", DOC, re.S)
    assert header is not None

    lines = f.run(url, f.AUDITOR, auditing.export, "csv")

    assert lines[0] == header.group(1).replace("\n", "")


def test_the_format_two_worked_example_is_what_kracht_and_the_verifier_compute():
    event = json.loads(_block("example-two-export"))
    canonical = _block("example-two-bytes").replace("\n", "").encode("utf-8")
    digest = _block("example-two-hash")

    assert event["format"] == 2
    assert audit.canonical_bytes(event) == canonical
    assert audit.event_hash(event) == digest == event["hash"]
    assert hashlib.sha256(b"\x00" + canonical).hexdigest() == digest
    assert _verifier().FORMAT_TWO.canonical_bytes(event) == canonical
    assert f"by RFC 8785, {len(canonical)} bytes" in DOC


def test_the_format_two_worked_example_is_an_event_of_todays_demo(demo):
    """When the demo changes, replace the format-2 example with the same event of a new demo's
    export (the basic-infrastructure deferral)."""
    example = json.loads(_block("example-two-export"))
    _url, export = demo
    event = json.loads(_lines(export)[example["seq"] - 1])

    def stable(e: dict[str, Any]) -> dict[str, Any]:
        payload = {k: v for k, v in e["payload"].items() if k != audit.SALT}
        kept = {k: v for k, v in e.items() if k not in ("at", "prev_hash", "hash")}
        return {**kept, "payload": payload}

    assert stable(event) == stable(example)
