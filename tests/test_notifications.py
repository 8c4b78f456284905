"""Who hears what: each event's recipients and content, in their language, written atomically."""

import datetime as dt
import os
import re

import pytest
from markupsafe import escape
from sqlmodel import select

from kracht.basics import moments
from kracht.basics.errors import GuardFailed
from kracht.cli import main
from kracht.notifications import outbox
from kracht.notifications.render import LANGUAGES, TEMPLATES, render
from kracht.notifications.rules import EVENTS, RULES
from kracht.notifications.settings import Settings, Templates
from kracht.storage import clock
from kracht.storage.database import Database, session
from kracht.storage.tables import OutboxMessage
from kracht.workflow.services import applications, budgets, decisions, directory
from kracht.workflow.unit import Units
from tests import factories as f
from tests.factories import make_application, prepare, run

ENGLISH_APPLICANT = "project.lead@talentit.example.org"


def _messages(world, event=None, application_id=None):
    with session(world.url) as db:
        rows = db.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        return [
            m
            for m in rows
            if (event is None or m.event == event)
            and (application_id is None or m.application_id == application_id)
        ]


def _recipients(world, event, application_id):
    return sorted(m.recipient for m in _messages(world, event, application_id))


def _english_applicant(world):
    run(
        world.url,
        f.LEADER,
        directory.add_person,
        name="Project Lead",
        email=ENGLISH_APPLICANT,
        roles=["applicant"],
        organisation=f.TALENTIT,
        language="en",
    )


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", sorted({rule.template for rule in RULES}))
def test_every_rule_has_a_text_and_html_template_in_both_languages(template, language):
    for suffix in ("txt.j2", "html.j2"):
        assert (TEMPLATES / language / f"{template}.{suffix}").is_file()
    first = (TEMPLATES / language / f"{template}.txt.j2").read_text().splitlines()[0]
    assert first.startswith("Subject: ")


def test_a_missing_variable_fails_when_rendering_not_in_an_inbox():
    import jinja2

    with pytest.raises(jinja2.UndefinedError, match="deadline"):
        render("scoring_opened.txt.j2", "en", {"recipient": "X", "title": "T", "applicant": "A",
                                                "application_id": 1})  # fmt: skip


def test_every_declared_event_reaches_at_least_one_group():
    assert set(EVENTS) == {rule.event for rule in RULES}
    assert {"scoring_reminder", "condition_overdue", "report_due", "overdue_escalation"} <= set(
        EVENTS
    )


def test_submission_reaches_the_applicant_and_the_programme_leader(any_world):
    app_id = make_application(any_world, "idea")

    assert _recipients(any_world, "application_submitted", app_id) == [f.LEADER, f.APPLICANT]
    (to_applicant,) = [
        m
        for m in _messages(any_world, "application_submitted", app_id)
        if m.recipient == f.APPLICANT
    ]
    assert to_applicant.subject == "Aanvraag ontvangen: TalentIT Twente"
    assert to_applicant.status == "pending"
    assert to_applicant.message_id == outbox.message_id(to_applicant.key)


def test_each_move_reaches_the_groups_the_rules_declare(any_world):
    app_id = make_application(any_world, "kracht_scoring")

    assert _recipients(any_world, "moved_to_innovation_table", app_id) == [
        f.APPLICANT,
        f.TABLE_CHAIR,
    ]
    assert _recipients(any_world, "referred_to_committee", app_id) == [f.APPLICANT, f.CHAIR]
    assert _recipients(any_world, "scoring_opened", app_id) == sorted(f.COMMITTEE)
    (opened,) = [
        m for m in _messages(any_world, "scoring_opened", app_id) if m.recipient == f.MEMBER
    ]
    assert opened.subject == f"Beoordelen voor {f.DEADLINE}: TalentIT Twente"
    assert f"voor {f.DEADLINE}" in opened.text


def test_a_recused_member_is_not_asked_to_score(world):
    app_id = make_application(world, "assessment_committee")
    from kracht.workflow.services import assignment

    run(world.url, f.LEADER, assignment.assign, app_id, f.SAXION_MEMBER)
    run(world.url, f.SAXION_MEMBER, assignment.declare, app_id, "I advise TalentIT")
    prepare(world, app_id, "assessment_committee")
    world.fire(app_id, "open_scoring")

    assert f.SAXION_MEMBER not in _recipients(world, "scoring_opened", app_id)
    assert _recipients(world, "scoring_opened", app_id) == sorted(f.COMMITTEE)


