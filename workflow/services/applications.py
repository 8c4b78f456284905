"""Applications: create, describe, list, partners and indicators, history, workflow upgrade."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any, NotRequired, cast

from typing_extensions import TypedDict

from kracht.basics import inputs
from kracht.basics.actors import Actor, require, require_own
from kracht.basics.errors import ConcurrentChange, InvalidInput, NotAllowed, NotFound
from kracht.basics.euros import parse_euros
from kracht.basics.roles import Role
from kracht.storage import audit, repository
from kracht.storage.tables import Application
from kracht.workflow import co_financing as co_financing_sources
from kracht.workflow import engine, tracks
from kracht.workflow.definition import INITIAL, STATES, WORKFLOW_VERSION
from kracht.workflow.move import Audited
from kracht.workflow.services import (
    assignment,
    decisions,
    filters,
    monitor_views,
    policy,
    score_sheets,
)
from kracht.workflow.services.monitor_views import Monitoring
from kracht.workflow.services.notices import OutboxMessage, Reminder
from kracht.workflow.services.policy import visible_application
from kracht.workflow.services.score_sheets import Committee
from kracht.workflow.services.trail import ShownEvent
from kracht.workflow.unit import Unit, reads, writes

CREATORS = (Role.PROGRAMME_LEADER, Role.APPLICANT)
READERS_OF_AUDIT = (Role.AUDITOR, Role.PROGRAMME_LEADER)
COMMITMENTS = ("money", "knowledge", "time", "none")
MAX_HOURS = 10_000_000  # a partner's time commitment: thousands of people working full time


def text(value: str | None, what: str, kind: inputs.Text = inputs.NAME) -> str:
    return inputs.text(value, what, kind)


def parse_date(value: object, what: str, **limits: dt.date) -> dt.date | None:
    """A date within the plausible range (workflow.inputs), or None when none was given."""
    return inputs.parse_date(value, what, **limits)


def parse_decimal(value: object, what: str) -> str:
    """An exact decimal as text, at most 15 digits before the point and 12 after."""
    text = str(value).strip().replace(",", ".")
    shown = repr(value if len(text) <= 40 else f"{text[:24]}... ({len(text)} characters)")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise InvalidInput(f"{what}: {shown} is not a number") from None
    if not number.is_finite():
        raise InvalidInput(f"{what}: {shown} is not a number")
    sign, digits, exponent = number.as_tuple()
    while len(digits) > 1 and digits[-1] == 0:  # only significant digits count: 1.50 is 1.5
        digits, exponent = digits[:-1], int(exponent) + 1
    if len(text) > 60 or any(digits) and not (-12 <= int(exponent) <= 15 - len(digits)):
        raise InvalidInput(
            f"{what}: {shown} is too large or too precise (at most 15 digits before the "
            "decimal point and 12 after)"
        )
    if int(number.as_tuple().exponent) < -12:  # written with more zeros than it needs
        number = Decimal((sign, digits, exponent)) if any(digits) else Decimal(0)
    return format(number, "f")


def new_application(unit: Unit, row: dict[str, Any]) -> Application:
    """Validate one application's fields against the database and add it (state: idea)."""
    db = unit.db
    title = text(row.get("title"), "title", inputs.TITLE)
    programme = repository.programme_by_code(db, text(row.get("programme"), "programme"))
    if programme is None:
        raise NotFound("programme", row.get("programme"))
    org = repository.org_by_name(db, text(row.get("applicant"), "applicant organisation"))
    if org is None:
        raise NotFound("organisation", row.get("applicant"))
    line_id = None
    if row.get("line"):
        line = repository.line_by_code(db, programme.id, str(row["line"]).strip())
        if line is None:
            codes = ", ".join(x.code for x in repository.lines_of(db, programme.pk))
            raise NotFound("line", row["line"], f"lines of {programme.code}: {codes}")
        line_id = line.id
    require_own(unit.actor, CREATORS, org.pk, "create applications")
    cents = parse_euros(row.get("requested") or 0, "requested amount")
    fields = application_fields(row, title, programme, line_id, org, cents, unit.clock.today())
    leaders_only(unit, fields)
    app = Application(**fields)
    return repository.add(db, app)


