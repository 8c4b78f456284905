"""Organisations have contact addresses (issue 16, point 5): the documents name organisations,
rarely people, so a message for an organisation's applicants (its decision with the letter)
reaches the organisation when it has nobody with the applicant role."""

import pytest
from sqlmodel import select

from kracht.basics.errors import InvalidInput, NotAllowed
from kracht.storage import audit
from kracht.storage.database import session
from kracht.storage.tables import OutboxMessage
from kracht.workflow.services import directory
from kracht.workflow.services.importer import import_csv
from tests import factories as f
from tests.factories import make_application, run

MINERAL = "Stichting Twentse Mineralen (demo)"
CONTACT = "info@mineralvalley.example.org"


def _to(url, event):
    with session(url) as db:
        query = select(OutboxMessage).where(OutboxMessage.event == event)
        return sorted(m.recipient for m in db.exec(query).all())


def test_a_decision_reaches_the_organisation_that_has_no_applicant_in_kracht(any_world):
    run(any_world.url, f.LEADER, directory.add_org, name=MINERAL, o_type="business",
        email=" Info@MineralValley.example.org ")  # fmt: skip

    make_application(any_world, stage="monitoring", title="Mineral Valley", applicant=MINERAL)
    (decided,) = [m for m in _messages(any_world.url, "decision_made") if m.recipient == CONTACT]

    assert _to(any_world.url, "decision_made") == sorted([CONTACT, f.LEADER])
    assert _to(any_world.url, "application_submitted") == sorted([CONTACT, f.LEADER])
    assert decided.language == "nl"
    assert MINERAL in decided.text


def test_a_person_in_the_applicant_role_is_written_to_instead_of_the_address(any_world):
    run(
        any_world.url,
        f.LEADER,
        directory.set_org_contact,
        f.TALENTIT,
        "office@talentit.example.org",
    )

    make_application(any_world, stage="monitoring")

    assert _to(any_world.url, "decision_made") == sorted([f.APPLICANT, f.LEADER])


def test_an_import_writes_to_the_contact_of_an_organisation_without_applicants(world, tmp_path):
    run(world.url, f.LEADER, directory.add_org, name=MINERAL, o_type="business", email=CONTACT)
    path = tmp_path / "pipeline.csv"
    path.write_text(f"title,programme,applicant,requested\nMinerals,{f.AVT_2018},{MINERAL},100\n")

    run(world.url, f.LEADER, import_csv, path)

    assert _to(world.url, "application_submitted") == sorted([CONTACT, f.LEADER])


def test_the_contact_is_set_changed_and_taken_away_audited_by_the_programme_leader(world):
    run(world.url, f.LEADER, directory.add_org, name=MINERAL, o_type="business")

    set_ = run(world.url, f.LEADER, directory.set_org_contact, MINERAL, CONTACT)
    gone = run(world.url, f.LEADER, directory.set_org_contact, MINERAL, None)
    with pytest.raises(InvalidInput) as bad:
        run(world.url, f.LEADER, directory.set_org_contact, MINERAL, "not an address")
    with pytest.raises(NotAllowed):
        run(world.url, f.APPLICANT, directory.set_org_contact, MINERAL, CONTACT)
    with session(world.url) as db:
        events = [e for e in audit.history(db) if e["action"] == "org.contact"]
    refused = [e for e in events if e["outcome"] == "refused"]
    events = [e for e in events if e["outcome"] == "ok"]

    assert (set_["email"], gone["email"]) == (CONTACT, None)
    assert "e-mail address 'not an address' is not valid" in str(bad.value)
    assert [e["payload"]["previous_email"] for e in events] == [None, CONTACT]
    assert len(refused) == 1  # the applicant's attempt, recorded as refused
    listed = {o["name"]: o["email"] for o in run(world.url, f.LEADER, directory.list_orgs)}
    assert listed[MINERAL] is None


def _messages(url, event):
    with session(url) as db:
        return db.exec(select(OutboxMessage).where(OutboxMessage.event == event)).all()


def test_the_command_line_adds_sets_and_lists_contacts(world, monkeypatch, capsys):
    from kracht.cli import main

    monkeypatch.setenv("KRACHT_DB", world.url.removeprefix("sqlite:///"))
    monkeypatch.setenv("KRACHT_USER", f.LEADER)
    added = main(["org", "add", "--name", MINERAL, "--type", "business", "--email", CONTACT])
    changed = main(["org", "contact", MINERAL, "post@mineralen.example.org"])
    out = capsys.readouterr().out
    bad = main(["org", "add", "--name", "Another", "--type", "business", "--email", "x@"])
    err = capsys.readouterr().err
    main(["org", "list"])
    listed = capsys.readouterr().out

    assert (added, changed, bad) == (0, 0, 1)
    assert f"{MINERAL}: post@mineralen.example.org" in out
    assert err.startswith("kracht: e-mail address 'x@' is not valid")
    assert "EMAIL" in listed
    assert "post@mineralen.example.org" in listed
