"""The pages name the road's identifiers in the reader's language (web/labels.py): every state,
stage, trigger, role, task kind, advice, outcome and field of the road has a Dutch and an English
name, taken from the road itself; an identifier without one is shown with spaces, never refused."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlmodel import select

from kracht.basics.roles import ALL_ROLES
from kracht.notifications.reminders import KINDS
from kracht.states import kracht_scoring
from kracht.states.sections import FIELDS, SECTIONS
from kracht.storage.database import session
from kracht.storage.tables import Person
from kracht.web import labels, views
from kracht.workflow import definition, tracks
from kracht.workflow.services.decisions import OUTCOMES
from tests import factories as f
from tests.factories import make_application
from tests.web_server import running, signed_in

CHOICES = sorted({c for _, spec in FIELDS.values() for c in spec.choices})
ROAD = {  # table -> every identifier of the road it must name
    "stage": sorted({*definition.STATES, *SECTIONS}),
    "move": sorted({row.trigger for row in definition.TRANSITIONS}),
    "role": sorted(str(r) for r in ALL_ROLES),
    "task": sorted(KINDS),
    "advice": sorted(kracht_scoring.ADVICE),
    "outcome": sorted(OUTCOMES),
    "field": sorted(FIELDS),
    "choice": CHOICES,
    "rule": sorted(tracks.RULES),
}
NAMED = [(table, identifier) for table, identifiers in ROAD.items() for identifier in identifiers]


@pytest.mark.parametrize(("table", "identifier"), NAMED, ids=[f"{t}:{i}" for t, i in NAMED])
def test_every_identifier_of_the_road_has_a_dutch_and_an_english_name(table, identifier):
    assert identifier in labels.TABLES[table], f"no {table} name for {identifier!r}"
    dutch, english = labels.TABLES[table][identifier]
    assert dutch.strip()
    assert english.strip()
    assert labels.name(table, identifier, "nl") == dutch
    assert labels.name(table, identifier, "en") == english


def test_the_road_reads_as_words_not_identifiers():
    for table in ("stage", "move", "role", "task", "outcome", "field"):
        for dutch, english in labels.TABLES[table].values():
            assert "_" not in dutch + english, (table, dutch, english)
    assert labels.name("stage", "withdrawn", "nl") == "ingetrokken"
    assert labels.name("move", "present_at_table", "nl") == "Naar de innovatietafel"
    assert labels.name("move", "withdraw", "en") == "Withdraw"


def test_an_identifier_without_a_name_is_shown_with_spaces_never_refused():
    assert labels.name("stage", "brand_new_stage", "nl") == "brand new stage"
    assert labels.name("move", "brand_new_move", "en") == "brand new move"
    assert labels.name("role", None, "nl") == ""
    assert labels.name("stage", "idea", "fr") == "idee"  # Dutch unless English
    assert labels.value("aligned_with_remarks", "nl") == "afgestemd met opmerkingen"
    assert labels.value("a text of its own", "en") == "a text of its own"
    assert labels.value(125000, "nl") == 125000


def test_the_templates_read_the_names_through_the_filters():
    env = views.templates().env
    shown = env.from_string(
        "{{ 'idea' | stage(lang) }}/{{ 'withdraw' | move(lang) }}/"
        "{{ roles | map('role', lang) | join(', ') }}/{{ 'report_due' | task(lang) }}/"
        "{{ 'negative' | advice(lang) }}/{{ 'reject' | outcome(lang) }}/"
        "{{ 'granted' | field(lang) }}/{{ 'not_yet_known' | stage(lang) }}"
    )
    roles = ["applicant", "auditor_of_sorts"]
    assert shown.render(lang="nl", roles=roles) == (
        "idee/Intrekken/aanvrager, auditor of sorts/voortgangsrapportage inleveren/negatief/"
        "afgewezen/toegekend bedrag/not yet known"
    )
    assert shown.render(lang="en", roles=roles) == (
        "idea/Withdraw/applicant, auditor of sorts/submit a progress report/negative/rejected/"
        "amount granted/not yet known"
    )
    for template in views.TEMPLATES.glob("*.j2"):
        assert 'replace("_"' not in template.read_text(encoding="utf-8"), template.name


# -- on the pages ----------------------------------------------------------------------------------


def _speaks(url: str, email: str, language: str) -> None:
    with session(url, write=True) as db:
        person = db.exec(select(Person).where(Person.email == email)).one()
        person.language = language


def _text(html: str) -> str:
    """The page's text: tags dropped, entities read, white space as single spaces."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


