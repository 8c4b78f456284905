"""Reads and writes of records other than the audit chain. Reports facts; never decides."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple, cast

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select
from typing_extensions import TypedDict

from kracht.storage import clock, hot
from kracht.storage.tables import (
    Application,
    ApplicationPartner,
    AuditEvent,
    Indicator,
    Organisation,
    OutboxMessage,
    Person,
    PersonRole,
    Programme,
    ProgrammeConfig,
    ProgrammeLine,
    StageValue,
)

# -- people and organisations -------------------------------------------------------------------


def person(db: Session, person_id: int) -> Person | None:
    return db.get(Person, person_id)


def person_by_email(db: Session, email: str) -> Person | None:
    return db.exec(_PERSON_BY_EMAIL, params={"email": email.lower()}).first()


_PERSON_BY_EMAIL = select(Person).where(col(Person.email) == sa.bindparam("email"))


def roles_of(db: Session, person_id: int) -> list[str]:
    return sorted(core(db).execute(_ROLES, {"person": person_id}).scalars())


_ROLE = PersonRole.__table__.c  # type: ignore[attr-defined]
_ROLES = sa.select(_ROLE.role).where(_ROLE.person_id == sa.bindparam("person"))


def person_with_roles(
    db: Session, email: str
) -> tuple[int, str, str, int | None, list[str]] | None:
    """The person's id, e-mail, name and organisation with their roles, sorted, in one Core
    read (no ORM object built); None when nobody has the address."""
    rows = hot.rows(db, _PERSON_ROLES, {"email": email.lower()})
    if not rows:
        return None
    person_id, address, name, organisation_id, _ = rows[0]
    roles = sorted(row[4] for row in rows if row[4] is not None)
    return person_id, address, name, organisation_id, roles


_PERSON = Person.__table__.c  # type: ignore[attr-defined]
_PERSON_ROLES = hot.Hot(
    sa.select(_PERSON.id, _PERSON.email, _PERSON.name, _PERSON.organisation_id, _ROLE.role)
    .select_from(Person.__table__.outerjoin(PersonRole.__table__, _ROLE.person_id == _PERSON.id))  # type: ignore[attr-defined]
    .where(_PERSON.email == sa.bindparam("email"))
)


def count_people(db: Session) -> int:
    return int(db.exec(select(sa.func.count()).select_from(Person)).one())


def record_counts(db: Session) -> dict[str, int]:
    """How many records of each kind the database holds (zero each: a database nobody used)."""
    kinds = {
        "people": Person,
        "organisations": Organisation,
        "programmes": Programme,
        "applications": Application,
        "audit events": AuditEvent,
    }
    return {
        name: int(db.exec(select(sa.func.count()).select_from(table)).one())
        for name, table in kinds.items()
    }


def add_person(db: Session, person: Person, roles: Iterable[str]) -> Person:
    db.add(person)
    db.flush()
    assert person.id is not None
    for role in sorted(set(roles)):
        db.add(PersonRole(person_id=person.id, role=role))
    db.flush()
    return person


class PersonRow(TypedDict):
    """A person as the directory lists them: their organisation by name, their roles sorted."""

    id: int
    name: str
    email: str
    organisation: str | None
    roles: list[str]
    language: str


def list_people(db: Session) -> list[PersonRow]:
    org = sa.orm.aliased(Organisation)
    rows = db.exec(
        select(Person, org.name)
        .join(org, col(Person.organisation_id) == org.id, isouter=True)
        .order_by(col(Person.name))
    ).all()
    roles: dict[int, list[str]] = {}
    for person_id, role in db.exec(select(PersonRole.person_id, PersonRole.role)).all():
        roles.setdefault(person_id, []).append(role)
    return [
        {
            "id": p.id,
            "name": p.name,
            "email": p.email,
            "organisation": org_name,
            "roles": sorted(roles.get(p.pk, [])),
            "language": p.language,
        }
        for p, org_name in rows
    ]


def org_by_name(db: Session, name: str) -> Organisation | None:
    return db.exec(
        select(Organisation).where(sa.func.lower(Organisation.name) == name.strip().lower())
    ).first()


def list_orgs(db: Session) -> list[Organisation]:
    return list(db.exec(select(Organisation).order_by(col(Organisation.name))).all())


def add(db: Session, record: Any) -> Any:
    """Write a new row now (it has its id on return)."""
    db.add(record)
    db.flush()
    return record


def stage(db: Session, record: Any) -> Any:
    """Add a row to the transaction; written with the next flush or the commit."""
    db.add(record)
    return record


def flush(db: Session) -> None:
    """Write what the transaction holds so far (ids, and conditional checks, come back)."""
    db.flush()


def organisation(db: Session, organisation_id: int) -> Organisation | None:
    return db.get(Organisation, organisation_id)


def organisation_name(db: Session, organisation_id: int) -> str | None:
    """The organisation's name, read through Core (no ORM object built)."""
    return core(db).execute(_ORGANISATION_NAME, {"org": organisation_id}).scalar()


