"""A programme's tracks and rule periods (issue 16, points 1 and 2): a line or a call with a route
of its own, validated so that every track reaches a decision, and rules that apply from a date,
both declared in the programme's configuration beside the road and shown with it."""

import pytest
from sqlmodel import select

from kracht.basics.errors import GuardFailed, InvalidInput, NotFound
from kracht.cli import main
from kracht.storage import audit
from kracht.storage.database import session
from kracht.storage.tables import OutboxMessage
from kracht.workflow import engine
from kracht.workflow.config import DEFAULT_FILE, default_document
from kracht.workflow.services import applications, directory, score_sheets
from tests import factories as f
from tests.factories import run

BASIS = {
    "key": "basis",
    "name": "Basisinfrastructuur",
    "lines": ["circular"],
    "stages": ["idea", "steering_decision"],
    "reason": "the steering committee decides on the basic infrastructure directly",
}
PASSED = ["innovation_table", "ecosystem_analysis", "assessment_committee", "kracht_scoring"]


def configure(world, *, tracks=(), periods=(), programme=f.AVT_2018):
    document = {**default_document(), "tracks": list(tracks), "periods": list(periods)}
    return run(world.url, f.LEADER, directory.configure_programme, programme, document=document)


def create(world, line="talent", round_label=None, submitted_on=None, title="Novel-T 2019"):
    return run(world.url, f.LEADER, applications.create, title=title, programme=f.AVT_2018,
               applicant=f.TALENTIT, requested="100000", line=line, round=round_label,
               submitted_on=submitted_on)["id"]  # fmt: skip


def history(world, app_id):
    with session(world.url) as db:
        return [e for e in audit.history(db, app_id) if e["action"] == "fire"]


def test_a_track_goes_straight_from_the_idea_to_the_steering_decision(world):
    configure(world, tracks=[BASIS])
    app_id = create(world, line="circular")
    f.prepare(world, app_id, "idea")
    f.complete_proposal(world, app_id)
    shown = world.show(app_id)
    assert shown["not_applicable"]["assessment_committee"] == f"track basis: {BASIS['reason']}"
    step = next(o for o in shown["next"] if o["forward"])
    assert (step["trigger"], step["to"], step["passing"]) == (
        "present_at_table", "steering_decision", PASSED)  # fmt: skip

    moved = world.fire(app_id, "present_at_table")

    assert moved["to"] == "steering_decision"
    events = history(world, app_id)
    assert [(e["from_state"], e["to_state"]) for e in events] == [
        ("idea", "innovation_table"), ("innovation_table", "ecosystem_analysis"),
        ("ecosystem_analysis", "assessment_committee"),
        ("assessment_committee", "kracht_scoring"), ("kracht_scoring", "steering_decision"),
    ]  # fmt: skip
    assert events[4]["reason"] == f"kracht_scoring does not apply: track basis: {BASIS['reason']}"
    assert run(world.url, f.LEADER, score_sheets.view, app_id)["rounds"] == []  # none opened
    with session(world.url) as db:
        ready = db.exec(select(OutboxMessage).where(OutboxMessage.event == "advice_ready")).all()
    assert {m.recipient for m in ready} == {f.STEERING, f.LEADER}
    assert all(m.subject == "Klaar voor besluit: Novel-T 2019" for m in ready)
    assert all("beoordeelt deze aanvraag niet: track basis: " in m.text for m in ready)

    decided = world.fire(app_id, "approve", actor=f.STEERING, reason="basic infrastructure",
                         values={"granted": "100000"})  # fmt: skip
    assert decided["to"] == "monitoring"


def test_a_track_returns_rework_to_the_idea_and_the_rest_of_the_programme_keeps_its_road(world):
    configure(world, tracks=[BASIS])
    on_track, other = create(world, line="circular"), create(world, line="talent")
    for app_id in (on_track, other):
        f.prepare(world, app_id, "idea")
        f.complete_proposal(world, app_id)
        world.fire(app_id, "present_at_table")
    assert world.state(other) == "innovation_table"  # its line has no track

    world.fire(on_track, "return_for_rework", actor=f.STEERING, reason="elaborate the plan")

    assert world.state(on_track) == "idea"


