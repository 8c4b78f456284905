"""People, organisations and programmes: who takes part, and under which rules."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, cast

from typing_extensions import TypedDict

from kracht.basics.actors import require
from kracht.basics.codes import check_kvk, check_programme_code
from kracht.basics.errors import InvalidInput, NotFound
from kracht.basics.inputs import LABEL, NAME, REASON, Text, text
from kracht.basics.roles import ALL_ROLES, Role
from kracht.storage import audit, repository
from kracht.storage.repository import PersonRow
from kracht.workflow import diagram
from kracht.workflow.definition import OPTIONAL
from kracht.workflow.unit import Unit, reads, writes

O_TYPES = ("business", "education", "research", "government")
LANGUAGES = ("nl", "en")


def normalise_email(email: str) -> str:
    """Validate syntax only (no DNS look-ups) and return the normalised, lower-case address."""
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise InvalidInput(f"e-mail address {email!r} is not valid: {error}") from None


def _text(value: str | None, what: str, kind: Text = NAME) -> str:
    return text(value, what, kind)


@writes("person.add")
def add_person(
    unit: Unit,
    *,
    name: str,
    email: str,
    roles: list[str],
    organisation: str | None = None,
    language: str = "nl",
) -> PersonRow:
    """Add a person. The very first person may add themselves, and must be a programme leader.

    A person with the applicant role is reminded, from now on, of the reports still open of
    their organisation's projects in monitoring (workflow.monitoring.applicant_joined).
    """
    from kracht.storage.tables import Person

    name, address = _text(name, "name"), normalise_email(email)
    unknown = [r for r in roles if r not in ALL_ROLES]
    if unknown or not roles:
        problem = f"unknown role {unknown[0]!r}" if unknown else "give at least one role"
        raise InvalidInput(
            f"{problem}; roles are: " + ", ".join(ALL_ROLES),
            **({} if unknown else {"field": "role", "label": "role", "bare": True}),
        )
    if language not in LANGUAGES:
        raise InvalidInput(f"language {language!r} is not one of " + ", ".join(LANGUAGES))
    if Role.APPLICANT in roles and not organisation:
        raise InvalidInput(
            "an applicant acts for an organisation: give the organisation with the applicant role",
            field="org",
            label="the organisation",
            bare=True,
        )
    db = unit.db
    bootstrap = repository.count_people(db) == 0
    if bootstrap:
        if Role.PROGRAMME_LEADER not in roles:
            raise InvalidInput("the first person must be a programme leader", step="first_leader")
        actor_text, actor_roles = address, ",".join(sorted(roles))
    else:
        actor = unit.actor
        require(actor, [Role.PROGRAMME_LEADER], "add people")
        actor_text, actor_roles = actor.email, actor.roles_text
    if repository.person_by_email(db, address):
        raise InvalidInput(f"a person with e-mail {address} already exists")
    org_id = None
    if organisation:
        org = repository.org_by_name(db, organisation)
        if org is None:
            raise NotFound("organisation", organisation)
        org_id = org.id
    person = repository.add_person(
        db, Person(name=name, email=address, organisation_id=org_id, language=language), roles
    )
    record: PersonRow = {
        "id": person.id,
        "name": name,
        "email": address,
        "organisation": organisation,
        "roles": sorted(set(roles)),
        "language": language,
    }
    payload: dict[str, Any] = {"person": record, "bootstrap": bootstrap}
    if Role.APPLICANT in roles and org_id is not None:
        from kracht.workflow.effects.monitoring_plan import applicant_joined

        reminded = applicant_joined(db, person, unit.settings.reminders)
        payload |= {"reports_reminded": reminded} if reminded else {}
    audit.append(
        db,
        actor=actor_text,
        roles=actor_roles,
        action="person.add",
        payload=payload,
    )
    return record


@reads
def list_people(unit: Unit) -> list[PersonRow]:
    db = unit.db
    _ = unit.actor  # any known person may read this
    return repository.list_people(db)


class OrgRecord(TypedDict):
    """An organisation in the directory: its name, which of the four O's it is, its contact
    address (where messages for its applicants go while it has nobody in that role) and its
    Chamber of Commerce (KvK) number where known (the open-data export identifies it by it)."""

    id: int
    name: str
    type: str
    email: str | None
    kvk: str | None


def org_record(org: Any) -> OrgRecord:
    return {"id": org.pk, "name": org.name, "type": org.o_type, "email": org.email, "kvk": org.kvk}


@writes("org.add")
def add_org(
    unit: Unit, *, name: str, o_type: str, email: str | None = None, kvk: str | None = None
) -> OrgRecord:
    """Add an organisation, with its contact address and KvK number where given."""
    from kracht.storage.tables import Organisation

    name = _text(name, "organisation name")
    contact = normalise_email(email) if email is not None else None
    number = check_kvk(kvk) if kvk is not None else None
    if o_type not in O_TYPES:
        raise InvalidInput(
            f"organisation type {o_type!r} is not one of the four O's: " + ", ".join(O_TYPES)
        )
    db = unit.db
    actor = unit.actor
    require(actor, [Role.PROGRAMME_LEADER], "add organisations")
    if repository.org_by_name(db, name):
        raise InvalidInput(f"organisation {name!r} already exists")
    org = repository.add(db, Organisation(name=name, o_type=o_type, email=contact, kvk=number))
    record = org_record(org)
    audit.append(
        db,
        actor=actor.email,
        roles=actor.roles_text,
        action="org.add",
        payload={"organisation": record},
    )
    return record


@writes("org.contact")
def set_org_contact(unit: Unit, organisation: str, email: str | None) -> OrgRecord:
    """Give organisation `organisation` (by name) a contact address, or take it away (None)."""
    db, actor = unit.db, unit.actor
    require(actor, [Role.PROGRAMME_LEADER], "set an organisation's contact address")
    org = repository.org_by_name(db, _text(organisation, "organisation name"))
    if org is None:
        raise NotFound("organisation", organisation)
    previous, org.email = org.email, normalise_email(email) if email is not None else None
    record = org_record(org)
    audit.append(
        db,
        actor=actor.email,
        roles=actor.roles_text,
        action="org.contact",
        payload={"organisation": record, "previous_email": previous},
    )
    return record


@writes("org.identify")
def identify_org(unit: Unit, organisation: str, kvk: str | None) -> OrgRecord:
    """Give organisation `organisation` (by name) its KvK number, or take it away (None)."""
    number = check_kvk(kvk) if kvk is not None else None
    db, actor = unit.db, unit.actor
    require(actor, [Role.PROGRAMME_LEADER], "set an organisation's KvK number")
    org = repository.org_by_name(db, _text(organisation, "organisation name"))
    if org is None:
        raise NotFound("organisation", organisation)
    previous, org.kvk = org.kvk, number
    record = org_record(org)
    audit.append(
        db,
        actor=actor.email,
        roles=actor.roles_text,
        action="org.identify",
        payload={"organisation": record, "previous_kvk": previous},
    )
    return record


@reads
def list_orgs(unit: Unit) -> list[OrgRecord]:
    db = unit.db
    _ = unit.actor  # any known person may read this
    return [org_record(o) for o in repository.list_orgs(db)]


class LineRecord(TypedDict):
    """A programme line: its code and name."""

    code: str
    name: str


class ProgrammeRecord(TypedDict):
    """A programme with its period (ISO dates), the stages that do not apply and its lines."""

    id: int
    code: str
    name: str
    starts_on: str | None
    ends_on: str | None
    not_applicable: dict[str, str]  # stage -> the reason it does not apply
    lines: list[LineRecord]


@writes("programme.add")
def add_programme(
    unit: Unit,
    *,
    code: str,
    name: str,
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
    not_applicable: dict[str, str] | None = None,
    lines: list[tuple[str, str]] | None = None,
) -> ProgrammeRecord:
    """Add a programme with its lines; `not_applicable` maps an optional stage to the reason."""
    from kracht.storage.tables import Programme, ProgrammeLine

    code = check_programme_code(_text(code, "programme code"))
    name = _text(name, "programme name")
    not_applicable = not_applicable or {}
    for stage, reason in not_applicable.items():
        if stage not in OPTIONAL:
            raise InvalidInput(
                f"stage {stage!r} cannot be marked not applicable; only " + ", ".join(OPTIONAL)
            )
        _text(reason, f"the reason why {stage} does not apply", REASON)
    if starts_on and ends_on and ends_on < starts_on:
        raise InvalidInput("a programme cannot end before it starts")
    codes = [c for c, _ in lines or []]
    if len(set(codes)) != len(codes):
        raise InvalidInput("line codes must be unique within a programme")
    db = unit.db
    actor = unit.actor
    require(actor, [Role.PROGRAMME_LEADER], "add programmes")
    if repository.programme_by_code(db, code):
        raise InvalidInput(f"programme {code!r} already exists")
    programme = repository.add(
        db,
        Programme(
            code=code,
            name=name,
            starts_on=starts_on,
            ends_on=ends_on,
            not_applicable=not_applicable,
        ),
    )
    for line_code, line_name in lines or []:
        repository.add(
            db,
            ProgrammeLine(
                programme_id=programme.id,
                code=_text(line_code, "line code", LABEL),
                name=_text(line_name, "line name"),
            ),
        )
    record = programme_record(programme, lines or [])
    audit.append(
        db,
        actor=actor.email,
        roles=actor.roles_text,
        action="programme.add",
        payload={"programme": record},
    )
    return record


def programme_record(programme: Any, lines: list[tuple[str, str]]) -> ProgrammeRecord:
    return {
        "id": programme.id,
        "code": programme.code,
        "name": programme.name,
        "starts_on": programme.starts_on.isoformat() if programme.starts_on else None,
        "ends_on": programme.ends_on.isoformat() if programme.ends_on else None,
        "not_applicable": programme.not_applicable or {},
        "lines": [{"code": c, "name": n} for c, n in lines],
    }


@reads
def list_programmes(unit: Unit) -> list[ProgrammeRecord]:
    db = unit.db
    _ = unit.actor  # any known person may read this
    return [
        programme_record(p, [(x.code, x.name) for x in repository.lines_of(db, p.pk)])
        for p in repository.list_programmes(db)
    ]


class Configured(TypedDict):
    """A programme's new configuration: the version (a digest of its content) now in force."""

    programme: str
    version: str


