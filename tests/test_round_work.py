"""Committee work on a whole round at once (issue 16, point 6): assign the committee to every
application of a round (recusals computed for each) and open scoring for the round, one
transaction per application, audited as usual; one refusal stops none of the others."""

import pytest

from kracht.cli import main
from kracht.storage import audit
from kracht.storage.database import session
from kracht.workflow.services import applications, directory
from tests import factories as f
from tests.factories import make_application, run

ROUND = "2018-1"


@pytest.fixture
def kracht(world, monkeypatch, capsys):
    monkeypatch.setenv("KRACHT_DB", world.url.removeprefix("sqlite:///"))

    def call(*args, user=f.LEADER):
        code = main(["--as", user, *args])
        out, err = capsys.readouterr()
        return code, out, err

    return call


def _round_of_two(world):
    """Two applications of the round with the committee, none assigned yet, and one of another
    round; the second application has a Saxion partner, whose member is recused there."""
    ids = [
        make_application(world, stage="idea", title=f"Round project {n}", round_label=ROUND)
        for n in (1, 2)
    ]
    for app_id in ids:
        while world.state(app_id) != "assessment_committee":
            f.prepare(world, app_id, world.state(app_id))
            forward = [o["trigger"] for o in world.show(app_id)["next"] if o["forward"]]
            run(world.url, f.FIRED_BY.get(world.state(app_id), f.LEADER), _fire, app_id,
                forward[0])  # fmt: skip
    run(world.url, f.LEADER, applications.add_partner, ids[1], organisation="Saxion",
        co_financing=False, commitment="knowledge")  # fmt: skip
    other = make_application(world, stage="idea", title="Other round", round_label="2018-2")
    return ids, other


def _fire(unit, app_id, trigger):
    from kracht.workflow import engine

    return engine.fire(unit, app_id, trigger)


def _assigned(world, app_id):
    with session(world.url) as db:
        return sorted(
            (e["payload"]["member"], "recused" in e["payload"])
            for e in audit.history(db, app_id)
            if e["action"] == "committee.assign"
        )


def test_the_committee_is_assigned_to_every_application_of_the_round(world, kracht):
    ids, other = _round_of_two(world)
    members = [*f.COMMITTEE, f.SAXION_MEMBER]

    code, out, err = kracht("committee", "assign-round", ROUND,
                            *[a for m in members for a in ("--member", m)])  # fmt: skip

    assert code == 0, err
    assert _assigned(world, ids[0]) == sorted((m, False) for m in members)
    assert (f.SAXION_MEMBER, True) in _assigned(world, ids[1])  # recused where linked
    assert _assigned(world, other) == []
    assert f"application {ids[1]}: assigned 4 member(s); {f.SAXION_MEMBER} recused: " in out
    assert err.endswith(f"round {ROUND}: 2 of 2 application(s) done\n")


def test_scoring_opens_for_the_round_and_one_not_ready_is_named_without_stopping(world, kracht):
    ids, _ = _round_of_two(world)
    kracht("committee", "assign-round", ROUND, *[a for m in f.COMMITTEE for a in ("--member", m)])
    run(world.url, f.LEADER, directory.add_person, name="Late", email="late@example.org",
        roles=["committee_member"])  # fmt: skip
    kracht("committee", "assign-round", ROUND, "--member", "late@example.org")
    # the second application loses its committee's majority: a member recuses there
    run(world.url, f.MEMBER, _declare_conflict, ids[1])
    run(world.url, f.MEMBER2, _declare_conflict, ids[1])

    code, out, err = kracht("scores", "open-round", ROUND, "--deadline", f.DEADLINE)

    assert world.state(ids[0]) == "kracht_scoring"
    assert world.state(ids[1]) == "assessment_committee"
    assert code == 5  # the refusal's own exit code, after every application had its turn
    assert f"application {ids[0]}: assessment_committee -> kracht_scoring" in out
    assert f"kracht: application {ids[1]}: cannot open_scoring application {ids[1]}" in err
    assert err.endswith(f"round {ROUND}: 1 of 2 application(s) done\n")


def _declare_conflict(unit, app_id):
    from kracht.workflow.services import assignment

    return assignment.declare(unit, app_id, "I advise this applicant")


def test_an_unknown_round_and_an_outsider_are_refused_in_one_line(world, kracht):
    make_application(world, stage="idea", round_label=ROUND)

    unknown = kracht("scores", "open-round", "1999-9")
    outsider = kracht("scores", "open-round", ROUND, user=f.MEMBER)
    nothing = kracht("scores", "open-round", ROUND)

    assert unknown[0] == 1
    assert unknown[2] == "kracht: no application is in round '1999-9'\n"
    assert outsider[0] == 4
    assert nothing[0] == 1
    assert "is assessment_committee" in nothing[2]


def test_a_past_round_is_opened_with_the_day_it_opened_and_its_passed_deadline(world, kracht):
    ids, _ = _round_of_two(world)
    kracht("committee", "assign-round", ROUND, *[a for m in f.COMMITTEE for a in ("--member", m)])

    today = kracht("scores", "open-round", ROUND, "--deadline", "2018-10-26")
    code, out, err = kracht("scores", "open-round", ROUND, "--deadline", "2018-10-26",
                            "--opened-on", "2018-10-15")  # fmt: skip

    assert today[0] == 5  # opened today, a deadline in 2018 has passed
    assert "a scoring deadline that has not passed (2018-10-26 has;" in today[2]
    assert code == 0, err
    assert [world.state(i) for i in ids] == ["kracht_scoring"] * 2
    opened = [e for e in run(world.url, f.LEADER, applications.history, ids[0])
              if e["trigger"] == "open_scoring" and e["outcome"] == "ok"]  # fmt: skip
    assert opened[0]["payload"]["values"]["scoring_opened_on"] == "2018-10-15"
    assert opened[0]["payload"]["effects"]["opened_on"] == "2018-10-15"
