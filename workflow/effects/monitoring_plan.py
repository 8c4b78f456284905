"""Monitoring approved projects: report schedules, progress reports, measured values, close-out.

A project enters monitoring on `approve` or `conditions_met`; in that same transaction its
report schedule is planned (workflow/schedule.py) and every report's due date becomes a reminder
for the applicant's people (for the programme leaders, where the applicant organisation has
nobody with the applicant role; see `_remind` and `applicant_joined`). Each submission, value
and replan is one audited transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from kracht.basics.errors import ConcurrentChange, InvalidInput
from kracht.storage import clock, funds, repository
from kracht.storage import reporting as store
from kracht.storage.audit import canonical_time
from kracht.storage.tables import Application, Person, ProgressReport, ReportSchedule
from kracht.workflow import schedule
from kracht.workflow.config import Monitoring, default_document, monitoring
from kracht.workflow.effects import says
from kracht.workflow.effects.grants import decision_day
from kracht.workflow.move import Move

if TYPE_CHECKING:
    from sqlmodel import Session

    from kracht.notifications.settings import Reminders
    from kracht.workflow.unit import Unit

FINAL = "final"


def rules_for(db: Session, programme_id: int) -> Monitoring:
    """The programme's monitoring rules in force (its newest configuration), or the default."""
    from kracht.storage import assessments as committee_store

    config = committee_store.newest_config(db, programme_id)
    return monitoring(config.document if config else default_document())


def facts(db: Session, app: Application, today: dt.date) -> dict[str, Any]:
    """What the close-out guard looks at: reports past due on `today`, indicators never measured."""
    if app.state != "monitoring":
        return {}
    overdue = store.overdue(db, app.pk, today)
    return dict(
        reports_overdue=tuple(f"{label} (due {due_on.isoformat()})" for label, due_on in overdue),
        indicators_unmeasured=tuple(store.unmeasured(db, app.pk)),
    )


# -- effects of the moves into and out of monitoring --------------------------------------------


@says("plan the progress reports to the project's end")
def start(move: Move) -> dict[str, Any]:
    """Entering monitoring: plan the reports from the day the project started to its end."""
    db, app = move.unit.db, move.app
    rules = rules_for(db, move.programme.pk)
    begin = started_on(move)
    end = project_end(db, app, begin)
    by, chase = move.unit.actor.email, move.unit.settings.reminders
    every, after = rules.every_months, rules.due_months_after
    return {"schedule": plan(db, app, every, after, begin, end, by, chase)}


def started_on(move: Move) -> dt.date:
    """The day a project enters monitoring: the day of its approval, or, once its conditions are
    met, the day the last of them was met (today where none says otherwise)."""
    if move.trigger != "conditions_met":
        return decision_day(move)
    met = [clock.local_day(c.met_at) for c in funds.condition_rows(move.unit.db, move.app.pk)
           if c.met_at is not None]  # fmt: skip
    return max(met, default=move.unit.clock.today())


@says("drop the progress reports not yet submitted")
def stop(move: Move) -> dict[str, Any]:
    """Withdrawn: reports not yet submitted no longer apply."""
    cancelled = _cancel(move.unit.db, move.app, lambda r: True, "the project was withdrawn")
    return {"reports_cancelled": cancelled} if cancelled else {}


@says("cover the reports not yet due by the final report")
def close(move: Move) -> dict[str, Any]:
    """Closed: reports not yet due are covered by the final report, which exists from now on."""
    db, app, today = move.unit.db, move.app, move.unit.clock.today()
    cancelled = _cancel(
        db, app, lambda r: r.due_on >= today, "not yet due at close-out: the final report covers it"
    )
    final = store.report(db, app.pk, FINAL)
    if final is not None:  # submitted with the close-out, in its own report.submit event
        return {"final_report": final.id, "reports_cancelled": cancelled}
    # closed with `kracht app fire ID close`: the final report is its summary, recorded here
    final = add_final_report(move.unit, app, str(move.ctx.data["final_report"]), None)
    submitted = describe(final, today)
    return {"final_report": final.id, "submitted": submitted, "reports_cancelled": cancelled}


def _cancel(db: Session, app: Application, which: Any, reason: str) -> list[str]:
    labels: list[str] = []
    if not store.any_due(db, app.pk):  # nothing to cancel: no report objects built
        return labels
    for report in store.reports(db, app.pk):
        if report.status == "due" and which(report):
            report.status, report.cancelled_reason = "cancelled", reason
            labels.append(report.label)
    repository.flush(db)
    return labels


# -- planning -----------------------------------------------------------------------------------