_ORGANISATION = Organisation.__table__.c  # type: ignore[attr-defined]
_ORGANISATION_NAME = sa.select(_ORGANISATION.name).where(_ORGANISATION.id == sa.bindparam("org"))


def programme(db: Session, programme_id: int) -> Programme | None:
    return db.get(Programme, programme_id)


def line(db: Session, line_id: int) -> ProgrammeLine | None:
    return db.get(ProgrammeLine, line_id)


# -- programmes ---------------------------------------------------------------------------------


def programme_by_code(db: Session, code: str) -> Programme | None:
    return db.exec(select(Programme).where(Programme.code == code)).first()


def line_by_code(db: Session, programme_id: int, code: str) -> ProgrammeLine | None:
    return db.exec(
        select(ProgrammeLine).where(
            ProgrammeLine.programme_id == programme_id, ProgrammeLine.code == code
        )
    ).first()


def lines_of(db: Session, programme_id: int) -> list[ProgrammeLine]:
    return list(
        db.exec(select(ProgrammeLine).where(ProgrammeLine.programme_id == programme_id)).all()
    )


def programmes_by_code(db: Session) -> list[Programme]:
    """Every programme, by code."""
    return list(db.exec(select(Programme).order_by(col(Programme.code))).all())


def list_programmes(db: Session) -> list[Programme]:
    return list(db.exec(select(Programme).order_by(col(Programme.code))).all())


# -- applications -------------------------------------------------------------------------------


MAX_KEY = 2**31 - 1  # the largest id an INTEGER key holds on PostgreSQL (basics.inputs.MAX_ID)


def a_key(number: int) -> bool:
    """Whether `number` can be a record's id: a larger one is no record's, and the database
    would refuse it (PostgreSQL past 32 bits, SQLite past 64) rather than find nothing."""
    return 1 <= number <= MAX_KEY


def application(db: Session, application_id: int, *, lock: bool = False) -> Application | None:
    """The application; with `lock`, read afresh and held until the transaction ends.

    The lock (SELECT ... FOR NO KEY UPDATE on PostgreSQL) makes a second writer of the same
    application wait for the first to commit and then read its version, as SQLite's BEGIN
    IMMEDIATE does, instead of failing its update. It still lets other transactions insert rows
    that refer to the application (stage values, audit events), so it cannot deadlock them.
    """
    if not a_key(application_id):
        return None
    if not lock:
        return db.get(Application, application_id)
    return db.get(
        Application, application_id, with_for_update={"key_share": True}, populate_existing=True
    )


class Loaded(NamedTuple):
    """The locked application, its programme, and what a fire shows of it besides: its line's
    code and its applicant's name, each with the id it was read for (None where there is none),
    and the version of the programme's configuration in force (None: kracht's default)."""

    app: Application
    programme: Programme
    line_id: int | None
    line_code: str | None
    applicant_id: int | None
    applicant: str | None
    config_version: str | None = None


def application_and_programme(db: Session, application_id: int) -> Loaded | None:
    """The application, locked as `application(lock=True)` locks it (FOR NO KEY UPDATE OF
    application on PostgreSQL) and read afresh, with its programme, its line's code and its
    applicant's name: one statement."""
    return _loaded(db, _LOCKED_WITH_PROGRAMME, application_id)


