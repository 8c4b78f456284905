"""Notifications link to the page where the work is done once the web interface has an address
(`[web] base_url`, issue 14); without one they name the kracht command, as they always did."""

from __future__ import annotations

import datetime as dt
import itertools
import re

import httpx
import pytest
from markupsafe import escape
from sqlmodel import select

from kracht.basics.actors import Actor
from kracht.cli import main
from kracht.notifications import reminders, scheduler
from kracht.notifications.outbox import page_link
from kracht.notifications.render import LANGUAGES, TEMPLATES, render
from kracht.notifications.rules import EVENTS, RULES
from kracht.notifications.settings import Mail, Settings, Web
from kracht.storage import clock
from kracht.storage.database import Database, session
from kracht.storage.tables import OutboxMessage, Person, Reminder
from kracht.workflow.services import applications, assignment, directory, payments
from kracht.workflow.services.importer import import_csv
from kracht.workflow.unit import Units
from tests import factories as f
from tests.factories import make_application, run
from tests.web_server import running, signed_in

BASE = "https://kracht.example.org"
# the commands messages named before there was a web address (`kracht score set 7 ...`)
COMMAND = re.compile(r"kracht (app|scores?|committee|conditions|monitor|reminders|payment) ")
APPLICATION_EVENTS = sorted(set(EVENTS))  # every event is about an application
WITHOUT_APPLICATION = ("invitation", "sign_in_link")  # these carry their own link


def _messages(url: str, event: str | None = None) -> list[OutboxMessage]:
    with session(url) as db:
        rows = db.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    return [m for m in rows if event is None or m.event == event]


def _everyone_speaks(url: str, language: str) -> None:
    with session(url, write=True) as db:
        for person in db.exec(select(Person)).all():
            person.language = language


def _everything_happens(url: str, base_url: str) -> dict[str, int]:
    """Every event written at least once (as tests/test_notifications.py drives it), every
    reminder stepped at each of its moments with the settings' address."""
    world = f.World(url)
    apps = {
        "Scoring": make_application(world, "kracht_scoring", title="Scoring"),
        "Conditional": make_application(world, "approved_with_conditions", title="Conditional"),
        "Monitored": make_application(world, "monitoring", title="Monitored"),
    }
    planned = (clock.today() + dt.timedelta(days=20)).isoformat()  # a payment chased too
    f.run(url, f.LEADER, payments.request, apps["Monitored"], "1000", kind="advance",
          planned_on=planned)  # fmt: skip
    with session(url) as db:
        rows = db.exec(select(Reminder)).all()
        moments = sorted({m for r in rows for m in (r.remind_at, r.due_at, r.escalate_at)})
    for moment in moments:
        reminders.fire_due(Database(url), reminders.ensure_utc(moment), base_url=base_url)
    return apps


# -- every message, through the real engine and the scheduler's steps ------------------------------


def _work_page(m: OutboxMessage) -> str:
    """Where a message's recipient does what it asks: the committee's scoring form, the steering
    decision, the project's reports; the application's page for everything else."""
    if m.event in ("scoring_opened", "scoring_reminder", "scoring_overdue"):
        return "committee"
    if m.event == "referred_to_committee" and m.recipient == f.CHAIR:
        return "committee"
    if m.event == "advice_ready":
        return "steering"
    if m.event in ("report_due", "report_overdue"):
        return "monitoring"
    return "applications"


@pytest.mark.parametrize("language", LANGUAGES)
def test_with_an_address_every_message_links_to_its_page_and_names_no_command(
    any_world, monkeypatch, language
):
    monkeypatch.setenv("KRACHT_BASE_URL", BASE)
    _everyone_speaks(any_world.url, language)

    _everything_happens(any_world.url, BASE)

    rows = _messages(any_world.url)
    assert {m.event for m in rows} == set(EVENTS)
    for m in rows:
        link = f"{BASE}/{_work_page(m)}/{m.application_id}"
        assert m.language == language
        assert link in m.text, (m.event, m.recipient)
        assert f'<a href="{link}">' in m.html, (m.event, m.recipient)
        assert not COMMAND.search(m.text), (m.event, m.recipient, m.text)
        assert not COMMAND.search(m.html), (m.event, m.recipient)