NEEDS = sorted(
    {need.label for row in definition.TRANSITIONS for guard in row.guards for need in guard.needs}
)


@pytest.mark.parametrize("label", NEEDS)
def test_everything_a_guard_may_find_missing_has_a_dutch_and_an_english_name(label):
    dutch, english = labels.NEEDS[label]
    assert dutch
    assert dutch != label  # translated, not copied
    assert english == label


def test_a_need_worded_with_figures_keeps_them_in_english_and_reads_as_its_name_in_dutch():
    from kracht.basics.errors import Missing

    label = "every condition met"
    found = Missing("every condition met (2 still open)", None, label)
    assert labels.need(found, "en") == "every condition met (2 still open)"
    assert labels.need(found, "nl") == (
        'alle voorwaarden vervuld <span lang="en">(every condition met (2 still open))</span>'
    )  # the figures kept, in the guard's words
    plain = Missing(label, None, label)
    assert labels.need(plain, "nl") == "alle voorwaarden vervuld"
    marked = Missing("every condition met (<b>)", None, label)
    assert "&lt;b&gt;" in labels.need(marked, "nl")  # the guard's words are escaped
    assert labels.need("something new the road asks", "nl") == "something new the road asks"


def test_a_dutch_reader_sees_the_state_and_the_steps_in_dutch_an_english_reader_in_english(world):
    app_id = make_application(world, "idea")
    _speaks(world.url, f.LEADER, "nl")
    _speaks(world.url, f.STEERING, "en")
    with running(world.url) as site:
        dutch = signed_in(site, world.url, f.LEADER).get(f"/applications/{app_id}")
        english = signed_in(site, world.url, f.STEERING).get(f"/applications/{app_id}")
    assert dutch.status_code == english.status_code == 200

    nl = _text(dutch.text)
    assert "Fase idee " in nl
    assert "Naar de innovatietafel → innovatietafel" in nl  # the leader's own step, a button
    assert "Intrekken → ingetrokken" in nl
    assert "withdraw" not in nl.lower()
    assert "present at table" not in nl
    assert "een quickscan (kansenscan) van het idee" in nl  # what the step still needs
    assert "a quickscan of the idea" not in nl

    en = _text(english.text)
    assert "Stage idea " in en
    assert "Withdraw → withdrawn" in en  # the steering member's own step
    assert "Present at the innovation table → innovation table (Not for your role)" in en
    assert "intrekken" not in en.lower()
    assert "present at table" not in en
    assert "a quickscan of the idea" in en
    # the form still fires the identifier: only the words changed
    assert f'action="/applications/{app_id}/fire/withdraw"' in english.text


def test_the_account_and_the_tasks_name_roles_and_deadlines_in_the_readers_language(world):
    make_application(world, "kracht_scoring")  # each committee member has a scoring deadline
    _speaks(world.url, f.MEMBER, "nl")
    _speaks(world.url, f.CHAIR, "en")
    with running(world.url) as site:
        member, chair = signed_in(site, world.url, f.MEMBER), signed_in(site, world.url, f.CHAIR)
        pages = {who: (c.get("/account").text, c.get("/").text) for who, c in
                 (("nl", member), ("en", chair))}  # fmt: skip
    account, tasks = (_text(page) for page in pages["nl"])
    assert "lid beoordelingscommissie" in account
    assert "committee member" not in account
    assert "KRACHT-scores inleveren" in tasks
    assert "scoring deadline" not in tasks
    account, _ = (_text(page) for page in pages["en"])
    assert "assessment committee chair" in account
    assert "committee_chair" not in account