def application_loaded(db: Session, application_id: int) -> Loaded | None:
    """The application with its programme, its line's code and its applicant's name, as
    `application_and_programme` reads them but unlocked: for a read."""
    return _loaded(db, _WITH_PROGRAMME, application_id)


def _loaded(db: Session, statement: Any, application_id: int) -> Loaded | None:
    if not a_key(application_id):
        return None
    row = db.execute(statement, {"app": application_id}).first()
    return Loaded(*row) if row is not None else None


_CONFIG_IN_FORCE = (
    select(ProgrammeConfig.version)
    .where(col(ProgrammeConfig.programme_id) == Programme.id)
    .order_by(col(ProgrammeConfig.id).desc())
    .limit(1)
    .correlate(Programme)
    .scalar_subquery()
)
_WITH_PROGRAMME = (
    select(  # type: ignore[call-overload]
        Application,
        Programme,
        ProgrammeLine.id,
        ProgrammeLine.code,
        Organisation.id,
        Organisation.name,
        _CONFIG_IN_FORCE,
    )  # fmt: skip
    .join(Programme, col(Programme.id) == Application.programme_id)
    .outerjoin(ProgrammeLine, col(ProgrammeLine.id) == Application.line_id)
    .outerjoin(Organisation, col(Organisation.id) == Application.applicant_org_id)
    .where(col(Application.id) == sa.bindparam("app"))
)
_LOCKED_WITH_PROGRAMME = _WITH_PROGRAMME.with_for_update(
    key_share=True,
    of=Application,  # type: ignore[arg-type]
).execution_options(populate_existing=True)


def flushed(db: Session) -> Session:
    """The session with its pending ORM changes written, before a Core statement reads or
    writes the same tables (Core statements do not autoflush)."""
    if db.new or db.dirty or db.deleted:
        db.flush()
    return db


def core(db: Session) -> sa.Connection:
    """The session's connection, in its transaction, for the hot path's prepared Core
    statements (built once, their cache keys memoised), pending ORM changes written first."""
    return flushed(db).connection()


def expire(db: Session, model: type) -> None:
    """Expire the session's `model` objects after a Core write to its table: read afresh."""
    for held in [o for o in db.identity_map.values() if isinstance(o, model)]:
        db.expire(held)


_APPLICATION = Application.__table__  # type: ignore[attr-defined]
_STAGE = StageValue.__table__  # type: ignore[attr-defined]
_OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]
_STAGE_INSERT = _STAGE.insert()
_OUTBOX_INSERT = _OUTBOX.insert()
_OUTBOX_ROWS = hot.Hot(_OUTBOX_INSERT, [c.key for c in _OUTBOX.columns if c.key != "id"])


def save_application(db: Session, app: Application, expected_version: int, **values: Any) -> bool:
    """Write `values` and bump the version, only if nobody changed the row since we read it.

    One Core UPDATE; the loaded `app` takes the written values as committed ones (nothing left
    for the ORM to flush), as the ORM's own update would have synchronised it."""
    written = {**values, "version": expected_version + 1, "updated_at": clock.now()}
    matched = hot.write(
        db,
        _save(tuple(sorted(written))),
        {**written, "the_id": app.id, "the_version": expected_version},
    )
    if matched != 1:
        return False
    for name, value in written.items():
        set_committed_value(app, name, value)
    return True


@functools.cache
def _save(columns: tuple[str, ...]) -> hot.Hot:
    """The versioned UPDATE that sets `columns` (one statement for each set of them)."""
    return hot.Hot(
        _APPLICATION.update().where(
            _APPLICATION.c.id == sa.bindparam("the_id"),
            _APPLICATION.c.version == sa.bindparam("the_version"),
        ),
        columns,
    )


class StageRow(NamedTuple):
    """One recorded piece of stage data, as read for showing it."""

    section: str
    field: str
    value: Any


