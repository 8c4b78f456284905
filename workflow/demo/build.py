"""`kracht demo`: a fresh SQLite file (or an empty PostgreSQL database) with the first Agenda voor
Twente round, run through the real engine to its documented outcomes, then the pipeline and an
audit verification."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kracht.basics.errors import GuardFailed, InvalidInput
from kracht.workflow import engine
from kracht.workflow.demo import monitoring_year
from kracht.workflow.demo.acting import act
from kracht.workflow.demo.data import (
    ADVANCE_SHARE,
    ADVANCES,
    ADVANCES_PAID_ON,
    ADVICE,
    AUDITOR,
    BUDGETS,
    CHAIR,
    COMMITTEE,
    LEADER,
    ORGANISATIONS,
    PEOPLE,
    PIPELINE,
    PROGRAMMES,
    ROUND,
    SCORES,
    SCORING_ROUNDS,
    STEERING,
    TABLE_CHAIR,
    TABLE_DATES,
)
from kracht.workflow.services import applications, directory

DEFAULT_DEMO_DB = "kracht-demo.db"
Echo = Callable[[str], Any]


def run(db: str | None, *, replace: bool = False, echo: Echo = print) -> Path | str:
    """Build the demo database: a fresh SQLite file (returns its path) or, given a PostgreSQL
    URL, into that database, which must hold no kracht data yet (returns its URL as shown)."""
    from kracht.storage.database import migrate

    url, where, base = _target(db or os.environ.get("KRACHT_DB"), replace)
    migrate(url)
    echo(f"kracht demo: the Agenda voor Twente 2018-2022, first round, in {where}\n")
    _directory(url)
    _budgets(url)
    echo(
        f"  {len(PEOPLE)} people, {len(ORGANISATIONS)} organisations, "
        f"{len(PROGRAMMES)} programmes registered"
    )
    for item in ROUND:
        _run_application(url, item, echo)
    for item in PIPELINE:
        _pipeline(url, item)
    echo(f"  {len(PIPELINE)} more initiatives wait earlier on the road\n")
    _advances(url, echo)
    monitoring_year.run(url, base, echo)
    _report(url, where, echo)
    return where


def _target(db: str | None, replace: bool) -> tuple[str, Path | str, Path]:
    """The demo's database URL; how to name it; the path its reports folder is named after
    (beside the SQLite file; for PostgreSQL, kracht-demo-reports in the current folder)."""
    from kracht.storage.database import describe, resolve_url, unsupported

    if not db or "://" not in db or db.startswith("sqlite:///"):
        path = _fresh_path(db.removeprefix("sqlite:///") if db else None, replace)
        return f"sqlite:///{path}", path, path
    url = resolve_url(db)
    problem = unsupported(url)
    if problem:
        raise InvalidInput(problem)
    _refuse_used(url, replace)
    return url, describe(url), Path.cwd() / Path(DEFAULT_DEMO_DB).stem


def _refuse_used(url: str, replace: bool) -> None:
    """A PostgreSQL database for the demo must hold no kracht records: the demo adds to an
    empty one, and kracht never deletes a trail."""
    from kracht.storage import repository
    from kracht.storage.database import current_revision, describe, session

    if current_revision(url) is None:
        return  # no kracht schema yet: the demo creates it
    with session(url) as db:
        held = {what: n for what, n in repository.record_counts(db).items() if n}
    if held:
        found = ", ".join(f"{n} {what}" for what, n in held.items())
        raise InvalidInput(
            f"{describe(url)} already holds kracht data ({found}); the demo builds into an "
            "empty database: create one (e.g. `createdb kracht_demo`) and give its URL"
            + (" (replacing replaces only a demo file)" if replace else ""),
            **REPLACING,
        )


# Where a demo refusal names replacing, the CLI names its option.
REPLACING: dict[str, object] = {"field": "replace", "label": "replacing", "bare": True}


def _fresh_path(db: str | None, replace: bool) -> Path:
    """Where the demo's SQLite file goes. Only a demo database is ever replaced: a regular file
    holding the demo's people and nobody else (or an empty file), never a link, folder, device
    or a database with anyone else's records."""
    named = Path(db or DEFAULT_DEMO_DB).expanduser()
    if named.is_symlink():
        raise InvalidInput(f"{named} is a symbolic link; name the demo database file itself")
    path = named.resolve()
    if not path.exists():
        return path
    if not path.is_file():
        raise InvalidInput(f"{path} is not a regular file; name a file for the demo database")
    if not (replace or path.name == DEFAULT_DEMO_DB):
        raise InvalidInput(
            f"{path} exists; ask to replace it to overwrite it with the demo",
            step="replace_demo",
            path=str(path),
        )
    strangers = _not_the_demos(path)
    if strangers:
        raise InvalidInput(
            f"{path} is not a demo database ({strangers}); replacing replaces only a database "
            "the demo built: name another file",
            **REPLACING,
        )
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