def leaders_only(unit: Unit, fields: dict[str, Any]) -> None:
    """An application's round (its call, which may give it a track of its own) and a
    submission day other than today (which picks the rules of its period) are the programme
    leader's to give."""
    if unit.actor.holds([Role.PROGRAMME_LEADER]):
        return
    if fields["round"]:
        raise NotAllowed("only a programme leader puts an application in a round: the round "
                         "decides its route", step="round_by_leader")  # fmt: skip
    day = fields["submitted_on"]
    if day is not None and day != unit.clock.today():
        raise NotAllowed(f"only a programme leader gives a submission day other than today "
                         f"({day.isoformat()} was given): it decides which rules apply",
                         step="submitted_by_leader")  # fmt: skip


def created_event(actor: Actor, app: Any, source: str) -> dict[str, Any]:
    """The audit event of an application's creation (one by one or imported), as columns."""
    return dict(
        actor=actor.email,
        roles=actor.roles_text,
        action="create",
        application_id=app.id,
        to_state=app.state,
        payload={
            "title": app.title,
            "requested_cents": app.requested_cents,
            "workflow_version": app.workflow_version,
            "source": source,
        },
    )


def application_fields(
    row: dict[str, Any],
    title: str,
    programme: Any,
    line_id: int | None,
    org: Any,
    requested_cents: int,
    today: Any,
) -> dict[str, Any]:
    """A new application's columns (state: idea) from a row whose title is checked and whose
    programme, line and organisation are found; one by one or imported."""
    return dict(
        title=title,
        description=inputs.text(row.get("description"), "description", inputs.LONG, required=False),
        programme_id=programme.id,
        line_id=line_id,
        applicant_org_id=org.id,
        requested_cents=requested_cents,
        round=inputs.optional_text(row.get("round"), "round", inputs.LABEL),
        state=INITIAL,
        workflow_version=WORKFLOW_VERSION,
        submitted_on=parse_date(row.get("submitted_on"), "submitted_on", latest=today),
    )


def audit_created(unit: Unit, app: Any) -> None:
    """The creation's audit event, and the messages it causes, in the unit's transaction."""
    from kracht.notifications.outbox import enqueue

    db = unit.db
    event = audit.append(db, **created_event(unit.actor, app, unit.channel))
    settings = unit.settings
    enqueue(db, "application_submitted", app, event.seq, {}, templates=settings.templates.folder,
            base_url=settings.web.base_url)  # fmt: skip


class Created(TypedDict):
    """An application created: its id, title and state (idea)."""

    id: int
    title: str
    state: str


@writes("create")
def create(unit: Unit, **fields: Any) -> Created:
    app = new_application(unit, fields)
    audit_created(unit, app)
    return {"id": app.id, "title": app.title, "state": app.state}


@reads
def list_all(
    unit: Unit, state: str | None = None, programme: str | None = None
) -> list[repository.ApplicationRow]:
    if state and state not in STATES:
        raise InvalidInput(f"unknown state {state!r}; states are: " + ", ".join(STATES))
    db = unit.db
    actor = unit.actor
    filters.programme(db, programme)
    own = None if actor.sees_everything() else (actor.organisation_id or -1)
    return repository.list_applications(db, state=state, programme=programme, organisation_id=own)


# -- the record


class PartnerShown(TypedDict):
    """A partner organisation and its commitment (an amount with money, hours with time)."""

    organisation: str
    type: str  # the organisation's O: business, education, research, government
    co_financing: bool
    commitment: str
    amount_cents: int | None
    hours: int | None
    source: str | None  # where money comes from (workflow.co_financing); None: unknown or none


class IndicatorShown(TypedDict):
    """A SMART indicator: what is measured, in which unit, from where to where, by when."""

    name: str
    unit: str
    baseline: str  # a decimal as text
    target: str
    target_date: str | None
    source: str


class Notices(TypedDict):
    """Open deadlines and messages about an application."""

    deadlines: list[Reminder]
    messages: list[OutboxMessage]


class ApplicationFacts(TypedDict):
    """An application's fields and data, and what comes next: the record without its parts."""

    id: int
    title: str
    description: str
    state: str
    previous_state: str | None
    programme: str | None
    line: str | None
    applicant: str | None
    requested_cents: int
    round: str | None
    submitted_on: str | None
    workflow_version: int
    version: int
    created_at: str
    updated_at: str
    route: list[str]  # the stages of the main road it goes through, to the steering decision
    not_applicable: dict[str, str]  # stage -> why it does not apply (programme or track)
    rules_not_applicable: dict[str, str]  # rule -> why it does not apply (the period)
    stage_data: dict[str, dict[str, Any]]  # section -> field -> value (free-form)
    partners: list[PartnerShown]
    indicators: list[IndicatorShown]
    next: list[engine.Option]