def stage_values(db: Session, application_id: int) -> list[StageRow]:
    """The application's recorded stage data, each field with its section (read afresh)."""
    return [StageRow(*row) for row in hot.rows(db, _STAGE_ROWS, {"app": application_id})]


def stage_data(db: Session, application_id: int) -> dict[str, Any]:
    """{field: value} of the application's recorded stage data."""
    return dict(hot.rows(db, _STAGE_DATA, {"app": application_id}))  # type: ignore[arg-type]


_STAGE_DATA = hot.Hot(
    sa.select(_STAGE.c.field, _STAGE.c.value).where(_STAGE.c.application_id == sa.bindparam("app"))
)
_STAGE_ROWS = hot.Hot(
    sa.select(_STAGE.c.section, _STAGE.c.field, _STAGE.c.value).where(
        _STAGE.c.application_id == sa.bindparam("app")
    )
)
_STAGE_UPDATE = _STAGE.update().where(
    _STAGE.c.application_id == sa.bindparam("app"), _STAGE.c.field == sa.bindparam("name")
)


def put_stage_values(
    db: Session, application_id: int, values: dict[str, tuple[str, Any]], by: str
) -> dict[str, Any]:
    """Store {field: (section, value)}; returns the previous value of each field. New fields
    go in one INSERT (executemany), changed ones in one UPDATE each."""
    existing = stage_data(db, application_id)
    now = clock.now()
    previous: dict[str, Any] = {}
    new: list[dict[str, Any]] = []
    for name, (section, value) in values.items():
        previous[name] = existing.get(name)
        if name not in existing:
            new.append(
                dict(
                    application_id=application_id,
                    field=name,
                    section=section,
                    value=value,
                    recorded_at=now,
                    recorded_by=by,
                )
            )
        else:
            core(db).execute(
                _STAGE_UPDATE,
                {"app": application_id, "name": name, "value": value, "recorded_at": now,
                 "recorded_by": by},
            )  # fmt: skip
    if new:
        core(db).execute(_STAGE_INSERT, new)
    return previous


def line_code(db: Session, line_id: int) -> str | None:
    """The code of a programme line."""
    return core(db).execute(_LINE_CODE, {"line": line_id}).scalar()


_LINE = ProgrammeLine.__table__.c  # type: ignore[attr-defined]
_LINE_CODE = sa.select(_LINE.code).where(_LINE.id == sa.bindparam("line"))


def add_messages(db: Session, messages: list[dict[str, Any]]) -> None:
    """Insert outbox messages, given as their columns, in one statement (executemany); the
    columns not given take the model's defaults."""
    if messages:
        rows = [{**_outbox_defaults(), **m} for m in messages]
        hot.write(db, _OUTBOX_ROWS, rows)


def _outbox_defaults() -> dict[str, Any]:
    """The defaults of the columns not given: the constant ones read once, the factories (the
    times) called each time."""
    constant, factories = _outbox_default_kinds()
    return {**constant, **{key: factory() for key, factory in factories.items()}}


@functools.cache
def _outbox_default_kinds() -> tuple[dict[str, Any], dict[str, Callable[[], Any]]]:
    fields = OutboxMessage.model_fields
    constant: dict[str, Any] = {}
    factories: dict[str, Callable[[], Any]] = {}
    for column in _OUTBOX.columns:
        field = fields[column.key]
        if column.key == "id" or field.is_required():
            continue
        if field.default_factory is not None:
            factories[column.key] = field.default_factory  # type: ignore[assignment]
        else:
            constant[column.key] = field.get_default()
    return constant, factories


class PartnerRow(NamedTuple):
    """A partner of an application with its organisation's name and type, as read for showing
    and checking it (no ORM object built)."""

    id: int
    organisation_id: int
    organisation: str
    type: str
    co_financing: bool
    commitment: str
    amount_cents: int | None
    hours: int | None
    source: str | None  # of money: private, municipal, ...; None: unknown or no money


def partners(db: Session, application_id: int) -> list[PartnerRow]:
    """The application's partners in the order they were added."""
    return [PartnerRow(*row) for row in hot.rows(db, _PARTNERS, {"app": application_id})]