def test_a_round_of_its_own_follows_its_track_before_its_line(world):
    call = {
        **BASIS,
        "key": "call-2019",
        "lines": [],
        "rounds": ["2019-basis"],
        "stages": ["idea", "assessment_committee", "kracht_scoring", "steering_decision"],
    }
    configure(world, tracks=[BASIS, call])
    app_id = create(world, line="circular", round_label="2019-basis")
    f.prepare(world, app_id, "idea")
    f.complete_proposal(world, app_id)

    assert world.fire(app_id, "present_at_table")["to"] == "assessment_committee"


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"stages": ["idea", "kracht_scoring", "steering_decision"]},
         "assessment_committee and kracht_scoring go together"),
        ({"stages": ["idea", "innovation_table"]}, "every track goes through idea and "
                                                   "steering_decision"),
        ({"stages": ["idea", "monitoring", "steering_decision"]},
         "'monitoring' is no stage of the road"),
        ({"lines": [], "rounds": []}, "name the lines or rounds"),
        ({"colour": "red"}, "unknown key tracks[0].colour"),
        ({"reason": ""}, "tracks[0].reason is missing"),
        ({"lines": ["bereikbaarheid"]}, "the programme has no line 'bereikbaarheid'"),
        ({"stages": ["idea", "ecosystem_analysis", "steering_decision"]},
         "ecosystem_analysis does not apply in this programme at all"),
        ({"stages": "idea"}, "tracks[0].stages must be a list of texts"),
    ],
)  # fmt: skip
def test_a_track_that_cannot_reach_a_decision_or_does_not_fit_is_refused(world, change, words):
    with pytest.raises(InvalidInput) as refused:
        configure(world, tracks=[{**BASIS, **change}])
    assert words in str(refused.value)
    assert run(world.url, f.LEADER, directory.programme_roads, f.AVT_2018)["version"] is None


def test_two_tracks_cannot_share_a_line(world):
    with pytest.raises(InvalidInput, match="line 'circular' is named twice"):
        configure(world, tracks=[BASIS, {**BASIS, "key": "other"}])


PERIODS = [
    {"from": "2018-01-10", "name": "AvT 2018-2022", "waive": ["co_financing_business",
                                                              "smart_indicators"],
     "reason": "the rule came with the 2020 strategy; SMART indicators with AvT 2023-2027"},
    {"from": "2020-01-01", "name": "Strategisch plan 2020", "waive": ["smart_indicators"],
     "reason": "no project without a co-financing company from 2020"},
    {"from": "2023-01-01", "name": "AvT 2023-2027", "waive": [], "reason": "every rule"},
]  # fmt: skip


def _to_the_table_without_a_co_financing_business(world, submitted_on):
    app_id = create(world, submitted_on=submitted_on, title=f"Submitted {submitted_on}")
    f.prepare(world, app_id, "idea")
    run(world.url, f.LEADER, engine.record, app_id, "proposal",
        {"proposal_summary": "a plan", "budget_total": "500000"})  # fmt: skip
    run(world.url, f.LEADER, applications.add_indicator, app_id, name="firms", measured_in="firms",
        baseline="0", target="10", target_date="2022-12-31")  # fmt: skip
    world.fire(app_id, "present_at_table")
    f.prepare(world, app_id, "innovation_table")
    return app_id


def test_the_rules_of_the_period_an_application_was_submitted_in_are_the_ones_it_meets(world):
    configure(world, periods=PERIODS)
    early = _to_the_table_without_a_co_financing_business(world, "2018-06-01")
    late = _to_the_table_without_a_co_financing_business(world, "2023-02-01")

    assert world.fire(early, "start_ecosystem_analysis")["to"] == "assessment_committee"
    with pytest.raises(GuardFailed) as refused:
        world.fire(late, "start_ecosystem_analysis")

    assert "at least one co-financing business" in str(refused.value)
    waived = history(world, early)[-1]["payload"]["rules_not_applicable"]
    assert set(waived) == {"co_financing_business", "smart_indicators"}
    assert waived["co_financing_business"].startswith("period AvT 2018-2022 (from 2018-01-10)")
    assert set(world.show(early)["rules_not_applicable"]) == set(waived)
    assert world.show(late)["rules_not_applicable"] == {}
    assert world.state(late) == "innovation_table"


def test_an_application_before_every_period_meets_every_rule(world):
    configure(world, periods=PERIODS[1:])
    app_id = _to_the_table_without_a_co_financing_business(world, "2019-03-01")

    with pytest.raises(GuardFailed, match="co-financing business"):
        world.fire(app_id, "start_ecosystem_analysis")


@pytest.mark.parametrize(
    ("period", "words"),
    [
        ({"waive": ["no_such_rule"]}, "'no_such_rule' is no rule of the road; the rules are: "
                                      "co_financing_business, smart_indicators"),
        ({"from": "2018-13-01"}, "periods[0].from: '2018-13-01' is not a date"),
        ({"from": None}, "periods[0].from is missing"),
        ({"name": ""}, "periods[0].name is missing"),
    ],
)  # fmt: skip
def test_a_period_with_an_unknown_rule_or_date_is_refused(world, period, words):
    with pytest.raises(InvalidInput) as refused:
        configure(world, periods=[{**PERIODS[0], **period}])
    assert words in str(refused.value)


def test_two_periods_cannot_start_on_one_day(world):
    with pytest.raises(InvalidInput, match="from '2018-01-10' is named twice"):
        configure(world, periods=[PERIODS[0], {**PERIODS[1], "from": "2018-01-10"}])