class ApplicationRecord(ApplicationFacts, Notices):
    """An application's whole record: its facts, and every part of it by name."""

    committee: Committee
    decision: decisions.DecisionView
    monitoring: Monitoring


@reads
def facts(unit: Unit, application_id: int) -> ApplicationFacts:
    """The record's fields, stage data, partners, indicators and what comes next, without the
    committee, decision, monitoring and notification parts (the application page's read)."""
    loaded = policy.visible_loaded(unit.db, unit.actor, application_id)
    return _facts(unit, loaded, _history_for(unit, loaded.app))[0]


@reads
def show(unit: Unit, application_id: int) -> ApplicationRecord:
    """The whole record: its facts (see `facts`), and the committee, decision, monitoring and
    notification parts."""
    db = unit.db
    actor = unit.actor
    loaded = policy.visible_loaded(db, actor, application_id)
    app = loaded.app
    history = _history_for(unit, app)  # the decisions read it too
    shown, partners, indicators = _facts(unit, loaded, history)
    monitoring = monitor_views.part(db, app, unit.clock.today(), listed=indicators)
    return {
        **shown,
        "committee": cast(Committee, score_sheets.describe(db, actor, app)),
        "decision": decisions.decision_view(db, app, history=history, partners=partners),
        "monitoring": cast(Monitoring, monitoring),
        **notifications_part(db, actor, app.id),
    }


def _history_for(unit: Unit, app: Application) -> list[audit.EventRow] | None:
    """The application's events when the actor is no insider (what they may see of the advice
    depends on them); None for an insider, who sees it all."""
    return None if unit.actor.holds(policy.INSIDERS) else audit.history(unit.db, app.pk)


def _facts(
    unit: Unit, loaded: repository.Loaded, history: list[audit.EventRow] | None
) -> tuple[ApplicationFacts, list[repository.PartnerRow], list[repository.IndicatorRow]]:
    """The facts of the application, with the partner and indicator rows read for them (the
    parts of the whole record read them too)."""
    db, app, programme = unit.db, loaded.app, loaded.programme
    stage_data: dict[str, dict[str, Any]] = {}
    recorded: dict[str, Any] = {}  # {field: value}, as the guards' context reads it
    for value in repository.stage_values(db, app.pk):
        stage_data.setdefault(value.section, {})[value.field] = value.value
        recorded[value.field] = value.value
    if history is not None and policy.withheld_advice(unit.actor, history):
        scoring = stage_data.pop("kracht_scoring", {})
        kept = {k: v for k, v in scoring.items() if k not in policy.ADVICE_FIELDS}
        stage_data.update({"kracht_scoring": kept} if kept else {})
    partners = repository.partners(db, app.pk)
    indicators = repository.indicators(db, app.pk)
    ctx = engine.context(unit, app, programme, None, {}, loaded, recorded=recorded,
                         partners=partners, indicators=indicators)  # fmt: skip
    shown: ApplicationFacts = {
        "id": app.pk,
        "title": app.title,
        "description": app.description,
        "state": app.state,
        "previous_state": app.previous_state,
        "programme": programme.code,
        "line": loaded.line_code,
        "applicant": loaded.applicant,
        "requested_cents": app.requested_cents,
        "round": app.round,
        "submitted_on": app.submitted_on.isoformat() if app.submitted_on else None,
        "workflow_version": app.workflow_version,
        "version": app.version,
        "created_at": audit.canonical_time(app.created_at),
        "updated_at": audit.canonical_time(app.updated_at),
        "route": [stage for stage in tracks.ROUTE if stage not in ctx.not_applicable],
        "not_applicable": dict(ctx.not_applicable),
        "rules_not_applicable": dict(ctx.waived_rules),
        "stage_data": stage_data,
        "partners": [
            {
                "organisation": p.organisation,
                "type": p.type,
                "co_financing": p.co_financing,
                "commitment": p.commitment,
                "amount_cents": p.amount_cents,
                "hours": p.hours,
                "source": p.source,
            }
            for p in partners
        ],
        "indicators": [
            {
                "name": i.name,
                "unit": i.unit,
                "baseline": i.baseline,
                "target": i.target,
                "target_date": i.target_date.isoformat() if i.target_date else None,
                "source": i.source,
            }
            for i in indicators
        ],
        "next": engine.options(ctx),
    }
    return shown, partners, indicators