def _not_the_demos(path: Path) -> str:
    """Why the file at `path` is not one the demo built, or "" when it is (or is empty)."""
    from kracht.storage.database import person_emails_in

    if path.stat().st_size == 0:
        return ""
    emails = person_emails_in(path)
    if emails is None:
        return "it is not a kracht database"
    others = emails - {person[1] for person in PEOPLE}
    if not others:
        return ""
    return (
        f"it holds {len(others)} {'person' if len(others) == 1 else 'people'} the demo does not add"
    )


def _budgets(url: str) -> None:
    from kracht.workflow.services import budgets

    for programme, line, year, kind, amount in BUDGETS:
        money: dict[str, Any] = {"amount": amount}
        if isinstance(amount, tuple):  # (inhabitants or "municipalities": their file's, rate)
            whose, rate = amount
            town = whose == "municipalities"
            money = {"municipalities": True} if town else {"inhabitants": whose}
            money["per_inhabitant"] = rate
        act(url, LEADER, budgets.set_budget, programme=programme, line=line, year=year,
            kind=kind, **money)  # fmt: skip


def _directory(url: str) -> None:
    act(url, None, directory.add_person, name=PEOPLE[0][0], email=PEOPLE[0][1], roles=PEOPLE[0][2])
    for name, o_type in ORGANISATIONS:
        act(url, LEADER, directory.add_org, name=name, o_type=o_type)
    for name, email, roles, org, language in PEOPLE[1:]:
        act(
            url,
            LEADER,
            directory.add_person,
            name=name,
            email=email,
            roles=roles,
            organisation=org,
            language=language,
        )
    for p in PROGRAMMES:
        act(
            url,
            LEADER,
            directory.add_programme,
            code=p["code"],
            name=p["name"],
            lines=p["lines"],
            starts_on=dt.date.fromisoformat(p["starts_on"]),
            ends_on=dt.date.fromisoformat(p["ends_on"]),
            not_applicable=p["not_applicable"],
        )
        if "tracks" in p or "periods" in p:
            from kracht.workflow.config import default_document

            document = {**default_document(), "tracks": p.get("tracks", []),
                        "periods": p.get("periods", [])}  # fmt: skip
            act(url, LEADER, directory.configure_programme, p["code"], document=document)


def _create(url: str, item: dict[str, Any]) -> int:
    return int(
        act(
            url,
            LEADER,
            applications.create,
            title=item["title"],
            programme=item.get("programme", "avt-2018"),
            applicant=item["applicant"],
            requested=item.get("requested", "0"),
            line=item["line"],
            description=item.get("description", ""),
            round=item.get("round", "2018-1"),
            submitted_on=item.get("submitted_on", TABLE_DATES.get(item["line"])),
        )["id"]
    )