@writes("programme.configure")
def configure_programme(
    unit: Unit, code: str, path: Any = None, *, document: dict[str, Any] | None = None
) -> Configured:
    """Store a new configuration for a programme, from a TOML file at `path` or as a
    `document`; scoring rounds already open keep theirs. Its tracks must fit the programme's
    lines and the stages it uses; applications already under way follow a new track from their
    next step."""
    from kracht.storage import assessments as committee_store
    from kracht.storage.tables import ProgrammeConfig
    from kracht.workflow import config, tracks

    where = Path(path).name if path is not None else "configuration"
    if path is not None:
        document = config.load_file(path)
    elif document is not None:
        config.check_shape(document)
        config.scoring(document)
        config.monitoring(document)
        config.development_cap(document)
        config.second_approval_above(document)
    assert document is not None, "a configuration file or document"
    document = tracks.stored(document)
    roads = tracks.roads(document, where)
    version = config.version_of(document)
    db = unit.db
    actor = unit.actor
    require(actor, [Role.PROGRAMME_LEADER], "configure programmes")
    programme = repository.programme_by_code(db, code)
    if programme is None:
        raise NotFound("programme", code)
    lines = {line.code for line in repository.lines_of(db, programme.pk)}
    tracks.check_for(roads, lines, programme.not_applicable or {}, where)
    current = committee_store.newest_config(db, programme.pk)
    if current is not None and current.version == version:
        raise InvalidInput(f"programme {code} already uses configuration {version}")
    repository.add(
        db,
        ProgrammeConfig(
            programme_id=programme.id,
            version=version,
            document=document,
            created_by=actor.email,
        ),
    )
    audit.append(
        db,
        actor=actor.email,
        roles=actor.roles_text,
        action="programme.configure",
        payload={"programme": code, "version": version, "file": str(path) if path else None},
    )
    return {"programme": code, "version": version}