def test_advice_reaches_the_steering_committee_and_the_programme_leader(any_world):
    app_id = make_application(any_world, "steering_decision")

    assert _recipients(any_world, "advice_ready", app_id) == [f.LEADER, f.STEERING]
    (steering,) = [
        m for m in _messages(any_world, "advice_ready", app_id) if m.recipient == f.STEERING
    ]
    assert "positive" in steering.text


def test_the_decision_reaches_the_applicant_with_the_letter_in_their_language(world):
    _english_applicant(world)
    app_id = make_application(world, "monitoring")

    messages = {m.recipient: m for m in _messages(world, "decision_made", app_id)}
    assert sorted(messages) == [f.LEADER, f.APPLICANT, ENGLISH_APPLICANT]
    dutch, english = messages[f.APPLICANT], messages[ENGLISH_APPLICANT]
    letter_nl = run(world.url, f.LEADER, decisions.letter, app_id, "nl")
    letter_en = run(world.url, f.LEADER, decisions.letter, app_id, "en")
    assert (dutch.language, english.language) == ("nl", "en")
    assert dutch.subject == "Besluit over uw aanvraag: TalentIT Twente"
    assert english.subject == "Decision on your application: TalentIT Twente"
    assert letter_nl.strip() in dutch.text
    assert letter_en.strip() in english.text
    assert "€ 64.389,00" in dutch.text
    assert "EUR 64,389.00" in english.text


def test_html_parts_are_escaped_and_text_parts_are_not(world):
    app_id = make_application(world, "idea", title="Bits & <Bytes> Twente")

    (message,) = [
        m for m in _messages(world, "application_submitted", app_id) if m.recipient == f.APPLICANT
    ]
    assert "Bits & <Bytes> Twente" in message.text
    assert "Bits &amp; &lt;Bytes&gt; Twente" in message.html
    assert "<Bytes>" not in message.html


def test_a_refused_decision_leaves_no_message(world):
    app_id = make_application(world, "steering_decision")
    before = len(_messages(world))

    with pytest.raises(GuardFailed):
        run(
            world.url,
            f.STEERING,
            decisions.decide,
            app_id,
            "approve",
            reason="ok",
            amount="99999999",
        )

    assert len(_messages(world)) == before
    assert _messages(world, "decision_made", app_id) == []


def test_a_decision_cannot_commit_without_its_messages(world, monkeypatch):
    app_id = make_application(world, "steering_decision")
    before = len(_messages(world))

    def broken(*args, **kwargs):
        raise RuntimeError("template broke")

    monkeypatch.setattr(outbox, "render", broken)
    with pytest.raises(RuntimeError, match="template broke"):
        run(world.url, f.STEERING, decisions.decide, app_id, "approve", reason="ok", amount="64389")

    assert world.state(app_id) == "steering_decision"
    assert len(_messages(world)) == before
    assert (
        run(world.url, f.LEADER, budgets.budget_overview, f.AVT_2018)["budgets"][0][
            "committed_cents"
        ]
        == 0
    )


def test_message_keys_and_ids_are_unique_and_stable(world):
    make_application(world, "monitoring")
    make_application(world, "rejected", title="Other")

    rows = _messages(world)
    assert len({m.key for m in rows}) == len({m.message_id for m in rows}) == len(rows)
    assert all(re.fullmatch(r"<[0-9a-f]{32}@kracht>", m.message_id) for m in rows)


def test_a_programme_overrides_a_template_from_its_own_folder(world, tmp_path, monkeypatch):
    folder = tmp_path / "templates" / f.AVT_2018 / "nl"
    folder.mkdir(parents=True)
    (folder / "application_submitted.txt.j2").write_text(
        "Subject: Welkom bij de Agenda: {{ title }}\nDag {{ recipient }}, dank voor uw aanvraag.\n"
    )
    settings = tmp_path / "kracht.toml"
    settings.write_text('[templates]\nfolder = "templates"\n')
    monkeypatch.setenv("KRACHT_CONFIG", str(settings))

    ours = make_application(world, "idea")
    other = make_application(world, "idea", programme=f.AVT_2023, title="Elsewhere")

    (mine,) = [
        m for m in _messages(world, "application_submitted", ours) if m.recipient == f.APPLICANT
    ]
    (theirs,) = [
        m for m in _messages(world, "application_submitted", other) if m.recipient == f.APPLICANT
    ]
    assert mine.subject == "Welkom bij de Agenda: TalentIT Twente"
    assert mine.text == "Dag Jeroen van de Lagemaat, dank voor uw aanvraag.\n"
    assert "<html" in mine.html  # the HTML part was not overridden: the default is used
    assert theirs.subject == "Aanvraag ontvangen: Elsewhere"