@pytest.mark.parametrize("language", LANGUAGES)
def test_without_an_address_messages_name_the_command_and_link_nowhere(
    world, monkeypatch, language
):
    monkeypatch.delenv("KRACHT_BASE_URL", raising=False)
    monkeypatch.delenv("KRACHT_CONFIG", raising=False)
    _everyone_speaks(world.url, language)

    apps = _everything_happens(world.url, "")

    rows = _messages(world.url)
    assert {m.event for m in rows} == set(EVENTS)
    for m in rows:
        assert "http" not in m.text, (m.event, m.recipient)
        assert "<a " not in m.html, (m.event, m.recipient)
        assert "/applications/" not in m.text + m.html
    scoring = apps["Scoring"]
    opened = [m for m in _messages(world.url, "scoring_opened") if m.application_id == scoring]
    reminded = _messages(world.url, "scoring_reminder")
    escalated = _messages(world.url, "overdue_escalation")
    assert opened
    assert reminded
    assert escalated
    assert all(f"kracht score submit {scoring}" in m.text for m in opened)
    assert all("kracht score submit" in m.text for m in reminded)
    assert all("kracht reminders list --application" in m.text for m in escalated)


# -- each template, in each of its branches ------------------------------------------------------

CONTEXT = {
    "recipient": "R", "application_id": 7, "title": "T", "applicant": "A", "programme": "P",
    "state": "s", "deadline": "D", "advice": "positive", "advice_rationale": "why",
    "letter_nl": "brief", "letter_en": "letter", "due": "2026-01-01", "number": 1,
    "condition": "C", "report": "2025-1", "late_name": "L", "late_email": "l@example.org",
    "payment": 3, "payment_kind": "advance", "amount_cents": 100000,
}  # fmt: skip
BRANCHES = [  # what changes a template's wording: the recipient's group, a stand-in, the kind
    {"role": role, "kind": kind, "stand_in": stand_in}
    for role, kind, stand_in in itertools.product(
        ("programme_leader", "chair", "applicant", "reminded"),
        ("scoring_deadline", "condition_due", "report_due", "payment_due"),
        (False, True),
    )
]
TEMPLATE_NAMES = sorted({rule.template for rule in RULES})


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", TEMPLATE_NAMES)
def test_each_template_shows_the_link_instead_of_the_command_in_every_branch(template, language):
    link = page_link(BASE, type("App", (), {"id": 7})())
    named = 0
    for branch in BRANCHES:
        without = {**CONTEXT, **branch, "link": ""}
        with_link = {**without, "link": link}
        text = render(f"{template}.txt.j2", language, with_link)
        html = render(f"{template}.html.j2", language, with_link)
        assert link in text, (template, branch)
        assert f'href="{link}"' in html, (template, branch)
        assert not COMMAND.search(text), (template, branch, text)
        assert not COMMAND.search(html), (template, branch, html)
        plain = render(f"{template}.txt.j2", language, without)
        assert "http" not in plain
        assert "<a " not in render(f"{template}.html.j2", language, without)
        named += bool(COMMAND.search(plain))
    shell = {"advice_ready", "application_submitted", "condition_due", "overdue_escalation",
             "payment_due", "payment_overdue", "referred_to_committee", "report_due",
             "report_overdue", "scoring_opened", "scoring_overdue",
             "scoring_reminder"}  # fmt: skip
    assert bool(named) == (template in shell), template  # the command stays where it was


def test_every_shipped_html_part_with_a_link_goes_through_the_layout():
    for language in LANGUAGES:
        for template in TEMPLATE_NAMES:
            source = (TEMPLATES / language / f"{template}.html.j2").read_text()
            assert source.startswith(f'{{% extends "{language}/_layout.html.j2" %}}'), template