_PARTNER = ApplicationPartner.__table__.c  # type: ignore[attr-defined]
_PARTNERS = hot.Hot(
    sa.select(
        _PARTNER.id,
        _PARTNER.organisation_id,
        _ORGANISATION.name,
        _ORGANISATION.o_type,
        _PARTNER.co_financing,
        _PARTNER.commitment,
        _PARTNER.amount_cents,
        _PARTNER.hours,
        _PARTNER.source,
    )  # fmt: skip
    .join_from(
        ApplicationPartner.__table__,  # type: ignore[attr-defined]
        Organisation.__table__,  # type: ignore[attr-defined]
        _ORGANISATION.id == _PARTNER.organisation_id,
    )
    .where(_PARTNER.application_id == sa.bindparam("app"))
    .order_by(_PARTNER.id)
)


def partner(db: Session, application_id: int, organisation_id: int) -> ApplicationPartner | None:
    return db.exec(
        select(ApplicationPartner).where(
            ApplicationPartner.application_id == application_id,
            ApplicationPartner.organisation_id == organisation_id,
        )
    ).first()


class IndicatorRow(NamedTuple):
    """An application's indicator, as read for showing and checking it (no ORM object)."""

    id: int
    application_id: int
    name: str
    unit: str
    baseline: str
    target: str
    target_date: dt.date | None
    source: str

    @property
    def pk(self) -> int:
        return self.id


def indicators(db: Session, application_id: int) -> list[IndicatorRow]:
    """The application's indicators in the order they were added."""
    return [IndicatorRow(*row) for row in hot.rows(db, _INDICATORS, {"app": application_id})]


_INDICATOR = Indicator.__table__.c  # type: ignore[attr-defined]
_INDICATORS = hot.Hot(
    sa.select(
        _INDICATOR.id,
        _INDICATOR.application_id,
        _INDICATOR.name,
        _INDICATOR.unit,
        _INDICATOR.baseline,
        _INDICATOR.target,
        _INDICATOR.target_date,
        _INDICATOR.source,
    )  # fmt: skip
    .where(_INDICATOR.application_id == sa.bindparam("app"))
    .order_by(_INDICATOR.id)
)


class ApplicationRow(TypedDict):
    """An application as listed: its fields, its applicant, programme and line by name."""

    id: int
    title: str
    state: str
    requested_cents: int
    round: str | None
    version: int
    applicant: str
    programme: str
    line: str | None


def list_applications(
    db: Session,
    *,
    state: str | None = None,
    programme: str | None = None,
    organisation_id: int | None = None,
) -> list[ApplicationRow]:
    """One set-based query, however many applications there are."""
    a, o, p, line = (
        Application.__table__,
        Organisation.__table__,
        Programme.__table__,
        ProgrammeLine.__table__,
    )  # type: ignore[attr-defined]
    query = (
        sa.select(
            a.c.id,
            a.c.title,
            a.c.state,
            a.c.requested_cents,
            a.c.round,
            a.c.version,
            o.c.name.label("applicant"),
            p.c.code.label("programme"),
            line.c.code.label("line"),
        )
        .join(o, o.c.id == a.c.applicant_org_id)
        .join(p, p.c.id == a.c.programme_id)
        .join(line, line.c.id == a.c.line_id, isouter=True)
        .order_by(a.c.id)
    )
    if state:
        query = query.where(a.c.state == state)
    if programme:
        query = query.where(p.c.code == programme)
    if organisation_id is not None:
        query = query.where(a.c.applicant_org_id == organisation_id)
    return cast(list[ApplicationRow], [dict(row._mapping) for row in db.execute(query)])


def state_counts(db: Session) -> dict[str, int]:
    rows = db.execute(
        sa.select(Application.state, sa.func.count()).group_by(Application.state)  # type: ignore[arg-type]
    ).all()
    return dict(rows)