class CriterionRecord(TypedDict):
    """A KRACHT criterion: its question, weight and knock-out minimum (None: no knock-out)."""

    key: str
    name: str
    question: str
    weight: int
    minimum: int | None


class Criteria(TypedDict):
    """A programme's scoring rules in force: scale, criteria and committee rules."""

    programme: str
    version: str
    label: str
    scale_min: int
    scale_max: int
    meanings: tuple[str, ...]
    criteria: tuple[CriterionRecord, ...]
    minimum_members: int
    quorum: int
    disagreement_spread: int


@reads
def programme_criteria(unit: Unit, code: str) -> Criteria:
    """The criteria and committee rules in force for a programme."""
    from kracht.workflow.effects.scoring_round import scoring_for

    programme = _readable_programme(unit, code)
    return cast(Criteria, {"programme": code, **scoring_for(unit.db, programme).as_dict()})


def _readable_programme(unit: Unit, code: str) -> Any:
    """The programme by its code, for any known person to read."""
    _ = unit.actor
    programme = repository.programme_by_code(unit.db, code)
    if programme is None:
        raise NotFound("programme", code)
    return programme


class TrackShown(TypedDict):
    """A route of a programme: the stages it goes through, those it passes, and for whom."""

    key: str  # "" for the programme's own route, taken by every line and round without a track
    name: str
    lines: list[str]
    rounds: list[str]
    stages: list[str]
    passes: dict[str, str]  # stage -> why it does not apply
    edges: list[diagram.Edge]