# -- the address: escaped in HTML, one slash, every path that writes a message ---------------------


def test_the_link_is_escaped_in_the_html_part_and_plain_in_the_text(world):
    odd = 'https://kracht.example.org/a&b"<x>'
    units = Units(world.url, Settings(web=Web(base_url=odd)))
    made = units.run(f.LEADER, applications.create, title="Bits & <Bytes>",
                     programme=f.AVT_2018, applicant=f.TALENTIT, requested="1000",
                     line="talent")  # fmt: skip

    (leader,) = [
        m for m in _messages(world.url, "application_submitted") if m.recipient == f.LEADER
    ]
    link = f"{odd}/applications/{made['id']}"
    assert link in leader.text
    assert f'href="{escape(link)}"' in leader.html
    assert 'href="https://kracht.example.org/a&amp;b&#34;&lt;x&gt;/applications/' in leader.html
    assert '"<x>' not in leader.html
    assert "<Bytes>" not in leader.html


def test_a_trailing_slash_in_the_address_gives_one_slash():
    app = type("App", (), {"id": 12})()
    assert page_link("https://k.example.org/", app) == "https://k.example.org/applications/12"
    assert page_link("https://k.example.org/kracht", app) == (
        "https://k.example.org/kracht/applications/12"
    )
    assert page_link("", app) == ""
    assert page_link(BASE, None) == ""
    assert page_link(BASE, app, "scoring_opened", "committee") == f"{BASE}/committee/12"


def test_the_units_own_address_reaches_the_outbox_not_the_environment(world, monkeypatch):
    """Two interfaces in one process: each unit's messages link with its own settings."""
    monkeypatch.setenv("KRACHT_BASE_URL", "https://elsewhere.example.org")
    fields = dict(programme=f.AVT_2018, applicant=f.TALENTIT, requested="1000", line="talent")

    linked = Units(world.url, Settings(web=Web(base_url=BASE))).run(
        f.LEADER, applications.create, title="Linked", **fields
    )
    plain = Units(world.url, Settings()).run(f.LEADER, applications.create, title="Plain", **fields)

    by_app = {m.application_id: m for m in _messages(world.url) if m.recipient == f.LEADER}
    assert f"{BASE}/applications/{linked['id']}" in by_app[linked["id"]].text
    assert "kracht app show" in by_app[plain["id"]].text
    assert "elsewhere" not in by_app[linked["id"]].text + by_app[plain["id"]].text


