"""Blind scoring holds against the audit hashes: nothing a member reads lets them recover another
member's scores by trying every possible sheet against the hashes they were shown."""

import datetime as dt
import itertools
import json
import re

import pytest
import sqlalchemy as sa

from kracht.basics.checkpoints import SigningKey
from kracht.cli import main
from kracht.storage import audit
from kracht.storage.audit_chain import Chain
from kracht.storage.database import session
from kracht.storage.tables import AuditEvent, AuditHead, AuditNode
from kracht.workflow.config import default_document, scoring
from kracht.workflow.services import assignment, auditing, score_sheets
from tests import factories as f
from tests.factories import make_application, run
from tests.test_audit import _drop_guard_triggers

A, B = f.MEMBER2, f.MEMBER  # A scores; B has not submitted and tries to read A's scores
CRITERIA = [c.key for c in scoring(default_document()).criteria]
SHEET = dict(zip(CRITERIA, (5, 2, 4, 1, 3, 4), strict=True))
HEX = re.compile(r"\b[0-9a-f]{64}\b")


def _kracht(capsys, url, actor, *args):
    """`kracht --db URL --as ACTOR ARGS` in-process: (exit code, everything it printed)."""
    code = main(["--db", url, "--as", actor, *args])
    out, err = capsys.readouterr()
    return code, out + err


def _reads(capsys, url, actor, app_ids):
    """Everything `actor` may run that reads records, as (command, exit code, output)."""
    commands = [
        ("app", "list", "--json"),
        ("export", "applications", "--format", "json"),
        ("export", "decisions", "--format", "json"),
        ("export", "indicators", "--format", "json"),
        ("export", "reports", "--format", "json"),
        ("audit", "export", "--format", "jsonl"),
        ("audit", "verify", "--json"),
        ("scores", "ranking", "--round", "2018-1", "--json"),
        ("outbox", "list", "--json"),
        ("reminders", "list", "--json"),
        ("audit", "prove", "1"),
        ("audit", "checkpoint"),
    ]
    for app_id in app_ids:
        commands += [
            ("app", "history", str(app_id), "--json"),
            ("app", "show", str(app_id), "--json"),
            ("scores", "show", str(app_id), "--json"),
            ("committee", "show", str(app_id), "--json"),
        ]
    return [(c, *_kracht(capsys, url, actor, *c)) for c in commands]


def _proofs_handed_over(url, hidden):
    """... but were they handed an auditor's inclusion proof of each hidden event and a
    checkpoint, those hold only hashes: (what, 0, its text) like a read, the root as hex."""
    key = SigningKey.generate("agendavoortwente.nl/kracht")
    point = key.verifier().open(run(url, f.AUDITOR, auditing.checkpoint, key))
    handed = [(("handed", "checkpoint"), 0, point.text + point.root.hex())]
    for event in hidden:
        proof = run(url, f.AUDITOR, auditing.prove, event["seq"], point.origin, point.size)
        handed.append((("handed", "proof"), 0, json.dumps(proof)))
    return handed


def _histories(reads):
    return [e for c, code, out in reads if c[1] == "history" and code == 0 for e in json.loads(out)]


def _candidates(event, criteria_version):
    """Every payload a score event of one sheet can have: a draft of any criteria, a submission."""
    if event["action"] == "score.submit":
        for values in itertools.product(range(1, 6), repeat=len(CRITERIA)):
            submitted = dict(zip(CRITERIA, values, strict=True))
            yield {"submitted": submitted, "criteria_version": criteria_version}
    elif event["action"] == "score.draft":
        for size in range(1, len(CRITERIA) + 1):
            for keys in itertools.combinations(CRITERIA, size):
                for values in itertools.product(range(1, 6), repeat=size):
                    yield {"draft": dict(zip(keys, values, strict=True))}


def _recovered(reads, criteria_version):
    """Brute force: the hidden score payloads whose hash turns up in anything the reader saw."""
    seen = {h for _, _, out in reads for h in HEX.findall(out)}
    events = _histories(reads)
    by_seq = {e["seq"]: e for e in events}
    found = []
    for event in events:
        if "hidden" not in event["payload"] or not event["action"].startswith("score."):
            continue
        before = by_seq.get(event["seq"] - 1, {}).get("hash")
        for prev in {event["prev_hash"], before} - {None}:
            for payload in _candidates(event, criteria_version):
                if audit.event_hash({**event, "payload": payload, "prev_hash": prev}) in seen:
                    found.append((event["seq"], payload))
                    break
    return found


def _hidden_score_events(reads):
    return [
        e
        for e in _histories(reads)
        if e["actor"] == A and e["action"].startswith("score.") and "hidden" in e["payload"]
    ]


def _criteria_version(world, app_id):
    return run(world.url, f.LEADER, score_sheets.view, app_id)["rounds"][-1]["criteria_version"]


def _score(world, app_id, member, sheet, submit):
    run(world.url, member, assignment.declare, app_id, None)
    values = {k: (str(v), f"{k}: as I judge it") for k, v in sheet.items()}
    run(world.url, member, score_sheets.score, app_id, values)
    if submit:
        run(world.url, member, score_sheets.submit, app_id)


