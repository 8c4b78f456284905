"""Monitoring approved projects: report schedules, progress reports, measured values, close-out.

A project enters monitoring on `approve` or `conditions_met`; in that same transaction its
report schedule is planned (workflow/schedule.py) and every report's due date becomes a reminder
for the applicant's people. Each submission, value and replan is one audited transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from states.base import Context
from storage import money, repository
from storage import monitoring as store
from storage.audit import canonical_time
from storage.tables import Application, Programme, ProgressReport, ReportSchedule
from workflow import schedule
from workflow.actors import Actor
from workflow.config import Monitoring, default_document, monitoring
from workflow.errors import InvalidInput

if TYPE_CHECKING:
    from sqlmodel import Session

FINAL = "final"


def rules_for(db: Session, programme_id: int) -> Monitoring:
    """The programme's monitoring rules in force (its newest configuration), or the default."""
    from storage import committee as committee_store

    config = committee_store.newest_config(db, programme_id)
    return monitoring(config.document if config else default_document())


def facts(db: Session, app: Application) -> dict[str, Any]:
    """What the close-out guard looks at: reports past due, indicators never measured."""
    if app.state != "monitoring":
        return {}
    overdue = store.overdue(db, app.id or 0, dt.date.today())
    return dict(
        reports_overdue=tuple(f"{r.label} (due {r.due_on.isoformat()})" for r in overdue),
        indicators_unmeasured=tuple(store.unmeasured(db, app.id or 0)),
    )


# -- effects inside the engine's transaction ----------------------------------------------------


def start(
    db: Session, app: Application, programme: Programme, actor: Actor, ctx: Context, trigger: str
) -> dict[str, Any]:
    """Entering monitoring: plan the reports from today to the project's end."""
    rules = rules_for(db, programme.id or 0)
    today = dt.date.today()
    end = project_end(db, app, today)
    return {
        "schedule": plan(
            db, app, rules.every_months, rules.due_months_after, today, end, actor.email
        )
    }


def stop(
    db: Session, app: Application, programme: Programme, actor: Actor, ctx: Context, trigger: str
) -> dict[str, Any]:
    """Withdrawn: reports not yet submitted no longer apply."""
    cancelled = _cancel(db, app, lambda r: True, "the project was withdrawn")
    return {"reports_cancelled": cancelled} if cancelled else {}


def close(
    db: Session, app: Application, programme: Programme, actor: Actor, ctx: Context, trigger: str
) -> dict[str, Any]:
    """Closed: reports not yet due are covered by the final report, which exists from now on."""
    today = dt.date.today()
    cancelled = _cancel(
        db, app, lambda r: r.due_on >= today, "not yet due at close-out: the final report covers it"
    )
    final = store.report(db, app.id or 0, FINAL)
    if final is None:  # closed with `kracht app fire ID close`: the final report is its summary
        final = add_final_report(db, app, actor, str(ctx.data["final_report"]), None)
    return {"final_report": final.id, "reports_cancelled": cancelled}


def _cancel(db: Session, app: Application, which: Any, reason: str) -> list[str]:
    labels = []
    for report in store.reports(db, app.id or 0):
        if report.status == "due" and which(report):
            report.status, report.cancelled_reason = "cancelled", reason
            labels.append(report.label)
    db.flush()
    return labels


# -- planning -----------------------------------------------------------------------------------


def project_end(db: Session, app: Application, start_on: dt.date) -> dt.date:
    """The latest of the indicators' target dates and the end of the grant's last budget year;
    never before the start (then the project reports once)."""
    candidates = [i.target_date for i in repository.indicators(db, app.id or 0) if i.target_date]
    years = [allocation.year for allocation, _ in money.allocations(db, app.id or 0)]
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
) -> dict[str, Any]:
    """(Re)plan the reports not yet submitted; submitted reports stay as they are.

    The plan starts after the last submitted report's period (or on `start_on`), reports due
    before are replaced, their reminders cancelled and the new ones' reminders set.
    """
    from notifications import reminders

    existing = store.reports(db, app.id or 0)
    kept = [r for r in existing if r.status != "due"]
    for report in existing:
        if report.status == "due":
            reminders.close(
                db,
                application_id=app.id or 0,
                subject_ref=f"report:{report.id}",
                status="cancelled",
            )
    store.delete_reports(db, [r.id or 0 for r in existing if r.status == "due"])
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
        db.add(report)
        created.append(report)
    db.flush()
    for report in created:
        _remind(db, app, report)
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
    row = store.schedule(db, app.id or 0) or ReportSchedule(
        application_id=app.id or 0,
        every_months=every_months,
        due_months_after=due_months_after,
        starts_on=start_on,
        ends_on=end_on,
        planned_by=by,
    )
    row.every_months, row.due_months_after = every_months, due_months_after
    row.starts_on, row.ends_on, row.planned_by = start_on, end_on, by
    row.planned_at = dt.datetime.now(dt.UTC)
    db.add(row)


def _remind(db: Session, app: Application, report: ProgressReport) -> None:
    """Each applicant person of the applicant organisation is reminded of the due date."""
    from notifications import reminders

    for person in repository.people_with_role(db, "applicant", app.applicant_org_id):
        reminders.schedule(
            db,
            kind="report_due",
            key=f"report_due:{report.id}:{person.email}",
            application_id=app.id,
            recipient=person.email,
            subject_ref=f"report:{report.id}",
            due=report.due_on,
            facts={"report": report.label, "due": report.due_on.isoformat()},
        )


# -- records kept with the reports -------------------------------------------------------------


def add_final_report(
    db: Session, app: Application, actor: Actor, narrative: str, spent_cents: int | None
) -> ProgressReport:
    """The final report: the whole project, from its schedule's start to today."""
    today = dt.date.today()
    plan_row = store.schedule(db, app.id or 0)
    if spent_cents is None:
        spent_cents = latest_spent(db, app.id or 0)
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
        submitted_at=dt.datetime.now(dt.UTC),
        submitted_by=actor.email,
        received_on=today,
    )
    db.add(report)
    db.flush()
    return report


def latest_spent(db: Session, application_id: int) -> int | None:
    submitted = [r for r in store.reports(db, application_id) if r.status == "submitted"]
    return submitted[-1].spent_cents if submitted else None


def describe(report: ProgressReport, today: dt.date) -> dict[str, Any]:
    """A report as JSON-ready data, with its lateness on `today`."""
    submitted = report.received_on or (report.submitted_at.date() if report.submitted_at else None)
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