def _run_application(url: str, item: dict[str, Any], echo: Echo) -> None:
    """Idea -> innovation table -> (no ecosystem analysis in 2018) -> committee -> decision;
    on the basic-infrastructure track, idea -> steering decision."""
    app_id = _create(url, item)
    act(url, LEADER, engine.record, app_id, "idea", {"quickscan": item["description"]})
    if item["title"] not in SCORES:
        return _run_on_track(url, app_id, item, echo)
    act(url, LEADER, engine.fire, app_id, "present_at_table")
    table = {"table_date": TABLE_DATES[item["line"]], "table_outcome": "aligned"}
    act(url, TABLE_CHAIR, engine.record, app_id, "innovation_table", table)
    try:  # the full proposal is not complete yet: the engine names everything missing
        act(url, TABLE_CHAIR, engine.fire, app_id, "start_ecosystem_analysis")
    except GuardFailed as refusal:
        if app_id == 1:
            echo(f"  refused, as it should be: {refusal}")
    _proposal(url, app_id, item)
    act(url, TABLE_CHAIR, engine.fire, app_id, "start_ecosystem_analysis")
    result = _committee(url, app_id, item, 1)
    note = ""
    if "rework" in item:  # round 1 knocked out on business commitment: back for elaboration
        note = f" (round 1 knock-out on {', '.join(result['knock_outs'])}; reworked)"
        act(url, CHAIR, engine.fire, app_id, "return_for_rework", reason=item["rework"])
        elaborated = {"proposal_summary": item["description"] + " Business role elaborated."}
        act(url, LEADER, engine.record, app_id, "proposal", elaborated)
        act(url, TABLE_CHAIR, engine.fire, app_id, "start_ecosystem_analysis")
        result = _committee(url, app_id, item, 2)
    _advise(url, app_id, item)
    warnings = _decide(url, app_id, item)
    state = act(url, LEADER, applications.show, app_id)["state"]
    flags = (
        f"; members disagree on {', '.join(result['disagreements'])}"
        if result["disagreements"]
        else ""
    )
    echo(
        f"  {app_id}. {item['title']:<34} score {result['weighted_total']:.2f} "
        f"({result['sheets']} sheets{flags}) -> {state}{note}"
    )
    for warning in warnings:
        echo(f"     warning: {warning}")


def _run_on_track(url: str, app_id: int, item: dict[str, Any], echo: Echo) -> None:
    """A track straight to the steering committee: the proposal, then the decision."""
    _proposal(url, app_id, item)
    moved = act(url, LEADER, engine.fire, app_id, "present_at_table")
    assert moved["to"] == "steering_decision", moved
    warnings = _decide(url, app_id, item)
    state = act(url, LEADER, applications.show, app_id)["state"]
    echo(f"  {app_id}. {item['title']:<34} decided directly (track {item['line']}) -> {state}")
    for warning in warnings:
        echo(f"     warning: {warning}")


def _proposal(url: str, app_id: int, item: dict[str, Any]) -> None:
    # demo assumption: the AvT share is half the budget, where the documents give no total
    budget = item.get("budget_total", str(int(item["requested"]) * 2))
    act(
        url,
        LEADER,
        engine.record,
        app_id,
        "proposal",
        {"proposal_summary": item["description"], "budget_total": budget},
    )
    for partner in item["partners"]:
        name, co_financing, commitment, *extent = partner  # euros or hours, the money's source
        act(
            url,
            LEADER,
            applications.add_partner,
            app_id,
            organisation=name,
            co_financing=co_financing,
            commitment=commitment,
            amount=extent[0] if extent and commitment == "money" else None,
            hours=extent[0] if extent and commitment == "time" else None,
            source=extent[1] if len(extent) > 1 else None,
        )
    name, unit, baseline, target = item["indicator"]
    act(
        url,
        LEADER,
        applications.add_indicator,
        app_id,
        name=name,
        measured_in=unit,
        baseline=baseline,
        target=target,
        target_date="2022-12-31",
        source="project progress reports",
    )


def _committee(url: str, app_id: int, item: dict[str, Any], number: int) -> dict[str, Any]:
    """Assign the committee, open scoring, let every member score and submit; the aggregate."""
    from kracht.workflow.config import default_document, scoring
    from kracht.workflow.services import assignment, score_sheets

    opened, deadline = SCORING_ROUNDS[number]  # a past round, recorded as such
    act(url, LEADER, engine.record, app_id, "assessment_committee", {"scoring_deadline": deadline})
    assigned = {m["member"] for m in act(url, LEADER, score_sheets.view, app_id)["members"]}
    for member in COMMITTEE:
        if member not in assigned:
            act(url, LEADER, assignment.assign, app_id, member)
    act(url, LEADER, engine.fire, app_id, "open_scoring", values={"scoring_opened_on": opened})
    criteria = scoring(default_document()).criteria
    members = {m["member"]: m for m in act(url, LEADER, score_sheets.view, app_id)["members"]}
    for member, row in zip(COMMITTEE, SCORES[item["title"]][number - 1], strict=True):
        if members[member]["recused"]:
            continue
        if members[member]["declaration"] is None:
            act(url, member, assignment.declare, app_id, None)
        motivations = {
            c.key: (str(v), f"{c.name}: {MOTIVATION[v]}")
            for c, v in zip(criteria, row, strict=True)
        }
        act(url, member, score_sheets.score, app_id, motivations)
        act(url, member, score_sheets.submit, app_id)
    return act(url, LEADER, score_sheets.view, app_id)["rounds"][-1]["aggregate"]