class PeriodShown(TypedDict):
    starts_on: str
    name: str
    waive: dict[str, str]  # rule -> what it requires
    reason: str


class Roads(TypedDict):
    """A programme's routes and its rule periods, as its configuration in force declares them."""

    programme: str
    version: str | None
    routes: list[TrackShown]
    periods: list[PeriodShown]


@reads
def programme_roads(unit: Unit, code: str) -> Roads:
    """The programme's own route, each track's and the periods of its rules."""
    from kracht.storage import assessments as committee_store
    from kracht.workflow import tracks

    db = unit.db
    programme = _readable_programme(unit, code)
    config = committee_store.newest_config(db, programme.pk)
    found = tracks.in_force(db, programme)
    wide = dict(programme.not_applicable or {})
    routes = [_route("", programme.name, [], [], wide)]
    for track in found.tracks:
        passes = track.not_applicable(wide)
        routes.append(_route(track.key, track.name, list(track.lines), list(track.rounds), passes))
    periods: list[PeriodShown] = [
        {
            "starts_on": p.starts_on.isoformat(),
            "name": p.name,
            "waive": {rule: tracks.RULES[rule] for rule in p.waive},
            "reason": p.reason,
        }
        for p in found.periods
    ]
    return {
        "programme": code,
        "version": config.version if config else None,
        "routes": routes,
        "periods": periods,
    }


def _route(
    key: str, name: str, lines: list[str], rounds: list[str], passes: dict[str, str]
) -> TrackShown:
    from kracht.workflow import tracks

    return {
        "key": key,
        "name": name,
        "lines": lines,
        "rounds": rounds,
        "stages": [s for s in tracks.ROUTE if s not in passes],
        "passes": {s: passes[s] for s in tracks.ROUTE if s in passes},
        "edges": diagram.edges(passes),
    }


@reads
def ping(unit: Unit) -> int:
    """The number of people: a read that shows the database answers (for /healthz)."""
    return repository.count_people(unit.db)