def test_the_templates_folder_comes_with_the_units_settings_not_the_environment(
    world, tmp_path, monkeypatch
):
    """Two interfaces in one process, each with its own settings: each unit's messages use its
    own templates folder; the environment names none."""
    folder = tmp_path / "templates" / f.AVT_2018 / "nl"
    folder.mkdir(parents=True)
    (folder / "application_submitted.txt.j2").write_text("Subject: Eigen: {{ title }}\nDag.\n")
    monkeypatch.delenv("KRACHT_CONFIG", raising=False)
    own = Settings(templates=Templates(folder=str(tmp_path / "templates")))
    fields = dict(programme=f.AVT_2018, applicant=f.TALENTIT, requested="1000", line="talent")

    with_own = Units(world.url, own).run(f.LEADER, applications.create, title="Ours", **fields)
    shipped = Units(world.url, Settings()).run(
        f.LEADER, applications.create, title="Shipped", **fields
    )

    subjects = {
        app["id"]: {m.subject for m in _messages(world, "application_submitted", app["id"])}
        for app in (with_own, shipped)
    }
    assert subjects[with_own["id"]] == {"Eigen: Ours"}
    assert subjects[shipped["id"]] == {"Aanvraag ontvangen: Shipped"}


def test_config_on_the_command_line_reaches_the_outbox_and_leaves_the_environment(
    world, tmp_path, monkeypatch, capsys
):
    folder = tmp_path / "templates" / f.AVT_2018 / "nl"
    folder.mkdir(parents=True)
    (folder / "application_submitted.txt.j2").write_text("Subject: Eigen: {{ title }}\nDag.\n")
    config = tmp_path / "kracht.toml"
    config.write_text(f'[templates]\nfolder = "{tmp_path / "templates"}"\n')
    monkeypatch.delenv("KRACHT_CONFIG", raising=False)

    code = main(["--db", world.url, "--as", f.LEADER, "--config", str(config), "app", "create",
                 "--title", "Ours", "--programme", f.AVT_2018, "--applicant", f.TALENTIT,
                 "--line", "talent"])  # fmt: skip

    assert code == 0, capsys.readouterr().err
    assert {m.subject for m in _messages(world, "application_submitted")} >= {"Eigen: Ours"}
    assert "KRACHT_CONFIG" not in os.environ


def test_app_show_lists_deadlines_and_messages_an_applicant_only_their_own(world):
    app_id = make_application(world, "kracht_scoring")

    leader = world.show(app_id)
    applicant = world.show(app_id, actor=f.APPLICANT)

    assert sorted(d["recipient"] for d in leader["deadlines"]) == sorted(f.COMMITTEE)
    assert {m["recipient"] for m in leader["messages"]} >= {f.LEADER, f.APPLICANT, f.MEMBER}
    assert applicant["deadlines"] == []
    assert {m["recipient"] for m in applicant["messages"]} == {f.APPLICANT}
    assert [m["event"] for m in applicant["messages"]] == [
        "application_submitted",
        "moved_to_innovation_table",
        "referred_to_committee",
    ]


SECOND_APPLICANT = "second.lead@talentit.example.org"
# Each rule's recipient group, as the seeded world fills it for a TalentIT application.
GROUPS = {
    "applicant": {f.APPLICANT, SECOND_APPLICANT},
    "programme_leader": {f.LEADER},
    "table_chair": {f.TABLE_CHAIR},
    "chair": {f.CHAIR},
    "committee": set(f.COMMITTEE),
    "steering": {f.STEERING},
}
# Whom a reminder chases: the members who score, the condition's owner, the applicant's people.
REMINDED = {"scoring": set(f.COMMITTEE), "condition": {f.LEADER}, "report": GROUPS["applicant"],
            "payment": {f.LEADER}}  # fmt: skip
# How each language writes a greeting, the application's number and each decision's outcome.
GREETING = {"nl": "Beste {name},", "en": "Dear {name},"}
NUMBER = {"nl": "aanvraag {id}", "en": "application {id}"}
OUTCOME = {
    ("approve", "nl"): "heeft besloten uw aanvraag toe te kennen",
    ("approve", "en"): "has decided to approve your application.",
    ("approve_with_conditions", "nl"): "uw aanvraag onder voorwaarden toe te kennen",
    ("approve_with_conditions", "en"): "to approve your application with conditions",
}


def _expected_recipients(event):
    groups = [rule.recipients for rule in RULES if rule.event == event]
    reminded = REMINDED.get(event.split("_")[0], set())
    return set().union(*(reminded if g == "reminded" else GROUPS[g] for g in groups))