@pytest.fixture
def kracht(world, monkeypatch, capsys):
    monkeypatch.setenv("KRACHT_DB", world.url.removeprefix("sqlite:///"))

    def call(*args, user=f.LEADER):
        code = main(["--as", user, *args])
        out, err = capsys.readouterr()
        return code, out, err

    return call


def test_workflow_show_and_diagram_give_the_programme_s_routes_and_periods(world, kracht, tmp_path):
    file = tmp_path / "avt.toml"
    file.write_text(
        DEFAULT_FILE.read_text(encoding="utf-8")
        + '\n[[tracks]]\nkey = "basis"\nname = "Basisinfrastructuur"\nlines = ["circular"]\n'
        'stages = ["idea", "steering_decision"]\nreason = "decided directly"\n'
        '\n[[periods]]\nfrom = 2018-01-10\nname = "AvT 2018-2022"\n'
        'waive = ["co_financing_business"]\nreason = "before the 2020 strategy"\n',
        encoding="utf-8",
    )  # fmt: skip
    assert kracht("programme", "configure", f.AVT_2018, "--file", str(file))[0] == 0

    code, out, err = kracht("workflow", "show", "--programme", f.AVT_2018)

    assert code == 0, err
    assert "track basis (Basisinfrastructuur): line circular\n    idea -> steering_decision" in out
    assert "every line and round without a track of its own\n    idea -> innovation_table -> " \
           "assessment_committee -> kracht_scoring -> steering_decision" in out  # fmt: skip
    assert "passes ecosystem_analysis: no ecosystem analysis in the 2018-2022 process" in out
    assert "From 2018-01-10 (AvT 2018-2022): not yet co_financing_business" in out

    code, out, err = kracht("workflow", "diagram", "--programme", f.AVT_2018, "--track", "basis")
    assert code == 0, err
    assert ("idea --> steering_decision: present_at_table (passing innovation_table, "
            "ecosystem_analysis, assessment_committee, kracht_scoring)") in out  # fmt: skip
    assert "assessment_committee -->" not in out

    code, out, err = kracht("workflow", "diagram", "--programme", f.AVT_2018)
    assert "innovation_table --> assessment_committee: start_ecosystem_analysis (passing " \
           "ecosystem_analysis)" in out  # fmt: skip
    assert "steering_decision --> innovation_table: return_for_rework" in out
    assert "--> ecosystem_analysis" not in out

    code, out, err = kracht("workflow", "diagram", "--programme", f.AVT_2018, "--track", "nope")
    assert code != 0
    assert "no track 'nope'; programme avt-2018 has the tracks: basis" in err


def test_roads_of_an_unknown_programme_are_not_found(world):
    with pytest.raises(NotFound):
        run(world.url, f.LEADER, directory.programme_roads, "no-such")


def test_the_application_page_shows_its_route_and_the_rules_that_do_not_apply_yet(world):
    from tests.web_server import running, signed_in

    configure(world, tracks=[BASIS], periods=PERIODS)
    app_id = create(world, line="circular", submitted_on="2018-10-01")
    with running(world.url) as base:
        page = signed_in(base, world.url, f.LEADER).get(f"/applications/{app_id}").text

    assert '<h2 id="route-title">Route van deze aanvraag</h2>' in page
    assert "<p>idee → besluit sturingscommissie</p>" in page
    assert "beoordelingscommissie is hier niet van toepassing: track basis: " in page
    assert "minstens één cofinancierend bedrijf: geldt nog niet voor deze aanvraag (period " \
           "AvT 2018-2022 (from 2018-01-10)" in page  # fmt: skip
    assert "<script" not in page.split("route-title")[1].split("</section>")[0]
    assert '<a href="/programmes/avt-2018">Alle routes en regels van het programma</a>' in page


def test_an_applicant_cannot_choose_a_round_or_a_past_submission_day(world):
    from kracht.basics.errors import NotAllowed

    configure(world, tracks=[{**BASIS, "lines": [], "rounds": ["fast"]}], periods=PERIODS)
    fields = {"title": "Mine", "programme": f.AVT_2018, "applicant": f.TALENTIT,
              "requested": "1000", "line": "talent"}  # fmt: skip

    with pytest.raises(NotAllowed, match="only a programme leader puts an application in a round"):
        run(world.url, f.APPLICANT, applications.create, **fields, round="fast")
    with pytest.raises(NotAllowed, match="only a programme leader gives a submission day other"):
        run(world.url, f.APPLICANT, applications.create, **fields, submitted_on="2018-02-01")

    own = run(world.url, f.APPLICANT, applications.create, **fields)["id"]
    assert world.show(own)["rules_not_applicable"] == {}  # today's rules: every rule applies
    led = run(world.url, f.LEADER, applications.create, **fields, round="fast")["id"]
    assert world.show(led)["route"] == ["idea", "steering_decision"]
