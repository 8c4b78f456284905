"""Reads and writes of records other than the audit chain. Reports facts; never decides."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from kracht.storage import clock
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
    ProgrammeLine,
    StageValue,
)

# -- people and organisations -------------------------------------------------------------------


def person_by_email(db: Session, email: str) -> Person | None:
    return db.exec(select(Person).where(col(Person.email) == email.lower())).first()


def roles_of(db: Session, person_id: int) -> list[str]:
    rows = db.exec(select(PersonRole.role).where(PersonRole.person_id == person_id)).all()
    return sorted(rows)


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


def list_people(db: Session) -> list[dict[str, Any]]:
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
            "roles": sorted(roles.get(p.id or 0, [])),
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


def application(db: Session, application_id: int, *, lock: bool = False) -> Application | None:
    """The application; with `lock`, read afresh and held until the transaction ends.

    The lock (SELECT ... FOR NO KEY UPDATE on PostgreSQL) makes a second writer of the same
    application wait for the first to commit and then read its version, as SQLite's BEGIN
    IMMEDIATE does, instead of failing its update. It still lets other transactions insert rows
    that refer to the application (stage values, audit events), so it cannot deadlock them.
    """
    if not lock:
        return db.get(Application, application_id)
    return db.get(
        Application, application_id, with_for_update={"key_share": True}, populate_existing=True
    )


def save_application(db: Session, app: Application, expected_version: int, **values: Any) -> bool:
    """Write `values` and bump the version, only if nobody changed the row since we read it."""
    result = db.execute(
        sa.update(Application)
        .where(col(Application.id) == app.id, col(Application.version) == expected_version)
        .values(version=expected_version + 1, updated_at=clock.now(), **values)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    for name, value in values.items():
        setattr(app, name, value)
    app.version = expected_version + 1
    return True


def stage_values(db: Session, application_id: int) -> list[StageValue]:
    return list(
        db.exec(select(StageValue).where(StageValue.application_id == application_id)).all()
    )


def put_stage_values(
    db: Session, application_id: int, values: dict[str, tuple[str, Any]], by: str
) -> dict[str, Any]:
    """Store {field: (section, value)}; returns the previous value of each field."""
    existing = {v.field: v for v in stage_values(db, application_id)}
    previous: dict[str, Any] = {}
    for name, (section, value) in values.items():
        row = existing.get(name)
        previous[name] = row.value if row else None
        if row is None:
            db.add(
                StageValue(
                    application_id=application_id,
                    field=name,
                    section=section,
                    value=value,
                    recorded_by=by,
                )
            )
        else:
            row.value, row.recorded_at, row.recorded_by = value, clock.now(), by
    db.flush()
    return previous


def partners(db: Session, application_id: int) -> list[tuple[ApplicationPartner, Organisation]]:
    return list(
        db.exec(
            select(ApplicationPartner, Organisation)
            .join(Organisation, col(ApplicationPartner.organisation_id) == Organisation.id)
            .where(ApplicationPartner.application_id == application_id)
            .order_by(col(ApplicationPartner.id))
        ).all()
    )


def partner(db: Session, application_id: int, organisation_id: int) -> ApplicationPartner | None:
    return db.exec(
        select(ApplicationPartner).where(
            ApplicationPartner.application_id == application_id,
            ApplicationPartner.organisation_id == organisation_id,
        )
    ).first()


def indicators(db: Session, application_id: int) -> list[Indicator]:
    return list(
        db.exec(
            select(Indicator)
            .where(Indicator.application_id == application_id)
            .order_by(col(Indicator.id))
        ).all()
    )


def list_applications(
    db: Session,
    *,
    state: str | None = None,
    programme: str | None = None,
    organisation_id: int | None = None,
) -> list[dict[str, Any]]:
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
    return [dict(row._mapping) for row in db.execute(query)]


def state_counts(db: Session) -> dict[str, int]:
    rows = db.execute(
        sa.select(Application.state, sa.func.count()).group_by(Application.state)  # type: ignore[arg-type]
    ).all()
    return dict(rows)


def people_with_role(db: Session, role: str, organisation_id: int | None = None) -> list[Person]:
    query = (
        select(Person)
        .join(PersonRole, col(PersonRole.person_id) == Person.id)
        .where(PersonRole.role == role)
        .order_by(col(Person.id))
    )
    if organisation_id is not None:
        query = query.where(Person.organisation_id == organisation_id)
    return list(db.exec(query).all())


def messages(db: Session, application_id: int) -> list[OutboxMessage]:
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.application_id == application_id)
        .order_by(col(OutboxMessage.id))
    )
    return list(db.exec(query).all())