def test_config_on_the_command_line_links_the_messages(world, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("KRACHT_BASE_URL", raising=False)
    config = tmp_path / "kracht.toml"
    config.write_text(f'[web]\nbase_url = "{BASE}/"\n')

    code = main(["--db", world.url, "--as", f.LEADER, "--config", str(config), "app", "create",
                 "--title", "Ours", "--programme", f.AVT_2018, "--applicant", f.TALENTIT,
                 "--line", "talent"])  # fmt: skip

    assert code == 0, capsys.readouterr().err
    (leader,) = [m for m in _messages(world.url) if m.recipient == f.LEADER]
    assert f"Bekijk haar op {BASE}/applications/{leader.application_id}\n" in leader.text


def test_an_import_links_each_new_applications_messages(world, tmp_path):
    path = tmp_path / "pipeline.csv"
    path.write_text(
        "title,programme,applicant,requested\n"
        f"SmartView,avt-2018,{f.TALENTIT},25000\nMaakplaatsen,avt-2018,{f.OTHER_APPLICANT},0\n",
        encoding="utf-8",
    )

    Units(world.url, Settings(web=Web(base_url=BASE))).run(f.LEADER, import_csv, path)

    rows = _messages(world.url, "application_submitted")
    assert len({m.application_id for m in rows}) == 2
    for m in rows:
        assert f"{BASE}/applications/{m.application_id}" in m.text
        assert not COMMAND.search(m.text)


def test_a_member_assigned_late_is_told_with_the_link(world):
    app_id = make_application(world, "kracht_scoring")
    late = "late.member@example.org"
    run(world.url, f.LEADER, directory.add_person, name="Late Member", email=late,
        roles=["committee_member"])  # fmt: skip

    Units(world.url, Settings(web=Web(base_url=BASE))).run(
        f.LEADER, assignment.assign, app_id, late
    )

    (told,) = [m for m in _messages(world.url, "scoring_opened") if m.recipient == late]
    assert f"{BASE}/committee/{app_id}" in told.text  # the scoring form
    assert not COMMAND.search(told.text)


def test_the_scheduler_links_its_reminders_with_its_settings(world, tmp_path):
    app_id = make_application(world, "kracht_scoring")
    with session(world.url) as db:
        (first, *_) = sorted(r.remind_at for r in db.exec(select(Reminder)).all())
    settings = Settings(mail=Mail(directory=str(tmp_path / "mail")), web=Web(base_url=BASE))
    actor = Actor(email=f.LEADER, name="Leader", roles=frozenset({"programme_leader"}))

    scheduler.tick(Database(world.url), settings, actor, reminders.ensure_utc(first))

    chased = _messages(world.url, "scoring_reminder")
    assert {m.recipient for m in chased} == set(f.COMMITTEE)
    assert all(f"{BASE}/committee/{app_id}" in m.text for m in chased)
    assert not any(COMMAND.search(m.text) for m in chased)


# -- the link leads to the page --------------------------------------------------------------------


def test_the_link_opens_the_application_page_for_its_recipient(any_world):
    with running(any_world.url) as base:
        units = Units(any_world.url, Settings(web=Web(base_url=base)))
        made = units.run(f.LEADER, applications.create, title="Linked page",
                         programme=f.AVT_2018, applicant=f.TALENTIT, requested="1000",
                         line="talent")  # fmt: skip
        (leader,) = [
            m for m in _messages(any_world.url, "application_submitted") if m.recipient == f.LEADER
        ]
        (link,) = re.findall(r"https?://\S+", leader.text)
        assert link == f"{base}/applications/{made['id']}"
        path = link.removeprefix(base)

        client = signed_in(base, any_world.url, f.LEADER)
        page = client.get(path)
        client.close()
        stranger = httpx.get(link, follow_redirects=False)

    assert page.status_code == 200
    assert "Linked page" in page.text
    assert stranger.status_code == 303  # not signed in: to sign-in first, then back here
    assert "/sign-in" in stranger.headers["location"]


def test_a_step_at_a_later_moment_still_links(world):
    """The address comes with the step, not with the reminder row: a reminder written before
    the address was configured links once the scheduler has one."""
    app_id = make_application(world, "kracht_scoring")
    with session(world.url) as db:
        due = max(reminders.ensure_utc(r.due_at) for r in db.exec(select(Reminder)).all())

    reminders.fire_due(Database(world.url), due + dt.timedelta(minutes=1), base_url=BASE)

    late = _messages(world.url, "scoring_overdue")
    assert late
    assert all(f"{BASE}/committee/{app_id}" in m.text for m in late)


def test_the_scoring_message_opens_the_members_scoring_form(any_world):
    """A committee member's link goes straight to where they score, not to a page one step away."""
    app_id = make_application(any_world, "kracht_scoring")
    late = "late.member@example.org"
    run(any_world.url, f.LEADER, directory.add_person, name="Late Member", email=late,
        roles=["committee_member"])  # fmt: skip
    with running(any_world.url) as base:
        units = Units(any_world.url, Settings(web=Web(base_url=base)))
        units.run(f.LEADER, assignment.assign, app_id, late)
        (told,) = [m for m in _messages(any_world.url, "scoring_opened") if m.recipient == late]
        (link,) = re.findall(r"https?://\S+", told.text)
        assert link == f"{base}/committee/{app_id}"

        client = signed_in(base, any_world.url, late)
        page = client.get(link.removeprefix(base))
        client.close()

    assert page.status_code == 200
    assert f'action="/committee/{app_id}/declare"' in page.text  # the first step of scoring