def notifications_part(db: Any, actor: Actor, application_id: int) -> Notices:
    """Open deadlines and messages about the application; an applicant sees only their own."""
    from kracht.notifications import reminders
    from kracht.notifications.sender import describe

    mine = None if actor.sees_everything() else actor.email
    deadlines = reminders.shown(db, mine, application_id=application_id)
    messages = repository.messages(db, application_id)
    return {
        "deadlines": cast(list[Reminder], [reminders.as_dict(r) for r in deadlines]),
        "messages": cast(
            list[OutboxMessage], [describe(m) for m in messages if mine in (None, m.recipient)]
        ),
    }


@reads
def history(unit: Unit, application_id: int) -> list[ShownEvent]:
    """The application's audit events; score contents stay hidden from who may not see scores,
    and a joint advice from an applicant until the decision on it, hashes included
    (`workflow.trail`)."""
    from kracht.workflow.services import trail

    db = unit.db
    actor = unit.actor
    return cast(
        list[ShownEvent], trail.history(db, actor, visible_application(db, actor, application_id))
    )


class PartnerAdded(Audited):
    """A partner added, and the assigned members it recused (only when there were any)."""

    partner: PartnerShown
    recused: NotRequired[list[str]]  # their e-mail addresses


def add_partner(
    unit: Unit,
    application_id: int,
    *,
    organisation: str,
    co_financing: bool = False,
    commitment: str = "none",
    amount: str | None = None,
    hours: int | None = None,
    source: str | None = None,
) -> PartnerAdded:
    """Add a partner organisation with its commitment (money with an amount, knowledge, time).
    Money has a source (workflow.co_financing.SOURCES); without one, a business's money is
    private and another organisation's unknown.

    Committee members already assigned who work at the partner are recused in the same
    transaction, each recusal audited as at assignment.
    """
    from kracht.states import proposal
    from kracht.storage.tables import ApplicationPartner

    if commitment not in COMMITMENTS:
        raise InvalidInput(f"commitment {commitment!r} is not one of " + ", ".join(COMMITMENTS))
    amount_cents = parse_euros(amount, "amount") if amount not in (None, "") else None
    if commitment == "money" and not amount_cents:
        raise InvalidInput(
            "a money commitment needs an amount in euros",
            field="amount",
            label="an amount",
            bare=True,
        )
    if commitment != "money" and amount not in (None, ""):
        raise InvalidInput(
            f"an amount is for a money commitment, not {commitment}: leave it out",
            field="amount",
            label="an amount",
            bare=True,
        )
    if commitment != "time" and hours is not None:
        raise InvalidInput(
            f"a number of hours is for a time commitment, not {commitment}: leave it out",
            field="hours",
            label="a number of hours",
            bare=True,
        )
    if hours is not None and not 0 <= hours <= MAX_HOURS:
        raise InvalidInput(f"hours must be from 0 to {MAX_HOURS:,} (got {hours})")
    given = co_financing_sources.check_source(source, commitment)

    def change(unit: Unit, app: Application) -> dict[str, Any]:
        db, actor = unit.db, unit.actor
        org = repository.org_by_name(db, organisation)
        if org is None:
            raise NotFound("organisation", organisation)
        if repository.partner(db, app.id, org.id):
            raise InvalidInput(f"{org.name} is already a partner of application {app.id}")
        money_from = given or co_financing_sources.default_source(org.o_type, commitment)
        repository.add(
            db,
            ApplicationPartner(
                application_id=app.id,
                organisation_id=org.id,
                co_financing=co_financing,
                commitment=commitment,
                amount_cents=amount_cents,
                hours=hours,
                source=money_from,
            ),
        )
        recused = assignment.recuse_linked(db, actor, app, org.id)
        return {
            "partner": {
                "organisation": org.name,
                "type": org.o_type,
                "co_financing": co_financing,
                "commitment": commitment,
                "amount_cents": amount_cents,
                "hours": hours,
                "source": money_from,
            },
            **({"recused": recused} if recused else {}),
        }

    return cast(
        PartnerAdded,
        engine.write_with_audit(unit, application_id, proposal.RECORDERS, "partner.add", change),
    )


class SourceSet(Audited):
    """A partner's money given its source: the partner, the source before and now."""

    organisation: str
    source: str
    previous: str | None  # None: it was unknown