def project_end(db: Session, app: Application, start_on: dt.date) -> dt.date:
    """The latest of the indicators' target dates and the end of the grant's last budget year;
    never before the start (then the project reports once)."""
    candidates = [i.target_date for i in repository.indicators(db, app.pk) if i.target_date]
    years = [allocation.year for allocation, _ in funds.allocations(db, app.pk)]
    candidates += [dt.date(max(years), 12, 31)] if years else []
    return max([start_on, *candidates])


def plan(
    db: Session,
    app: Application,
    every_months: int,
    due_months_after: int,
    start_on: dt.date,
    end_on: dt.date,
    by: str,
    chase: Reminders,
) -> dict[str, Any]:
    """(Re)plan the reports not yet submitted; submitted reports stay as they are.

    The plan starts after the last submitted report's period (or on `start_on`), reports due
    before are replaced, their reminders cancelled and the new ones' reminders set.
    """
    from kracht.notifications import reminders

    existing = store.reports(db, app.pk)
    kept = [r for r in existing if r.status != "due"]
    for report in existing:
        if report.status == "due":
            reminders.close(
                db,
                application_id=app.pk,
                subject_ref=f"report:{report.id}",
                status="cancelled",
            )
    store.delete_reports(db, [r.pk for r in existing if r.status == "due"])
    done = [r.period_end for r in kept if r.kind == "progress"]
    begin = max([start_on, *(d + schedule.ONE_DAY for d in done)])
    periods = (
        []
        if done and begin > end_on
        else schedule.plan(begin, end_on, every_months, due_months_after)
    )
    taken = {r.label for r in kept}
    clash = [p.label for p in periods if p.label in taken]
    if clash:
        raise InvalidInput(f"the new plan's period {clash[0]} overlaps a report already kept")
    _put_schedule(db, app, every_months, due_months_after, start_on, end_on, by)
    created = []
    for period in periods:
        report = ProgressReport(
            application_id=app.id,
            label=period.label,
            period_start=period.start,
            period_end=period.end,
            due_on=period.due,
        )
        repository.stage(db, report)
        created.append(report)
    repository.flush(db)
    made = _plan_of(db, app)
    for report in created:
        _remind(db, app, report, made, chase)
    return {
        "every_months": every_months,
        "starts_on": start_on.isoformat(),
        "ends_on": end_on.isoformat(),
        "reports": [{"label": r.label, "due_on": r.due_on.isoformat()} for r in created],
    }


def _put_schedule(
    db: Session,
    app: Application,
    every_months: int,
    due_months_after: int,
    start_on: dt.date,
    end_on: dt.date,
    by: str,
) -> None:
    """Write the schedule; its `planned_at` names this plan and grows with every plan, also
    when the clock stands still (see `_plan_of`)."""
    previous = store.schedule(db, app.pk)
    row = previous or ReportSchedule(
        application_id=app.pk,
        every_months=every_months,
        due_months_after=due_months_after,
        starts_on=start_on,
        ends_on=end_on,
        planned_by=by,
    )
    row.every_months, row.due_months_after = every_months, due_months_after
    row.starts_on, row.ends_on, row.planned_by = start_on, end_on, by
    now = clock.now()
    if previous is not None:
        now = max(now, _utc(previous.planned_at) + dt.timedelta(microseconds=1))
    row.planned_at = now
    repository.stage(db, row)