MOTIVATION = {
    1: "not shown",
    2: "shown in part",
    3: "adequate",
    4: "convincing",
    5: "an example for the region",
}


def _advise(url: str, app_id: int, item: dict[str, Any]) -> None:
    from kracht.workflow.services import score_sheets

    rationale = "tested against the KRACHT criteria, October 2018 (seed 002 L421-424)"
    act(url, CHAIR, score_sheets.advise, app_id, ADVICE[item["title"]], rationale)


def _decide(url: str, app_id: int, item: dict[str, Any]) -> list[str]:
    from kracht.workflow.services import approval_conditions, decisions

    approving = item["outcome"].startswith("approve")  # only an approval takes money options
    result = act(  # the budget year is the meeting's, 2018
        url,
        STEERING,
        decisions.decide,
        app_id,
        item["outcome"],
        reason=item["reason"],
        decided_on=item["decided_on"],
        amount=item["requested"] if approving else None,
        spread_until=item.get("spread_until"),
        conditions=item.get("conditions"),
        deferred_until=item.get("deferred_until"),
    )
    for number, (met_on, evidence) in item.get("met", {}).items():
        act(url, LEADER, approval_conditions.meet_condition, app_id, number, evidence, met_on)
    return list(result["warnings"])


def _advances(url: str, echo: Echo) -> None:
    """Pay the 2019 advances of the first-round grants (data.py: every figure assumed)."""
    from kracht.basics.euros import format_euros
    from kracht.workflow.services import applications, payments

    echo(f"Payments (the 2019 advances, paid on {ADVANCES_PAID_ON})")
    ids = {r["title"]: r["id"] for r in act(url, LEADER, applications.list_all)}
    for title in ADVANCES:
        first = act(url, LEADER, payments.grant_paid, ids[title])[0]
        share, of = ADVANCE_SHARE
        cents = first["granted_cents"] * share // of
        made = act(url, LEADER, payments.request, ids[title], f"{cents // 100}.{cents % 100:02d}",
                   kind="advance", year=first["year"], planned_on=ADVANCES_PAID_ON,
                   reference="advance on the decision of December 2018")  # fmt: skip
        payment_id = made["payment"]["id"]
        approved = act(url, LEADER, payments.approve, payment_id)["payment"]
        if approved["waits_for"] == "second approval":
            act(url, STEERING, payments.approve, payment_id)
        act(url, LEADER, payments.mark_paid, payment_id, ADVANCES_PAID_ON)
        second = " (second approval by the steering committee)" if approved["status"] != (
            "approved") else ""  # fmt: skip
        echo(f"  {ids[title]}. {title:<32} advance {format_euros(cents, 'nl'):>14} from "
             f"{first['year']}{second}")  # fmt: skip
    echo("")


def _pipeline(url: str, item: dict[str, Any]) -> None:
    app_id = _create(url, item)
    if item["quickscan"]:
        act(url, LEADER, engine.record, app_id, "idea", {"quickscan": item["quickscan"]})
    if item["stage"] != "idea":
        act(url, LEADER, engine.fire, app_id, "present_at_table")