def _everything_happens(world):
    """Drive applications so that every declared event is written at least once: one left in
    scoring, one approved with a condition, one approved and reporting; then every reminder
    takes each of its steps at its own moment. Returns the applications by title."""
    import datetime as dt

    from kracht.notifications import reminders
    from kracht.storage.tables import Reminder

    apps = {
        "Scoring": make_application(world, "kracht_scoring", title="Scoring"),
        "Conditional": make_application(world, "approved_with_conditions", title="Conditional"),
        "Monitored": make_application(world, "monitoring", title="Monitored"),
    }
    from kracht.workflow.services import payments

    planned = (clock.today() + dt.timedelta(days=10)).isoformat()  # a planned payment chased
    run(world.url, f.LEADER, payments.request, apps["Monitored"], "1000", kind="advance",
        planned_on=planned)  # fmt: skip
    with session(world.url) as db:
        rows = db.exec(select(Reminder)).all()
        moments = sorted({m for r in rows for m in (r.remind_at, r.due_at, r.escalate_at)})
    for moment in moments:
        reminders.fire_due(
            Database(world.url), moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
        )
    return apps


def _facts(message, app, chased):
    """What the message must say besides its title and number: the deadline, the due date and
    what is due, the advice, the outcome and amount, each as the person's language writes it."""
    from kracht.basics.euros import format_euros

    event, language = message.event, message.language
    if event == "scoring_opened":
        return [f.DEADLINE]
    if event == "advice_ready":
        return [f.ADVICE["advice"], f.ADVICE["advice_rationale"]]
    if event == "decision_made":
        decision = app["decision"]
        amount = format_euros(decision["granted_cents"], language)
        return [OUTCOME[decision["outcome"], language], amount]
    if event in ("application_submitted", "moved_to_innovation_table", "referred_to_committee"):
        return [app["applicant"]]
    reminder = next(
        r for r in chased if message.key.split(":", 1)[1] in (r.key, f"{r.key}:{message.recipient}")
    )
    if reminder.kind == "payment_due":  # its day and amount as the person's language writes them
        due = dt.date.fromisoformat(reminder.facts["due"])
        amount = format_euros(reminder.facts["amount_cents"], language)
        if event == "overdue_escalation":  # the escalation gives every kind's day as YYYY-MM-DD
            return [reminder.facts["due"], amount]
        return [moments.day(due, language), amount]
    what = {"scoring_deadline": [], "condition_due": [reminder.facts.get("condition")],
            "report_due": [reminder.facts.get("report")]}[reminder.kind]  # fmt: skip
    return [reminder.facts["due"], *what]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_event_renders_for_its_recipients_in_their_language(world, language):
    """Everyone prefers `language` but a second applicant at TalentIT, who prefers the other."""
    from kracht.storage.tables import Person, Reminder

    other = "en" if language == "nl" else "nl"
    run(world.url, f.LEADER, directory.add_person, name="Second Lead", email=SECOND_APPLICANT,
                         roles=["applicant"], organisation=f.TALENTIT)  # fmt: skip
    with session(world.url, write=True) as db:
        for person in db.exec(select(Person)).all():
            person.language = other if person.email == SECOND_APPLICANT else language
    apps = _everything_happens(world)

    rows = _messages(world)
    shown = {app_id: world.show(app_id) for app_id in apps.values()}
    with session(world.url) as db:
        people = {p.email: p for p in db.exec(select(Person)).all()}
        chased = db.exec(select(Reminder)).all()
    assert {m.event for m in rows} == set(EVENTS)
    assert {m.language for m in rows} == {language, other}
    received: dict[tuple[int, str], set[str]] = {}
    for m in rows:
        received.setdefault((m.application_id, m.event), set()).add(m.recipient)
    for (app_id, event), recipients in received.items():
        assert recipients == _expected_recipients(event), (app_id, event)
    for m in rows:
        person, app = people[m.recipient], shown[m.application_id]
        says = [app["title"], NUMBER[person.language].format(id=app["id"])]
        says += _facts(m, app, chased)
        assert m.language == person.language, (m.event, m.recipient)
        assert m.text.startswith(GREETING[person.language].format(name=person.name)), m.event
        assert f'<html lang="{person.language}">' in m.html
        assert GREETING[person.language].format(name=person.name) in m.html
        for fact in says:
            assert fact in m.text, (m.event, m.recipient, fact)
            assert escape(fact) in m.html, (m.event, m.recipient, fact)
    assert all(m.text.strip() and "<p>" in m.html for m in rows)