def people_with_role(
    db: Session, role: str, organisation_id: int | None = None
) -> list[sa.Row[Any]]:
    """The people with `role` (of one organisation), by id: rows with Person's columns as
    attributes (read through Core, no ORM object built)."""
    if organisation_id is None:
        return list(core(db).execute(_WITH_ROLE, {"role": role}).all())
    params = {"role": role, "organisation": organisation_id}
    return list(core(db).execute(_WITH_ROLE_IN, params).all())


_WITH_ROLE = (  # built once: the people with a role, and those of one organisation
    sa.select(*Person.__table__.columns)  # type: ignore[attr-defined]
    .join(PersonRole.__table__, _ROLE.person_id == _PERSON.id)  # type: ignore[attr-defined]
    .where(_ROLE.role == sa.bindparam("role"))
    .order_by(_PERSON.id)
)
_WITH_ROLE_IN = _WITH_ROLE.where(_PERSON.organisation_id == sa.bindparam("organisation"))


class Contact(NamedTuple):
    """An organisation's contact address, as a recipient of messages (Dutch, as the
    organisations kracht serves write)."""

    name: str
    email: str
    language: str = "nl"


def org_contacts(db: Session, organisation_id: int | None = None) -> dict[int, Contact]:
    """{organisation id: its contact} for the organisations with an address (of one)."""
    query = sa.select(Organisation.id, Organisation.name, Organisation.email).where(
        col(Organisation.email).is_not(None)
    )
    if organisation_id is not None:
        query = query.where(Organisation.id == organisation_id)  # type: ignore[arg-type]
    return {i: Contact(name, email) for i, name, email in core(db).execute(query).all()}


def people_in_groups(
    db: Session, roles: Iterable[str], applicants_of: int | None
) -> dict[str, list[PersonInRole]]:
    """The people with each of `roles`, and the applicants of organisation `applicants_of`
    (under "applicant"; none when None), by id: as `people_with_role` gives them, one statement
    for all (rows with Person's columns and the role)."""
    wanted = sorted(set(roles))
    params: dict[str, Any] = {f"group_{n}": role for n, role in enumerate(wanted)}
    params["organisation"] = applicants_of
    found: dict[str, list[PersonInRole]] = {}
    for row in hot.rows(db, _in_groups(len(wanted)), params):
        person = PersonInRole(*row)
        found.setdefault(person.role, []).append(person)
    return found


PersonInRole = NamedTuple(  # type: ignore[misc]
    "PersonInRole",
    [(c.key, Any) for c in Person.__table__.columns] + [("role", str)],  # type: ignore[attr-defined]
)


@functools.cache
def _in_groups(roles: int) -> hot.Hot:
    """The people of `roles` roles and the applicants of one organisation (one statement for
    each number of roles)."""
    return hot.Hot(
        sa.select(*Person.__table__.columns, _ROLE.role)  # type: ignore[attr-defined]
        .join(PersonRole.__table__, _ROLE.person_id == _PERSON.id)  # type: ignore[attr-defined]
        .where(
            sa.or_(
                _ROLE.role.in_([sa.bindparam(f"group_{n}") for n in range(roles)]),
                sa.and_(
                    _ROLE.role == "applicant",
                    _PERSON.organisation_id == sa.bindparam("organisation"),
                ),
            )
        )
        .order_by(_PERSON.id)
    )


class MessageRow(NamedTuple):
    """An outbox message as it is listed: everything but its body (no ORM object built)."""

    id: int
    event: str
    application_id: int | None
    recipient: str
    language: str
    subject: str
    status: str
    attempts: int
    next_attempt_at: dt.datetime | None
    last_error: str | None
    message_id: str
    created_at: dt.datetime
    sent_at: dt.datetime | None


def messages(db: Session, application_id: int) -> list[MessageRow]:
    """The application's messages, oldest first, without their bodies."""
    return [MessageRow(*row) for row in hot.rows(db, _MESSAGES, {"app": application_id})]


_MESSAGE = OutboxMessage.__table__.c  # type: ignore[attr-defined]
_MESSAGES = hot.Hot(
    sa.select(*(_MESSAGE[name] for name in MessageRow._fields))
    .where(_MESSAGE.application_id == sa.bindparam("app"))
    .order_by(_MESSAGE.id)
)