def _utc(moment: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes (UTC); PostgreSQL aware ones in its session's zone."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)


def _plan_of(db: Session, app: Application) -> str:
    """The plan that made the project's open reports, as part of their reminders' keys.

    A replan deletes the reports not yet submitted and plans new ones, and SQLite may give a new
    report the id of a deleted one; a key of report id and person alone would then name the
    deleted report's cancelled reminder, and the new report would be chased by nobody. Every
    open report comes from the current plan, so its `planned_at` tells them apart.
    """
    row = store.schedule(db, app.pk)
    return _utc(row.planned_at).strftime("%Y%m%dT%H%M%S%fZ") if row else "unplanned"


def _remind(
    db: Session, app: Application, report: ProgressReport, plan_made: str, chase: Reminders
) -> None:
    """Each applicant person of the applicant organisation is reminded of the due date.

    Where the organisation has nobody with the applicant role, the programme leaders are
    reminded in its place (a stand-in reminder, `stand_in` in its facts): they hear of the report
    when it is due and when it is overdue, and enter it as it comes in by mail. Without them
    nobody would be chased and no escalation could ever fire.
    """
    from kracht.notifications.outbox import recipients

    people = recipients(db, "applicant", app)
    for person in people or recipients(db, "programme_leader", app):
        _remind_person(db, app, report, plan_made, person.email, chase, stand_in=not people)


def _remind_person(
    db: Session,
    app: Application,
    report: ProgressReport,
    plan_made: str,
    email: str,
    chase: Reminders,
    *,
    stand_in: bool,
) -> None:
    from kracht.notifications import reminders

    facts: dict[str, Any] = {"report": report.label, "due": report.due_on.isoformat()}
    reminders.schedule(
        db,
        kind="report_due",
        key=f"report_due:{report.id}:{plan_made}:{email}",
        application_id=app.id,
        recipient=email,
        subject_ref=f"report:{report.id}",
        due=report.due_on,
        facts={**facts, "stand_in": True} if stand_in else facts,
        rules=chase,
    )


def applicant_joined(db: Session, person: Person, chase: Reminders) -> list[dict[str, Any]]:
    """A person with the applicant role joins an organisation: from now on they are reminded of
    every report still open of its projects in monitoring, as if they had been there when the
    reports were planned (a report already past due starts with its overdue notice).

    The programme leaders' stand-in reminders of those reports are cancelled. A stand-in is
    there only because nobody else could be chased; once the organisation has its own person,
    that person answers for its reports, as for every report planned from then on. Keeping the
    stand-ins would send the programme leader a second "due" and "overdue" message for each
    report, and the programme leader still hears of every report that stays outstanding:
    the new reminders escalate to them. Returns, per project, the reports now reminded of.
    """
    from kracht.notifications import reminders

    if person.organisation_id is None:
        return []
    reminded = []
    projects = repository.list_applications(
        db, state="monitoring", organisation_id=person.organisation_id
    )
    for project in projects:
        app = repository.application(db, project["id"], lock=True)
        if app is None or app.state != "monitoring":  # moved on while this waited for its row
            continue
        if not repository.save_application(db, app, app.version):  # holds the project's row
            raise ConcurrentChange(app.pk)  # until commit, as a replan or approval does
        open_reports = [r for r in store.reports(db, app.pk) if r.status == "due"]
        made = _plan_of(db, app)
        for report in open_reports:
            _remind_person(db, app, report, made, person.email, chase, stand_in=False)
        refs = {f"report:{r.id}" for r in open_reports}
        cancelled = sum(
            reminders.cancel(db, r.key)
            for r in reminders.upcoming(db, application_id=app.id)
            if r.kind == "report_due" and r.subject_ref in refs and r.facts.get("stand_in")
        )
        if open_reports:
            reminded.append(
                {
                    "application_id": app.id,
                    "reports": [r.label for r in open_reports],
                    "stand_ins_cancelled": cancelled,
                }
            )
    return reminded


# -- records kept with the reports -------------------------------------------------------------


def add_final_report(
    unit: Unit, app: Application, narrative: str, spent_cents: int | None
) -> ProgressReport:
    """The final report: the whole project, from its schedule's start to today."""
    db, today = unit.db, unit.clock.today()
    plan_row = store.schedule(db, app.pk)
    if spent_cents is None:
        spent_cents = latest_spent(db, app.pk)
    report = ProgressReport(
        application_id=app.id,
        kind=FINAL,
        label=FINAL,
        period_start=plan_row.starts_on if plan_row else today,
        period_end=today,
        due_on=today,
        status="submitted",
        narrative=narrative,
        spent_cents=spent_cents,
        submitted_at=unit.clock.now(),
        submitted_by=unit.actor.email,
        received_on=today,
    )
    repository.stage(db, report)
    repository.flush(db)
    return report


def latest_spent(db: Session, application_id: int) -> int | None:
    submitted = [r for r in store.reports(db, application_id) if r.status == "submitted"]
    return submitted[-1].spent_cents if submitted else None


def describe(report: ProgressReport, today: dt.date) -> dict[str, Any]:
    """A report as JSON-ready data, with its lateness on `today`."""
    submitted = report.received_on or (
        clock.local_day(report.submitted_at) if report.submitted_at else None
    )
    late_on = submitted or today
    status = "late" if report.status == "due" and report.due_on < today else report.status
    return {
        "id": report.id,
        "label": report.label,
        "kind": report.kind,
        "period_start": report.period_start.isoformat(),
        "period_end": report.period_end.isoformat(),
        "due_on": report.due_on.isoformat(),
        "status": status,
        "days_late": max((late_on - report.due_on).days, 0) if report.status != "cancelled" else 0,
        "traffic_light": report.traffic_light,
        "narrative": report.narrative,
        "measures": report.measures,
        "spent_cents": report.spent_cents,
        "submitted_at": canonical_time(report.submitted_at) if report.submitted_at else None,
        "submitted_by": report.submitted_by,
        "received_on": report.received_on.isoformat() if report.received_on else None,
        "cancelled_reason": report.cancelled_reason,
    }