def _report(url: str, path: Path | str, echo: Echo) -> None:
    from kracht.basics.euros import format_euros
    from kracht.storage import repository
    from kracht.storage.database import session
    from kracht.workflow.definition import STATES
    from kracht.workflow.services.auditing import verify

    with session(url) as db:
        counts = repository.state_counts(db)
    echo("Pipeline")
    for state in STATES:
        if counts.get(state):
            echo(f"  {state:<26} {counts[state]}")
    from kracht.workflow.services import approval_conditions, budgets

    view = act(url, LEADER, budgets.budget_overview, "avt-2018", 2018)
    echo("\nMoney, Agenda voor Twente 2018-2022, budget year 2018")
    for row in view["budgets"]:
        echo(
            f"  {row['line']:<12} budget {format_euros(row['budget_cents'], 'nl'):>16}  "
            f"committed {format_euros(row['committed_cents'], 'nl'):>16}  "
            f"reserved {format_euros(row['reserved_cents'], 'nl'):>16}  "
            f"paid out {format_euros(row['paid_out_cents'], 'nl'):>16}  "
            f"available {format_euros(row['available_cents'], 'nl'):>16}"
        )
        for draw in row["lines"]:
            echo(
                f"    - {draw['line']:<10} from the pool    "
                f"committed {format_euros(draw['committed_cents'], 'nl'):>16}  "
                f"reserved {format_euros(draw['reserved_cents'], 'nl'):>16}"
            )
    every_year = act(url, LEADER, budgets.budget_overview, "avt-2018")["budgets"]
    total = sum(row["committed_cents"] for row in every_year)
    echo(f"  granted and committed over all years: {format_euros(total, 'nl')}")
    (avt,) = view["multipliers"]
    regional = avt["regional_multiplier"]
    echo(
        f"  multiplier on regional public money {regional if regional is not None else '-'}: "
        f"{format_euros(avt['leveraged_cents'], 'nl')} leveraged on "
        f"{format_euros(avt['regional_public_cents'], 'nl')} of grants and municipal money "
        f"(partner money per euro granted: {avt['multiplier']})"
    )
    echo(
        "  (assumed: EUR 2 mln for projects in each year 2018-2022; the documents' 'about "
        "EUR 550k' left does not follow from their own figures, so it is computed instead)"
    )
    overdue = act(url, LEADER, approval_conditions.list_conditions, overdue_only=True)
    for c in overdue:
        echo(
            f"  overdue condition {c['application_id']}.{c['number']} (due {c['due_on']}): "
            f"{c['text']}"
        )
    _notifications(url, echo)
    echo("")
    verdict = act(
        url,
        AUDITOR,
        verify,
    )
    status = "intact" if verdict.intact else f"BROKEN at event #{verdict.broken_seq}"
    echo(f"Audit trail: {status}, {verdict.events} events verified\n")
    echo("Try next, on this database:")
    echo(f"  export KRACHT_DB={path} KRACHT_USER={LEADER}")
    commands = [
        "kracht app list",
        "kracht app show 3",
        "kracht app history 3",
        "kracht scores show 4",
        "kracht scores ranking --round 2018-1",
        "kracht budget show",
        "kracht payment list --status paid",
        "kracht conditions list --overdue",
        "kracht app letter 5",
        "kracht outbox list",
        "kracht outbox send",
        "kracht reminders list",
        "kracht scheduler run --once",
        f"kracht calendar {LEADER} --out deadlines.ics",
        "kracht monitor schedule 3",
        f"kracht monitor late --as-of {monitoring_year.LATE_ON}",
        f"kracht report annual --year {monitoring_year.MONITOR_YEAR}",
        f"kracht report accounts --year {monitoring_year.MONITOR_YEAR} --language nl",
        "kracht export 360giving -o grants.json",
        "kracht app import-running docs/examples/running-programme.csv --dry-run",
        "kracht export reports --format csv -o reports.csv",
        "kracht workflow show --programme avt-2018",
        "kracht workflow diagram --programme avt-2018 --track basis",
        f"KRACHT_USER={AUDITOR} kracht audit verify",
        f"KRACHT_USER={AUDITOR} kracht audit export --format csv -o audit.csv",
    ]
    for command in commands:
        echo(f"  {command}")


SHOWN_REMINDERS = 5


def _notifications(url: str, echo: Echo) -> None:
    """What the round wrote to the outbox and which deadlines are being chased."""
    from kracht.notifications.settings import load
    from kracht.workflow.services import notices

    counts = act(url, LEADER, notices.outbox_counts)
    echo("\nNotifications (written with the events that caused them)")
    echo(f"  outbox: {counts['pending']} messages pending, {counts['sent']} sent")
    chased = act(url, LEADER, notices.reminders_list, None, None, False)
    for row in chased[:SHOWN_REMINDERS]:
        echo(
            f"  reminder {row['id']}: {row['kind']} of application {row['application_id']} "
            f"for {row['recipient']}, due {row['due']}, {row['status']}"
        )
    if len(chased) > SHOWN_REMINDERS:
        echo(f"  ... {len(chased) - SHOWN_REMINDERS} more deadlines: `kracht reminders list`")
    where = notices.describe_transport(load())
    echo(f"  send them with `kracht outbox send` ({where}; set [mail] in kracht.toml for SMTP)")