def set_partner_source(
    unit: Unit, application_id: int, *, organisation: str, source: str
) -> SourceSet:
    """Record where a partner's money comes from (workflow.co_financing.SOURCES): money
    recorded before sources were, or with the wrong one. The programme leader's to set."""
    if not source:
        raise InvalidInput("give a source", field="source")
    co_financing_sources.check_source(source, "money")

    def change(unit: Unit, app: Application) -> dict[str, Any]:
        db = unit.db
        org = repository.org_by_name(db, organisation)
        if org is None:
            raise NotFound("organisation", organisation)
        row = repository.partner(db, app.id, org.id)
        if row is None:
            raise NotFound("partner", org.name, f"no partner of application {app.id}")
        if row.commitment != "money":
            raise InvalidInput(
                f"{org.name} commits {row.commitment}, not money: a source is for money",
                field="source",
            )
        previous, row.source = row.source, source
        repository.stage(db, row)
        return {"organisation": org.name, "source": source, "previous": previous}

    roles = (Role.PROGRAMME_LEADER,)
    return cast(
        SourceSet, engine.write_with_audit(unit, application_id, roles, "partner.source", change)
    )


class IndicatorAdded(Audited):
    """An indicator added, as recorded."""

    indicator: IndicatorShown


def add_indicator(
    unit: Unit,
    application_id: int,
    *,
    name: str,
    measured_in: str,
    baseline: str,
    target: str,
    target_date: str | None,
    source: str = "",
) -> IndicatorAdded:
    """Add a SMART indicator: what is measured, in which unit, from where to where, by when."""
    from kracht.states import proposal
    from kracht.storage.tables import Indicator

    fields = {
        "name": text(name, "indicator name"),
        "unit": text(measured_in, "indicator unit", inputs.LABEL),
        "baseline": parse_decimal(baseline, "baseline"),
        "target": parse_decimal(target, "target"),
        "target_date": parse_date(target_date, "target date"),
        "source": inputs.text(source, "indicator source", required=False),
    }
    if fields["target_date"] is None:
        raise InvalidInput(
            "a SMART indicator needs a target date", field="target_date", label="a target date"
        )

    def change(unit: Unit, app: Application) -> dict[str, Any]:
        db = unit.db
        _check_indicator(db, app, fields)
        repository.add(db, Indicator(application_id=app.id, **fields))
        return {"indicator": {**fields, "target_date": fields["target_date"].isoformat()}}

    return cast(
        IndicatorAdded,
        engine.write_with_audit(unit, application_id, proposal.RECORDERS, "indicator.add", change),
    )


def _check_indicator(db: Any, app: Any, fields: dict[str, Any]) -> None:
    """An indicator's name is unique within its application, and its baseline and target are
    values its unit allows (as a measured value must be: a count whole and from 0, a
    percentage from 0 to 100)."""
    from kracht.workflow.effects.monitoring_plan import rules_for
    from kracht.workflow.measurement import parse_value

    name = fields["name"]
    if any(i.name.lower() == name.lower() for i in repository.indicators(db, app.id)):
        raise InvalidInput(
            f"indicator name: application {app.id} already has an indicator {name!r}; "
            "give each indicator its own name"
        )
    rules = rules_for(db, app.programme_id)
    for part in ("baseline", "target"):
        try:
            parse_value(name, fields["unit"], fields[part], rules)
        except InvalidInput as error:
            raise InvalidInput(f"{part}: {error}") from None


class Upgraded(TypedDict):
    """An application moved to the workflow version this kracht declares, from its old one."""

    id: int
    from_version: int
    to_version: int


@writes("workflow.upgrade", of_application=True)
def upgrade_workflow(unit: Unit, application_id: int) -> Upgraded:
    """Move an application to the workflow version this kracht declares, explicitly and audited."""
    db = unit.db
    actor = unit.actor
    require(actor, [Role.PROGRAMME_LEADER], "upgrade an application's workflow")
    app = repository.application(db, application_id, lock=True)
    if app is None:
        raise NotFound("application", application_id)
    if app.workflow_version == WORKFLOW_VERSION:
        raise InvalidInput(f"application {app.id} already runs under version {WORKFLOW_VERSION}")
    if app.state not in STATES:
        raise InvalidInput(
            f"application {app.id} is in {app.state!r}, which version {WORKFLOW_VERSION} "
            "does not have; it cannot be moved automatically"
        )
    old = app.workflow_version
    if not repository.save_application(db, app, app.version, workflow_version=WORKFLOW_VERSION):
        raise ConcurrentChange(app.pk)
    audit.append(
        db,
        actor=actor.email,
        roles=actor.roles_text,
        action="workflow.upgrade",
        application_id=app.id,
        from_state=app.state,
        to_state=app.state,
        payload={"from_version": old, "to_version": WORKFLOW_VERSION},
    )
    return {"id": app.id, "from_version": old, "to_version": WORKFLOW_VERSION}
