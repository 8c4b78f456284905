"""The stdlib reference verifier (docs/verify_trail.py) on what kracht itself writes: its export,
its signed checkpoints, its inclusion and consistency proofs, on SQLite and PostgreSQL, with
non-ASCII text; and each tampered trail, exported, rejected and named."""

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from kracht.basics.checkpoints import SigningKey
from kracht.storage import clock
from kracht.workflow.services import auditing, decisions
from tests import factories as f
from tests.factories import make_application, run
from tests.test_audit_proofs import _cut, _rewrite, _ten_times, _unguarded

VERIFIER = Path(__file__).parents[1] / "docs" / "verify_trail.py"
NAME = "agendavoortwente.nl/kracht"
REASON = "Toegekend: € 64.389 voor het Twentse talent 🚲"


def _verify(*arguments: Path | str) -> tuple[int, str]:
    """The verifier as an auditor runs it: isolated, nothing of kracht on its path."""
    done = subprocess.run(
        [sys.executable, "-I", str(VERIFIER), *map(str, arguments)],
        capture_output=True,
        text=True,
        encoding="utf-8",
    )
    return done.returncode, done.stdout + done.stderr


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _export(url: str, path: Path) -> Path:
    lines = run(url, f.AUDITOR, auditing.export, "jsonl")
    return _write(path, "".join(line + "\n" for line in lines))


@pytest.fixture
def files(any_world, tmp_path):
    """A decision with a euro sign and a bicycle in its reason; a checkpoint after it, more work,
    a second checkpoint; the export, the verifier key and both kinds of proof, as kracht wrote
    them."""
    key = SigningKey.generate(NAME)
    app_id = make_application(any_world, stage="steering_decision")
    run(any_world.url, f.STEERING, decisions.decide, app_id, "approve", reason=REASON,
        amount="64389")  # fmt: skip
    first = _write(tmp_path / "first.cp", run(any_world.url, f.AUDITOR, auditing.checkpoint, key))
    make_application(any_world, stage="innovation_table", title="Twents Huis van de Logistiek")
    second = _write(tmp_path / "second.cp", run(any_world.url, f.AUDITOR, auditing.checkpoint, key))
    size = int(first.read_text().splitlines()[1])
    proof = run(any_world.url, f.AUDITOR, auditing.prove, 7, NAME, size)
    consistency = run(any_world.url, f.AUDITOR, auditing.consistency, size, NAME)
    return {
        "url": any_world.url,
        "size": size,
        "key": _write(tmp_path / "audit.key.pub", key.verifier().text()),
        "first": first,
        "second": second,
        "export": _export(any_world.url, tmp_path / "audit.jsonl"),
        "inclusion": _write(tmp_path / "inclusion.json", json.dumps(proof)),
        "consistency": _write(tmp_path / "consistency.json", json.dumps(consistency)),
        "tmp": tmp_path,
    }


def test_the_verifier_accepts_krachts_export_with_both_checkpoints(files):
    code, out = _verify(files["export"], "--checkpoint", files["first"], "--checkpoint",
                        files["second"], "--key", files["key"])  # fmt: skip

    assert code == 0, out
    assert f"checkpoint {NAME} size {files['size']} holds" in out
    assert REASON.encode() in files["export"].read_bytes()  # as UTF-8, not escaped


def test_the_verifier_accepts_krachts_inclusion_proof_with_the_event(files):
    code, out = _verify("--proof", files["inclusion"], "--checkpoint", files["first"], "--key",
                        files["key"], "--event", files["export"])  # fmt: skip

    assert code == 0, out


def test_the_verifier_accepts_krachts_consistency_proof_between_the_checkpoints(files):
    code, out = _verify("--proof", files["consistency"], "--checkpoint", files["first"],
                        "--checkpoint", files["second"], "--key", files["key"])  # fmt: skip

    assert code == 0, out


def test_a_proof_or_checkpoint_tampered_with_is_rejected(files):
    proof = json.loads(files["inclusion"].read_text())
    proof["path"][0] = "00" * 32
    bent = _write(files["tmp"] / "bent.json", json.dumps(proof))
    text = files["first"].read_text()
    size = files["size"]
    grown = _write(files["tmp"] / "grown.cp", text.replace(f"\n{size}\n", f"\n{size + 1}\n", 1))

    bent_code, _ = _verify("--proof", bent, "--checkpoint", files["first"], "--key", files["key"])
    grown_code, grown_out = _verify(files["export"], "--checkpoint", grown, "--key", files["key"])

    assert (bent_code, grown_code) == (1, 1)
    assert "signature" in grown_out


def _tampered(files, name):
    return _export(files["url"], files["tmp"] / f"{name}.jsonl")


def test_a_cut_tail_exported_is_named_by_the_verifier(files):
    _unguarded(files["url"])
    _cut(files["url"], files["size"] - 2)

    code, out = _verify(_tampered(files, "cut"), "--checkpoint", files["first"], "--key",
                        files["key"])  # fmt: skip

    assert code == 1
    assert "cut tail" in out
    assert f"events #{files['size'] - 1}..#{files['size']} are gone" in out


def test_a_cut_tail_refilled_exported_is_named_by_the_verifier(files):
    _unguarded(files["url"])
    _cut(files["url"], files["size"] - 2)
    with clock.frozen(clock.now() + dt.timedelta(hours=1)):
        make_application(f.World(files["url"]), stage="idea", title="Forged in afterwards")

    code, out = _verify(_tampered(files, "refilled"), "--checkpoint", files["first"], "--key",
                        files["key"])  # fmt: skip

    assert code == 1
    assert f"cut and refilled: events #{files['size'] - 1}..#{files['size']} were recorded" in out


def test_a_rewrite_exported_is_named_by_the_verifier(files):
    _unguarded(files["url"])
    _rewrite(files["url"], 5, _ten_times)

    code, out = _verify(_tampered(files, "rewritten"), "--checkpoint", files["first"], "--key",
                        files["key"])  # fmt: skip

    assert code == 1
    assert "rewritten: the first" in out


def test_an_edited_event_exported_is_named_by_the_verifier(files):
    lines = files["export"].read_text(encoding="utf-8").splitlines()
    event = json.loads(lines[6])
    event["reason"] = "edited afterwards"
    lines[6] = json.dumps(event, ensure_ascii=False, sort_keys=True)
    edited = _write(files["tmp"] / "edited.jsonl", "\n".join(lines) + "\n")

    code, out = _verify(edited, "--checkpoint", files["first"], "--key", files["key"])

    assert code == 1
    assert out.startswith("event #7 (line 7) does not hold: its contents do not match its hash")