@pytest.mark.parametrize("submitted", [False, True], ids=["draft", "submitted"])
def test_a_member_cannot_recover_another_members_sheet_from_the_hashes(
    any_world, capsys, submitted, tmp_path, monkeypatch
):
    keyfile = tmp_path / "audit.key"
    keyfile.write_text(SigningKey.generate("agendavoortwente.nl/kracht").private_text())
    monkeypatch.setenv("KRACHT_AUDIT_KEY", str(keyfile))  # so the refusal is the role's
    app_id = make_application(any_world, stage="kracht_scoring")
    _score(any_world, app_id, A, SHEET, submit=submitted)
    _score(any_world, app_id, B, dict.fromkeys(CRITERIA[:2], 3), submit=False)

    reads = _reads(capsys, any_world.url, B, [app_id])
    refused = [code for command, code, _ in reads if command[:2] in (("audit", "prove"),
               ("audit", "checkpoint"))]  # fmt: skip
    reads += _proofs_handed_over(any_world.url, _hidden_score_events(reads))

    hidden = _hidden_score_events(reads)
    exits = {command[:2]: code for command, code, _ in reads}
    assert (exits["audit", "export"], exits["app", "history"]) == (4, 0)  # auditors export
    assert [e["action"] for e in hidden] == ["score.draft"] + ["score.submit"] * submitted
    assert _recovered(reads, _criteria_version(any_world, app_id)) == []
    assert refused == [4, 4]  # a member may not ask for proofs or checkpoints ...
    with session(any_world.url) as db:
        events = audit.history(db, app_id, salted=True)
    salts = {e["payload"][audit.SALT] for e in events}
    assert len(salts) == len(events)
    assert not [salt for salt in salts for _, _, out in reads if salt in out]


def test_an_auditor_verifies_the_salted_chain_and_tampering_is_still_found(any_world, capsys):
    app_id = make_application(any_world, stage="kracht_scoring")
    _score(any_world, app_id, A, SHEET, submit=True)

    code, exported = _kracht(capsys, any_world.url, f.AUDITOR, "audit", "export")
    event = json.loads(exported.splitlines()[-1])
    intact = _kracht(capsys, any_world.url, f.AUDITOR, "audit", "verify")
    _drop_guard_triggers(any_world.url)
    forged = {**event["payload"], "submitted": {**SHEET, CRITERIA[0]: 1}}
    with session(any_world.url, write=True) as db:
        forging = sa.update(AuditEvent).where(AuditEvent.seq == event["seq"])
        db.execute(forging.values(payload=forged))
    broken = _kracht(capsys, any_world.url, f.AUDITOR, "audit", "verify")

    assert (code, event["action"], event["payload"]["submitted"]) == (0, "score.submit", SHEET)
    assert re.fullmatch("[0-9a-f]{64}", event["payload"].get("salt", ""))
    assert audit.event_hash(event) == event["hash"]  # the export verifies without kracht
    assert intact[0] == 0
    assert intact[1].startswith("audit trail intact: ")
    assert broken == (
        7,
        f"kracht: audit trail broken at event #{event['seq']}: its payload column does not "
        f"match its stored bytes (altered); the {event['seq'] - 1} events before it verify\n",
    )


def _legacy_event(url, app_id, action, payload):
    """An event without a salt, as kracht wrote them before payloads were salted (a chain from
    an older release; written here in today's format, with its tree nodes, so the chain still
    verifies); returns its hash."""
    with session(url, write=True) as db:
        head = db.get(AuditHead, 1)
        chain = Chain.from_head(head.seq, head.hash, head.format, head.frontier)
        row, nodes = chain.add(
            dict(at=dt.datetime.now(dt.UTC), actor=A, roles="committee_member",
                 application_id=app_id, action=action, trigger=None, from_state=None,
                 to_state=None, outcome="ok", reason=None, payload=payload)
        )  # fmt: skip
        db.add(AuditEvent(**row))
        db.add_all(AuditNode(**node) for node in nodes)
        moved = chain.head()
        head.seq, head.hash, head.frontier = (
            moved["new_seq"],
            moved["new_hash"],
            moved["new_frontier"],
        )
        return head.hash


def test_an_unsalted_hidden_event_of_an_older_chain_shows_no_hash_to_guess_from(any_world, capsys):
    app_id = make_application(any_world, stage="kracht_scoring")
    version = _criteria_version(any_world, app_id)
    run(any_world.url, A, assignment.declare, app_id, None)
    drafted = _legacy_event(any_world.url, app_id, "score.draft", {"draft": SHEET})
    _score(any_world, app_id, B, dict.fromkeys(CRITERIA[:2], 3), submit=False)
    submitted = _legacy_event(
        any_world.url, app_id, "score.submit", {"submitted": SHEET, "criteria_version": version}
    )
    other = make_application(any_world, stage="idea", title="Next in the chain")

    reads = _reads(capsys, any_world.url, B, [app_id, other])

    assert [e["action"] for e in _hidden_score_events(reads)] == ["score.draft", "score.submit"]
    assert _recovered(reads, version) == []
    assert not [c for c, _, out in reads if drafted in out or submitted in out]
    assert _kracht(capsys, any_world.url, f.AUDITOR, "audit", "verify")[0] == 0


def test_the_brute_force_finds_an_unsalted_sheet_whose_hash_is_shown():
    """The search above is not vacuous: without a salt, the whole score space is tried in
    format 2's own hashing and a sheet shown only by its hash comes out."""
    version = "cfg-0123456789ab"
    fields = dict(seq=40, at="2026-12-03T10:00:00.000000+00:00", actor=A,
                  roles="committee_member", application_id=1, action="score.submit",
                  trigger=None, from_state="kracht_scoring", to_state="kracht_scoring",
                  outcome="ok", reason=None, prev_hash="ab" * 32, format=2,
                  payload={"submitted": SHEET, "criteria_version": version})  # fmt: skip
    shown = {**fields, "payload": {"hidden": "until you submit"}, "hash": audit.event_hash(fields)}
    reads = [(("app", "history", "1"), 0, json.dumps([shown]))]

    assert _recovered(reads, version) == [(40, fields["payload"])]
