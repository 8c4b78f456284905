"""Moving applications: every action runs in the unit of work it is given, and the rows of the
road say what each move does; the engine applies them and knows no stage by name."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, NamedTuple, TypeVar

from sqlmodel import Session
from typing_extensions import TypedDict

from kracht.basics import inputs
from kracht.basics.actors import Actor, require_own
from kracht.basics.errors import (
    ConcurrentChange,
    Field,
    GuardFailed,
    InvalidInput,
    NotAllowed,
    NotFound,
    WorkflowVersionMismatch,
    WrongState,
)
from kracht.states import sections
from kracht.states.base import Context, Indicator, Partner
from kracht.storage import audit, clock, funds, repository
from kracht.storage.tables import Application, Programme
from kracht.workflow import machine, tracks
from kracht.workflow.definition import (
    DECIDED,
    ON_LEAVE,
    RECORDED_WITH,
    TERMINAL,
    TRANSITIONS,
    TRIGGERS,
    WORKFLOW_VERSION,
    Effect,
    Transition,
    rows_for,
)
from kracht.workflow.effects import monitoring_plan, scoring_round
from kracht.workflow.move import Audited, Move, Moved, Recorded
from kracht.workflow.unit import Unit, attempting

T = TypeVar("T")
Values = dict[str, tuple[str, Any]]  # field -> (section, parsed value)


def fire(
    unit: Unit,
    application_id: int,
    trigger: str,
    *,
    reason: str | None = None,
    values: Mapping[str, object] | None = None,
    expected_version: int | None = None,
    prepare: Callable[[Unit, Application], None] | None = None,
    passing: Mapping[str, str] | None = None,
) -> Moved:
    """Fire `trigger` on an application, within the unit's transaction:

    1. load the application with its version (the actor comes with the unit);
    2. pick the declared row for this trigger and state (refuse an unknown or impossible trigger);
    3. check the actor holds one of the row's roles (applicants: their own applications only);
    4. validate the stage data given with the action (and let `prepare` write what the action
       brings along, such as a final report), then check every guard on it, waiving the
       guards of stages that do not apply (the programme's, and its track's) and the rules
       that do not apply in the application's period (workflow/tracks.py);
    5. let the shared machine move the state, passing through not-applicable stages;
    6. write state, data and version (refusing a concurrent change), apply the row's effects
       and append the audit events, the outbox messages and the reminders.
    The edge commits the unit; any failure rolls all of it back, and a refusal is then audited
    on its own. `Units.try_out` runs it all and rolls back: a dry run. `passing` names stages
    (with why) that do not apply to this one action besides the programme's and the track's:
    the stages an application went through before kracht, when it is brought in.
    """
    reason = inputs.optional_text(reason, Field("reason"), inputs.REASON)
    with attempting("fire", application_id, trigger, reason):
        db, actor = unit.db, unit.actor
        loaded = _load(db, application_id, expected_version)
        app, programme = loaded.app, loaded.programme
        pending = _parse_values(values or {}, unit.clock.today())
        ctx = context(unit, app, programme, reason, pending, loaded, passing=passing)
        row = _pick_row(app, trigger, ctx)
        require_own(actor, row.roles, app.applicant_org_id, f"{trigger} application {app.id}")
        for section in sorted({section for section, _ in pending.values()}):
            module = sections.SECTIONS[section]
            require_own(actor, module.RECORDERS, app.applicant_org_id, f"record {section} data")
            only_with = RECORDED_WITH.get(section, ())
            if only_with and trigger not in only_with:
                raise NotAllowed(f"{section} data is recorded only with " + " or ".join(only_with))
        for check in row.checks:  # what the move asks of the person beyond their role
            check(unit, app)
        if prepare is not None:
            prepare(unit, app)
            ctx = context(unit, app, programme, reason, pending, loaded, passing=passing)
        steps, missing = _plan(row, ctx)
        if missing:
            passed = [step.source for step in steps[1:]]
            raise GuardFailed(trigger, application_id, missing, to=steps[-1].dest, passing=passed)
        return _commit(unit, app, programme, ctx, steps, pending, loaded)


def record(
    unit: Unit,
    application_id: int,
    section: str,
    values: Mapping[str, object],
    *,
    expected_version: int | None = None,
) -> Recorded:
    """Record stage data on an application without moving it; one audit event."""
    module = sections.section_named(section)
    if not values:
        raise InvalidInput(
            "nothing to record: give at least one value or a file", field="values", step="no_values"
        )
    with attempting("record", application_id):
        db, actor = unit.db, unit.actor
        app = _load(db, application_id, expected_version).app
        require_own(actor, module.RECORDERS, app.applicant_org_id, f"record {section} data")
        if app.state in TERMINAL:
            raise NotAllowed(f"application {app.id} is {app.state}; its record is final")
        with_triggers = RECORDED_WITH.get(section, ())
        if with_triggers:
            raise NotAllowed(
                f"{section} data is recorded only with the trigger " + " or ".join(with_triggers),
                step="record_with_trigger",
                section=section,
                triggers=" or ".join(with_triggers),
                trigger=with_triggers[0],
                application=app.id,
            )
        pending = {}
        for name, raw in values.items():
            owner, spec = sections.field_named(name, section)
            pending[name] = (owner, spec.parse(raw, unit.clock.today()))
        return _write(unit, app, pending, action="record", payload={"section": section})


def write_with_audit(
    unit: Unit,
    application_id: int,
    roles: tuple[str, ...],
    what: str,
    change: Callable[[Unit, Application], dict[str, Any]],
) -> Audited:
    """Change something that belongs to an application (partners, indicators) as one audited step.
    The result is `Audited` with the payload's keys besides: each caller declares its own.

    `change` does the write and returns the audit payload; the application's version is bumped so
    a concurrent writer is refused rather than silently overwritten.
    """
    with attempting(what, application_id):
        db, actor = unit.db, unit.actor
        app = _load(db, application_id, None).app
        require_own(actor, roles, app.applicant_org_id, f"{what} on application {app.id}")
        if app.state in TERMINAL:
            raise NotAllowed(f"application {app.id} is {app.state}; its record is final")
        version = app.version
        if not repository.save_application(db, app, version):
            raise ConcurrentChange(app.pk)
        payload = change(unit, app)
        event = audit.append(
            db,
            actor=actor.email,
            roles=actor.roles_text,
            action=what,
            application_id=app.id,
            payload=payload,
        )
        return {"application_id": app.id, "version": app.version, "event": event.seq, **payload}


def context(
    unit: Unit,
    app: Application,
    programme: Programme,
    reason: str | None,
    pending: Values,
    loaded: repository.Loaded | None = None,
    *,
    recorded: dict[str, Any] | None = None,
    partners: list[repository.PartnerRow] | None = None,
    indicators: list[repository.IndicatorRow] | None = None,
    passing: Mapping[str, str] | None = None,
) -> Context:
    """What the guards see: the recorded data plus the data given with this action.

    The state, the data and what the action brings are read at once; every other fact (the
    line, partners, indicators, open conditions, committee and monitoring figures) is read in
    the unit's transaction when a guard first asks for it, so a move loads only what its own
    guards look at. The guards run before the move writes anything. `recorded` is the
    application's stage data ({field: value}, as `repository.stage_data` reads it), when the
    caller has just read it; the context keeps its own copy. `partners` and `indicators` are
    the application's (`repository.partners`, `repository.indicators`), when the caller has
    read them."""
    db = unit.db
    assert app.id is not None
    app_id, today = app.id, unit.clock.today()
    data = repository.stage_data(db, app_id) if recorded is None else dict(recorded)
    data.update({name: value for name, (_, value) in pending.items()})
    columns = {c: v for n, (_, v) in pending.items() if (c := sections.FIELDS[n][1].column)}

    def line() -> dict[str, Any]:
        if loaded is not None and app.line_id == loaded.line_id:  # read with the application
            return {"line": loaded.line_code}
        return {"line": repository.line_code(db, app.line_id) if app.line_id else None}

    roads = _roads(db, programme, loaded)
    line_code = line()["line"] if roads.tracks else None

    def partners_of() -> dict[str, Any]:
        rows = repository.partners(db, app_id) if partners is None else partners
        return {
            "partners": tuple(
                Partner(p.organisation, p.type, p.co_financing, p.commitment, p.amount_cents,
                        p.hours)
                for p in rows
            )
        }  # fmt: skip

    def indicators_of() -> dict[str, Any]:
        rows = repository.indicators(db, app_id) if indicators is None else indicators
        return {
            "indicators": tuple(
                Indicator(
                    i.name,
                    i.unit,
                    i.baseline,
                    i.target,
                    i.target_date.isoformat() if i.target_date else None,
                )
                for i in rows
            )
        }

    def conditions() -> dict[str, Any]:
        return {"conditions_open": funds.open_conditions(db, app_id)}

    def committee() -> dict[str, Any]:
        return scoring_round.facts(db, app, programme)

    def monitoring() -> dict[str, Any]:
        return {**_MONITORING_DEFAULTS, **monitoring_plan.facts(db, app, today)}

    return Facts(
        {
            "line": line,
            "partners": partners_of,
            "indicators": indicators_of,
            "conditions_open": conditions,
            **dict.fromkeys(_COMMITTEE, committee),
            **dict.fromkeys(_MONITORING_DEFAULTS, monitoring),
        },
        application_id=app_id,
        state=app.state,
        previous_state=app.previous_state,
        requested_cents=columns.get("requested_cents", app.requested_cents),
        data=data,
        not_applicable={  # the programme's and the track's reasons win over an action's
            **(passing or {}),
            **roads.not_applicable(programme.not_applicable or {}, line_code, app.round),
        },
        waived_rules=roads.waived_on(app.submitted_on or clock.local(app.created_at).date())
        if roads.periods
        else {},
        reason=reason,
        today=today.isoformat(),
        given=frozenset(pending),
    )


def _roads(db: Session, programme: Programme, loaded: repository.Loaded | None) -> tracks.Roads:
    """The programme's tracks and periods; none read when the application was read with its
    programme and that has no configuration of its own."""
    if loaded is not None and loaded.programme.id == programme.id:
        if loaded.config_version is None:
            return tracks.NONE
        return tracks.in_force(db, programme, loaded.config_version)
    return tracks.in_force(db, programme)


_COMMITTEE = ("committee_available", "minimum_members", "sheets_submitted", "quorum")
_MONITORING_DEFAULTS = {"reports_overdue": (), "indicators_unmeasured": ()}


def _fact(name: str) -> property:
    def get(self: Facts) -> Any:
        known = self.__dict__
        if name not in known:
            known.update(known["_loaders"][name]())
        return known[name]

    return property(get, doc=f"{name}, read when first asked for")


class Facts(Context):
    """A Context whose costly facts are read when first asked for (see `context`)."""

    def __init__(self, loaders: Mapping[str, Callable[[], dict[str, Any]]], **known: Any) -> None:
        known["_loaders"] = loaders
        self.__dict__.update(known)

    def moved(self, state: str, previous_state: str) -> Facts:
        """The same facts for the application passing on to `state` (facts read so far are
        shared, the rest still read when asked for)."""
        known = {k: v for k, v in self.__dict__.items() if k != "_loaders"}
        return Facts(self.__dict__["_loaders"], **{**known, "state": state,
                                                   "previous_state": previous_state})  # fmt: skip

    line = _fact("line")
    partners = _fact("partners")
    indicators = _fact("indicators")
    conditions_open = _fact("conditions_open")
    committee_available = _fact("committee_available")
    minimum_members = _fact("minimum_members")
    sheets_submitted = _fact("sheets_submitted")
    quorum = _fact("quorum")
    reports_overdue = _fact("reports_overdue")
    indicators_unmeasured = _fact("indicators_unmeasured")


class Option(TypedDict):
    """A trigger possible from the state: where it goes, who may fire it, what it still needs."""

    trigger: str
    to: str  # where the application ends up: past the stages that do not apply
    passing: list[str]  # the stages it passes on the way, as they do not apply
    forward: bool  # on the main road
    roles: list[str]
    missing: list[str]


def options(ctx: Context) -> list[Option]:
    """Every trigger possible from the application's state: where it really leads, who may
    fire it and what it still needs (on the way too), as firing it would find."""
    result: list[Option] = []
    for row in TRANSITIONS:
        if ctx.state in row.sources and (row.when is None or row.when.test(ctx)):
            steps, missing = _plan(row, ctx)
            result.append(
                {
                    "trigger": row.trigger,
                    "to": steps[-1].dest,
                    "passing": [step.source for step in steps[1:]],
                    "forward": row.forward,
                    "roles": [str(r) for r in row.roles],
                    "missing": [m for m in missing if getattr(m, "need", None) != "reason"],
                }
            )
    return result


# -- the steps of an action ---------------------------------------------------------------------


def _load(db: Session, application_id: int, expected_version: int | None) -> repository.Loaded:
    found = repository.application_and_programme(db, application_id)  # writers queue here
    if found is None:
        raise NotFound("application", application_id)
    app = found.app
    if app.workflow_version != WORKFLOW_VERSION:
        raise WorkflowVersionMismatch(app.pk, app.workflow_version, WORKFLOW_VERSION)
    if expected_version is not None and expected_version != app.version:
        raise ConcurrentChange(application_id, expected_version, app.version)
    return found


def _parse_values(values: Mapping[str, object], today: dt.date) -> Values:
    """The stage data given, parsed; a day something happened may not lie after `today`."""
    pending: Values = {}
    for name, raw in values.items():
        section, spec = sections.field_named(name)
        pending[name] = (section, spec.parse(raw, today))
    return pending


def _pick_row(app: Application, trigger: str, ctx: Context) -> Transition:
    if trigger not in TRIGGERS:
        raise NotAllowed(
            f"unknown trigger {trigger!r}; known triggers: " + ", ".join(TRIGGERS),
            trigger=trigger,
            known=list(TRIGGERS),
        )
    if app.state in TERMINAL:
        raise WrongState(app.pk, app.state, trigger, final=True)
    for row in rows_for(trigger, app.state):
        if row.when is None or row.when.test(ctx):
            return row
    possible = sorted({r.trigger for r in TRANSITIONS if app.state in r.sources})
    raise WrongState(app.pk, app.state, trigger, possible)


def _check(row: Transition, ctx: Context) -> tuple[list[str], dict[str, str], dict[str, str]]:
    """What the row's guards still miss; the stages whose guard is waived, and the rules of
    the guards checked that do not apply to the application (its period), each with why."""
    missing: list[str] = []
    waived: dict[str, str] = {}
    rules: dict[str, str] = {}
    for guard in row.guards:
        if guard.stage in ctx.not_applicable:
            waived[guard.stage] = ctx.not_applicable[guard.stage]
            continue
        missing += [m for m in guard.missing(ctx) if m not in missing]
        for need in guard.needs:
            if need.rule in ctx.waived_rules:
                rules[need.rule] = ctx.waived_rules[need.rule]
    return missing, waived, rules


class Step(NamedTuple):
    """One move of an action: the row, from and to, and what did not apply to it."""

    row: Transition
    source: str
    dest: str
    waived: dict[str, str]  # stage -> why its guard does not apply
    rules: dict[str, str]  # rule -> why it does not apply (the application's period)


def _plan(row: Transition, ctx: Context) -> tuple[list[Step], list[str]]:
    """The moves this action makes: the fired row, then passes through not-applicable stages."""
    missing, waived, rules = _check(row, ctx)
    dest = machine.move(ctx, row.trigger)
    assert dest == row.dest, f"machine and declaration disagree on {row.trigger} from {ctx.state}"
    steps: list[Step] = [Step(row, ctx.state, dest, waived, rules)]
    while dest in ctx.not_applicable:
        here = (
            ctx.moved(dest, steps[-1].source)
            if isinstance(ctx, Facts)
            else replace(ctx, state=dest, previous_state=steps[-1].source)
        )
        onward = next(r for r in TRANSITIONS if r.forward and dest in r.sources)
        more, waived, rules = _check(onward, here)
        missing += [m for m in more if m not in missing]
        nxt = machine.move(here, onward.trigger)
        assert nxt == onward.dest
        steps.append(Step(onward, dest, nxt, waived, rules))
        dest = nxt
    return steps, missing


def _notify(
    unit: Unit,
    app: Application,
    programme: Programme,
    ctx: Context,
    steps: list[Step],
    events: list[int],
    loaded: repository.Loaded | None,
) -> None:
    """Write the messages each step's row declares into the outbox, in this same transaction
    (the applicant's name as it was read with the application, while it is still theirs)."""
    from kracht.notifications.outbox import enqueue, needs
    from kracht.notifications.render import Override, override_folder

    if unit.quiet:
        return
    db, templates, base_url = unit.db, unit.settings.templates.folder, unit.settings.web.base_url
    found: tuple[Override | None] | None = None  # the programme's templates, looked up once
    same = loaded is not None and loaded.applicant_id == app.applicant_org_id
    applicant = loaded.applicant if loaded is not None and same else None
    for (row, _, dest, _, _), seq in zip(steps, events, strict=True):
        if not row.events or dest in ctx.not_applicable:
            continue
        if found is None:
            found = (override_folder(templates, programme.code),)
        used = needs(row.events, ("letter_nl", "letter_en"), found[0])
        letters = {  # read only where a template of the row's events may print them
            lang: funds.latest_letter(db, app.pk, lang) if f"letter_{lang}" in used else None
            for lang in ("nl", "en")
        }
        facts = {
            "deadline": ctx.data.get("scoring_deadline") or "",
            "advice": ctx.data.get("advice") or "",
            "advice_rationale": ctx.data.get("advice_rationale") or "",
            "without_committee": ctx.not_applicable.get("kracht_scoring", ""),
            "letter_nl": letters["nl"].text if letters["nl"] else "",
            "letter_en": letters["en"].text if letters["en"] else "",
        }
        for event in row.events:
            enqueue(db, event, app, seq, facts, templates=templates, found=found,
                    applicant=applicant, base_url=base_url)  # fmt: skip


def _apply(move: Move, effects: tuple[Effect, ...]) -> dict[str, Any]:
    """The effects, in order; what each did merged (warnings collected)."""
    done: dict[str, Any] = {}
    for effect in effects:
        result = dict(effect(move))
        warnings = result.pop("warnings", [])
        done.update(result)
        if warnings:
            done["warnings"] = [*done.get("warnings", []), *warnings]
    return done


def _commit(
    unit: Unit,
    app: Application,
    programme: Programme,
    ctx: Context,
    steps: list[Step],
    pending: Values,
    loaded: repository.Loaded | None = None,
) -> Moved:
    db, actor = unit.db, unit.actor
    version, start, reason = app.version, ctx.state, ctx.reason
    final, last_source = steps[-1].dest, steps[-1].source
    stage, columns, previous = _on_record(app, pending)
    if not repository.save_application(
        db, app, version, state=final, previous_state=last_source, **columns
    ):
        raise ConcurrentChange(app.pk)
    if stage:
        previous.update(repository.put_stage_values(db, app.pk, stage, actor.email))
    fired = steps[0].row
    move = Move(unit, app, programme, ctx, fired.trigger, start, final)
    extra = _apply(move, fired.effects)
    warnings = extra.pop("warnings", [])
    events = []
    for index, (row, source, dest, waived, rules) in enumerate(steps):
        payload: dict[str, Any] = {"workflow_version": WORKFLOW_VERSION}
        if index == 0 and pending:
            payload["values"] = {name: value for name, (_, value) in pending.items()}
            payload["previous_values"] = previous
        if index == 0 and extra:
            payload["effects"] = extra
        if waived:
            payload["not_applicable"] = waived
        if rules:
            payload["rules_not_applicable"] = rules
        step_reason = reason if index == 0 else f"{source} does not apply: {waived.get(source)}"
        event = audit.append(
            db,
            actor=actor.email,
            roles=actor.roles_text,
            action="fire",
            application_id=app.id,
            trigger=row.trigger,
            from_state=source,
            to_state=dest,
            reason=step_reason,
            payload=payload,
        )
        events.append(event.seq)
    _notify(unit, app, programme, ctx, steps, events, loaded)
    if final != start:
        _apply(move, ON_LEAVE.get(start, ()))
    return {
        "application_id": app.pk,
        "trigger": steps[0].row.trigger,
        "from": start,
        "to": final,
        "version": app.version,
        "events": events,
        "warnings": warnings,
        "effects": extra,
    }


def _on_record(app: Application, pending: Values) -> tuple[Values, dict[str, Any], dict[str, Any]]:
    """Split what is recorded into stage data and columns of the application itself (a field
    with a `column`, such as `requested`): (stage data, {column: value}, {field: previous value
    of each column}). A column is fixed once the steering committee has decided."""
    stage: Values = {}
    columns: dict[str, Any] = {}
    previous: dict[str, Any] = {}
    for name, (section, value) in pending.items():
        column = sections.FIELDS[name][1].column
        if column is None:
            stage[name] = (section, value)
            continue
        if app.state in DECIDED:
            raise InvalidInput(
                f"{name} of application {app.id} is fixed once the steering committee has "
                f"decided (it is {app.state})"
            )
        columns[column], previous[name] = value, getattr(app, column)
    return stage, columns, previous


def _write(
    unit: Unit,
    app: Application,
    pending: Values,
    *,
    action: str,
    payload: dict[str, Any],
) -> Recorded:
    db, actor = unit.db, unit.actor
    version = app.version
    stage, columns, previous = _on_record(app, pending)
    if not repository.save_application(db, app, version, **columns):
        raise ConcurrentChange(app.pk)
    if stage:
        previous.update(repository.put_stage_values(db, app.pk, stage, actor.email))
    payload = {
        **payload,
        "values": {n: v for n, (_, v) in pending.items()},
        "previous_values": previous,
    }
    event = audit.append(
        db,
        actor=actor.email,
        roles=actor.roles_text,
        action=action,
        application_id=app.id,
        from_state=app.state,
        to_state=app.state,
        payload=payload,
    )
    return {
        "application_id": app.pk,
        "version": app.version,
        "event": event.seq,
        "values": payload["values"],
    }


def audited_write(
    unit: Unit,
    action_name: str,
    action: Callable[[Session, Actor], T],
    application_id: int | None = None,
) -> T:
    """A write off the road (a budget, the outbox) run as an action on the road is: a refusal
    (NotAllowed, GuardFailed) is audited as `action_name` after the unit rolled back. `action`
    appends the audit event of its own success."""
    with attempting(action_name, application_id):
        return action(unit.db, unit.actor)
