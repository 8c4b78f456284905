"""kracht's command line: parse, call one function, render a table or JSON.

Heavy libraries (SQLAlchemy, Alembic, transitions) are imported inside the commands, so
`kracht --help` stays fast.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from workflow.errors import InvalidInput, KrachtError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class Settings:
    def __init__(self, db: str | None, actor: str | None) -> None:
        self.db, self.actor = db, actor

    def url(self, must_exist: bool = True) -> str:
        from storage.database import resolve_url

        url = resolve_url(self.db)
        if must_exist and url.startswith("sqlite:///"):
            path = Path(url.removeprefix("sqlite:///"))
            if not path.exists():
                raise KrachtError(f"no kracht database at {path}; create it with `kracht init`")
        return url


pass_settings = click.make_pass_decorator(Settings)


def json_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(f)


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def emit_table(
    rows: list[dict[str, Any]],
    columns: Sequence[str],
    empty: str = "(none)",
    width: int = 44,
    widths: dict[str, int] | None = None,
) -> None:
    """An aligned table; a long cell wraps within its column instead of being cut off."""
    import textwrap

    if not rows:
        click.echo(empty)
        return
    limits = [(widths or {}).get(c, width) for c in columns]
    pairs_ = list(zip(columns, limits, strict=True))
    cells = [[textwrap.wrap(_cell(row.get(c)), n) or [""] for c, n in pairs_] for row in rows]
    sizes = [max(len(c), *(len(x) for r in cells for x in r[i])) for i, c in enumerate(columns)]
    click.echo("  ".join(c.upper().ljust(w) for c, w in zip(columns, sizes, strict=True)).rstrip())
    for r in cells:
        for n in range(max(len(cell) for cell in r)):
            parts = [(c[n] if n < len(c) else "").ljust(w) for c, w in zip(r, sizes, strict=True)]
            click.echo("  ".join(parts).rstrip())


def _cell(value: Any) -> str:
    if isinstance(value, list | tuple):
        value = ", ".join(str(v) for v in value)
    return "" if value is None else " ".join(str(value).split())


def pairs(values: Sequence[str], what: str) -> dict[str, str]:
    """Parse repeated NAME=VALUE options."""
    result = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise InvalidInput(f"{what} takes NAME=VALUE, got {item!r}")
        result[name.strip()] = value
    return result


@click.group(context_settings=CONTEXT)
@click.option(
    "--db",
    envvar="KRACHT_DB",
    metavar="PATH|URL",
    help="SQLite file or PostgreSQL URL [env KRACHT_DB; default ./kracht.db].",
)
@click.option(
    "--as",
    "actor",
    envvar="KRACHT_USER",
    metavar="EMAIL",
    help="Act as this person [env KRACHT_USER].",
)
@click.option(
    "--config",
    envvar="KRACHT_CONFIG",
    metavar="FILE",
    help="Settings for mail and reminders [env KRACHT_CONFIG; default ./kracht.toml if present].",
)
@click.version_option(package_name="kracht")
@click.pass_context
def cli(ctx: click.Context, db: str | None, actor: str | None, config: str | None) -> None:
    """kracht runs project applications through the Agenda voor Twente process:
    idea, innovation table, ecosystem analysis, assessment committee, KRACHT scoring,
    steering decision and monitoring, with an audit trail nobody can alter unseen."""
    if config:  # read wherever settings are needed, also deep inside a transaction
        import os

        os.environ["KRACHT_CONFIG"] = config
    ctx.obj = Settings(db, actor)


# -- set-up and directory -----------------------------------------------------------------------


@cli.command()
@pass_settings
def init(s: Settings) -> None:
    """Create the database, or upgrade its schema to this version of kracht."""
    from storage.database import describe, migrate

    url = s.url(must_exist=False)
    revision = migrate(url)
    click.echo(f"database ready at {describe(url)} (schema revision {revision})")


@cli.group()
def people() -> None:
    """People and their roles."""


@people.command("add")
@click.option("--name", required=True)
@click.option("--email", required=True)
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    metavar="ROLE",
    help="programme_leader, innovation_table_chair, committee_member, committee_chair, "
    "steering_member, auditor or applicant; repeat for several.",
)
@click.option("--org", help="Organisation the person belongs to.")
@click.option("--language", default="nl", show_default=True, help="nl or en, for messages.")
@pass_settings
def people_add(
    s: Settings, name: str, email: str, roles: tuple[str, ...], org: str | None, language: str
) -> None:
    """Add a person (the very first person may add themselves as programme leader)."""
    from workflow import directory

    person = directory.add_person(
        s.url(),
        s.actor,
        name=name,
        email=email,
        roles=list(roles),
        organisation=org,
        language=language,
    )
    click.echo(f"added {person['name']} <{person['email']}> as {', '.join(person['roles'])}")


@people.command("list")
@json_option
@pass_settings
def people_list(s: Settings, as_json: bool) -> None:
    """List people with their roles."""
    from workflow import directory

    rows = directory.list_people(s.url(), s.actor)
    if as_json:
        return emit_json(rows)
    emit_table(rows, ["id", "name", "email", "organisation", "roles"])


@cli.group()
def org() -> None:
    """Organisations, each one of the four O's."""


@org.command("add")
@click.option("--name", required=True)
@click.option(
    "--type",
    "o_type",
    required=True,
    metavar="TYPE",
    help="business, education, research or government.",
)
@pass_settings
def org_add(s: Settings, name: str, o_type: str) -> None:
    """Add an organisation."""
    from workflow import directory

    record = directory.add_org(s.url(), s.actor, name=name, o_type=o_type)
    click.echo(f"added organisation {record['id']}: {record['name']} ({record['type']})")


@org.command("list")
@json_option
@pass_settings
def org_list(s: Settings, as_json: bool) -> None:
    """List organisations."""
    from workflow import directory

    rows = directory.list_orgs(s.url(), s.actor)
    if as_json:
        return emit_json(rows)
    emit_table(rows, ["id", "name", "type"])


@cli.group()
def programme() -> None:
    """Programmes such as Agenda voor Twente 2018-2022, with their lines."""


@programme.command("add")
@click.option("--code", required=True, help="Short code, e.g. avt-2018.")
@click.option("--name", required=True)
@click.option("--starts", help="First day, YYYY-MM-DD.")
@click.option("--ends", help="Last day, YYYY-MM-DD.")
@click.option(
    "--line",
    "lines",
    multiple=True,
    metavar="CODE=NAME",
    help="An action line or programme line; repeat for several.",
)
@click.option(
    "--not-applicable",
    "skips",
    multiple=True,
    metavar="STAGE=REASON",
    help="Mark innovation_table or ecosystem_analysis as not applicable, with why.",
)
@pass_settings
def programme_add(
    s: Settings,
    code: str,
    name: str,
    starts: str | None,
    ends: str | None,
    lines: tuple[str, ...],
    skips: tuple[str, ...],
) -> None:
    """Add a programme."""
    from workflow import directory
    from workflow.applications import parse_date

    record = directory.add_programme(
        s.url(),
        s.actor,
        code=code,
        name=name,
        starts_on=parse_date(starts, "--starts"),
        ends_on=parse_date(ends, "--ends"),
        not_applicable=pairs(skips, "--not-applicable"),
        lines=list(pairs(lines, "--line").items()),
    )
    click.echo(f"added programme {record['code']}: {record['name']}")


@programme.command("configure")
@click.argument("code")
@click.option(
    "--file",
    type=click.Path(path_type=Path),
    required=True,
    help="TOML file with the criteria and committee rules.",
)
@pass_settings
def programme_configure(s: Settings, code: str, file: Path) -> None:
    """Set a programme's criteria and committee rules; open scoring rounds keep theirs."""
    from workflow import directory

    result = directory.configure_programme(s.url(), s.actor, code, file)
    click.echo(f"programme {code} now uses configuration {result['version']}")


@programme.command("criteria")
@click.argument("code")
@json_option
@pass_settings
def programme_criteria(s: Settings, code: str, as_json: bool) -> None:
    """The KRACHT criteria, scale and committee rules in force for a programme."""
    from workflow import directory

    rules = directory.programme_criteria(s.url(), s.actor, code)
    if as_json:
        return emit_json(rules)
    click.echo(
        f"{code}: configuration {rules['version']}, scale {rules['scale_min']}-"
        f"{rules['scale_max']}, {rules['minimum_members']} members, quorum "
        f"{rules['quorum']}"
    )
    emit_table(rules["criteria"], ["key", "name", "weight", "minimum", "question"])


@programme.command("list")
@json_option
@pass_settings
def programme_list(s: Settings, as_json: bool) -> None:
    """List programmes with their lines and not-applicable stages."""
    from workflow import directory

    rows = directory.list_programmes(s.url(), s.actor)
    if as_json:
        return emit_json(rows)
    for row in rows:
        row["lines"] = [line["code"] for line in row["lines"]]
        row["not applicable"] = list(row["not_applicable"])
    emit_table(rows, ["code", "name", "starts_on", "ends_on", "lines", "not applicable"])


# -- applications -------------------------------------------------------------------------------


@cli.group()
def app() -> None:
    """Applications: create, inspect, record stage data, and move them along the road."""


@app.command("create")
@click.option("--title", required=True)
@click.option("--programme", required=True, help="Programme code.")
@click.option("--applicant", required=True, help="Applicant organisation.")
@click.option("--requested", default="0", show_default=True, help="Requested amount in euros.")
@click.option("--line", help="Action line or programme line code.")
@click.option("--description", default="")
@click.option("--round", "round_", help="Round, e.g. 2018-1.")
@click.option("--submitted-on", help="Date submitted, YYYY-MM-DD.")
@pass_settings
def app_create(
    s: Settings,
    title: str,
    programme: str,
    applicant: str,
    requested: str,
    line: str | None,
    description: str,
    round_: str | None,
    submitted_on: str | None,
) -> None:
    """Create an application; it starts as an idea."""
    from workflow import applications

    record = applications.create(
        s.url(),
        s.actor,
        title=title,
        programme=programme,
        applicant=applicant,
        requested=requested,
        line=line,
        description=description,
        round=round_,
        submitted_on=submitted_on,
    )
    click.echo(f"created application {record['id']}: {record['title']} ({record['state']})")


@app.command("list")
@click.option("--state", help="Only applications in this state.")
@click.option("--programme", help="Only applications of this programme.")
@json_option
@pass_settings
def app_list(s: Settings, state: str | None, programme: str | None, as_json: bool) -> None:
    """List applications and where each stands."""
    from workflow import applications
    from workflow.money import format_euros

    rows = applications.list_all(s.url(), s.actor, state=state, programme=programme)
    if as_json:
        return emit_json(rows)
    for row in rows:
        row["requested"] = format_euros(row["requested_cents"])
    emit_table(rows, ["id", "title", "state", "programme", "line", "applicant", "requested"])


@app.command("show")
@click.argument("application_id", type=int)
@json_option
@pass_settings
def app_show(s: Settings, application_id: int, as_json: bool) -> None:
    """Show an application: its record, stage data, partners, indicators and next steps."""
    from workflow import applications

    record = applications.show(s.url(), s.actor, application_id)
    if as_json:
        return emit_json(record)
    from workflow.render import show_application

    click.echo(show_application(record))


@app.command("history")
@click.argument("application_id", type=int)
@json_option
@pass_settings
def app_history(s: Settings, application_id: int, as_json: bool) -> None:
    """The application's timeline from the audit trail."""
    from workflow import applications

    events = applications.history(s.url(), s.actor, application_id)
    if as_json:
        return emit_json(events)
    for event in events:
        event["move"] = f"{event['from_state'] or ''} -> {event['to_state'] or ''}".strip()
        event["what"] = event["trigger"] or event["action"]
    emit_table(events, ["seq", "at", "actor", "what", "move", "outcome", "reason"])


def _values(sets: tuple[str, ...], file: Path | None) -> dict[str, object]:
    from workflow.render import load_values

    values: dict[str, object] = load_values(file) if file else {}
    values.update(pairs(sets, "--set"))
    return values


set_option = click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="NAME=VALUE",
    help="Stage data to record; `kracht workflow fields` lists the names.",
)
file_option = click.option(
    "--file", type=click.Path(path_type=Path), help="TOML or JSON file of NAME = VALUE stage data."
)
version_option = click.option(
    "--expect-version",
    type=int,
    metavar="N",
    help="Refuse if the application changed since you saw version N.",
)


@app.command("record")
@click.argument("application_id", type=int)
@click.argument("stage")
@set_option
@file_option
@version_option
@pass_settings
def app_record(
    s: Settings,
    application_id: int,
    stage: str,
    sets: tuple[str, ...],
    file: Path | None,
    expect_version: int | None,
) -> None:
    """Record stage data: `kracht app record 3 innovation_table --set table_date=2018-09-17`."""
    from workflow import engine

    result = engine.record(
        s.url(),
        s.actor,
        application_id,
        stage,
        _values(sets, file),
        expected_version=expect_version,
    )
    names = ", ".join(result["values"])
    click.echo(f"recorded {names} on application {application_id} (version {result['version']})")


def _fire(
    s: Settings,
    application_id: int,
    trigger: str,
    reason: str | None,
    sets: tuple[str, ...],
    file: Path | None,
    expect_version: int | None,
) -> None:
    from workflow import engine

    result = engine.fire(
        s.url(),
        s.actor,
        application_id,
        trigger,
        reason=reason,
        values=_values(sets, file),
        expected_version=expect_version,
    )
    click.echo(f"application {application_id}: {result['from']} -> {result['to']} ({trigger})")


@app.command("fire")
@click.argument("application_id", type=int)
@click.argument("trigger")
@click.option("--reason", help="Why; required for decisions, deferral, rework and withdrawal.")
@set_option
@file_option
@version_option
@pass_settings
def app_fire(
    s: Settings,
    application_id: int,
    trigger: str,
    reason: str | None,
    sets: tuple[str, ...],
    file: Path | None,
    expect_version: int | None,
) -> None:
    """Fire a trigger; `kracht workflow show` lists them. Data given with --set is recorded in
    the same transaction."""
    _fire(s, application_id, trigger, reason, sets, file, expect_version)


@app.command("advance")
@click.argument("application_id", type=int)
@click.option("--reason")
@set_option
@file_option
@version_option
@pass_settings
def app_advance(
    s: Settings,
    application_id: int,
    reason: str | None,
    sets: tuple[str, ...],
    file: Path | None,
    expect_version: int | None,
) -> None:
    """Take the next step on the main road (present at table, refer to committee, ...)."""
    from workflow import applications

    record = applications.show(s.url(), s.actor, application_id)
    forward = [o["trigger"] for o in record["next"] if o["forward"]]
    if not forward:
        raise KrachtError(
            f"application {application_id} is {record['state']}: there is no next step on the "
            "main road; use `kracht app fire` with one of: "
            + (", ".join(o["trigger"] for o in record["next"]) or "nothing (final state)")
        )
    _fire(s, application_id, forward[0], reason, sets, file, expect_version)


@app.command("withdraw")
@click.argument("application_id", type=int)
@click.option("--reason", required=True)
@pass_settings
def app_withdraw(s: Settings, application_id: int, reason: str) -> None:
    """Withdraw an application at any open stage."""
    _fire(s, application_id, "withdraw", reason, (), None, None)


@app.group("partner")
def app_partner() -> None:
    """Partners of an application and their commitment."""


@app_partner.command("add")
@click.argument("application_id", type=int)
@click.option("--org", "organisation", required=True)
@click.option("--co-financing", is_flag=True, help="The partner co-finances the project.")
@click.option(
    "--commitment", default="none", show_default=True, help="money, knowledge, time or none."
)
@click.option("--amount", help="Euros, for a money commitment.")
@click.option("--hours", type=int, help="Hours, for a time commitment.")
@pass_settings
def app_partner_add(
    s: Settings,
    application_id: int,
    organisation: str,
    co_financing: bool,
    commitment: str,
    amount: str | None,
    hours: int | None,
) -> None:
    """Add a partner organisation to an application."""
    from workflow import applications

    result = applications.add_partner(
        s.url(),
        s.actor,
        application_id,
        organisation=organisation,
        co_financing=co_financing,
        commitment=commitment,
        amount=amount,
        hours=hours,
    )
    click.echo(f"added partner {result['partner']['organisation']} to application {application_id}")
    for member in result.get("recused", []):
        click.echo(f"recused {member} from application {application_id}: works at the partner")


@app.group("indicator")
def app_indicator() -> None:
    """SMART indicators of an application."""


@app_indicator.command("add")
@click.argument("application_id", type=int)
@click.option("--name", required=True)
@click.option("--unit", required=True)
@click.option("--baseline", required=True)
@click.option("--target", required=True)
@click.option("--by", "target_date", required=True, help="Target date, YYYY-MM-DD.")
@click.option("--source", default="", help="Where the measured values come from.")
@pass_settings
def app_indicator_add(
    s: Settings,
    application_id: int,
    name: str,
    unit: str,
    baseline: str,
    target: str,
    target_date: str,
    source: str,
) -> None:
    """Add a SMART indicator to an application."""
    from workflow import applications

    applications.add_indicator(
        s.url(),
        s.actor,
        application_id,
        name=name,
        unit=unit,
        baseline=baseline,
        target=target,
        target_date=target_date,
        source=source,
    )
    click.echo(f"added indicator {name!r} to application {application_id}")


@app.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@pass_settings
def app_import(s: Settings, file: Path) -> None:
    """Import applications from a CSV pipeline spreadsheet: all rows or none.

    Columns: title, programme, applicant, requested (euros); optional line, description,
    round, submitted_on."""
    from workflow.importer import import_csv

    created = import_csv(s.url(), s.actor, file)
    click.echo(f"imported {len(created)} applications from {file.name}")


@app.command("letter")
@click.argument("application_id", type=int)
@click.option("--language", default="nl", show_default=True, help="nl or en.")
@json_option
@pass_settings
def app_letter(s: Settings, application_id: int, language: str, as_json: bool) -> None:
    """The decision letter to the applicant, as written when the decision was taken."""
    from workflow import decisions

    if language not in ("nl", "en"):
        raise InvalidInput(f"language {language!r} is not nl or en")
    text = decisions.letter(s.url(), s.actor, application_id, language)
    if as_json:
        return emit_json({"application_id": application_id, "language": language, "text": text})
    click.echo(text, nl=False)


@app.command("upgrade-workflow")
@click.argument("application_id", type=int)
@pass_settings
def app_upgrade_workflow(s: Settings, application_id: int) -> None:
    """Move an application recorded under an older workflow version to the current one."""
    from workflow import applications

    result = applications.upgrade_workflow(s.url(), s.actor, application_id)
    click.echo(
        f"application {application_id}: workflow version {result['from_version']} -> "
        f"{result['to_version']}"
    )


# -- the assessment committee -------------------------------------------------------------------


@cli.group()
def committee() -> None:
    """The assessment committee (beoordelingscommissie): members and their interests."""


@committee.command("assign")
@click.argument("application_id", type=int)
@click.option(
    "--member",
    "members",
    multiple=True,
    required=True,
    metavar="EMAIL",
    help="A committee member to assign; repeat for several.",
)
@pass_settings
def committee_assign(s: Settings, application_id: int, members: tuple[str, ...]) -> None:
    """Assign committee members, all or none; one linked to the applicant or a partner is
    recused at once."""
    from workflow import committee as work

    for result in work.assign_all(s.url(), s.actor, application_id, members):
        recused = f" and recused: {result['recused']}" if "recused" in result else ""
        click.echo(f"assigned {result['member']} to application {application_id}{recused}")


@committee.command("declare")
@click.argument("application_id", type=int)
@click.option("--none", "no_conflict", is_flag=True, help="Declare no conflict of interest.")
@click.option("--conflict", metavar="TEXT", help="Declare a conflict of interest (recuses you).")
@pass_settings
def committee_declare(
    s: Settings, application_id: int, no_conflict: bool, conflict: str | None
) -> None:
    """Declare your interests in an application before you score it or see its scores."""
    from workflow import committee as work

    if no_conflict == (conflict is not None):
        raise InvalidInput("declare either --none or --conflict TEXT")
    result = work.declare(s.url(), s.actor, application_id, conflict)
    recused = f"; you are recused: {result['recused']}" if "recused" in result else ""
    click.echo(f"declared {result['declaration']} for application {application_id}{recused}")


@committee.command("show")
@click.argument("application_id", type=int)
@json_option
@pass_settings
def committee_show(s: Settings, application_id: int, as_json: bool) -> None:
    """Members, declarations and recusals, and who has submitted."""
    from workflow import committee as work

    view = work.view(s.url(), s.actor, application_id)
    if as_json:
        return emit_json(view)
    submitted = set(view["rounds"][-1]["submitted"]) if view["rounds"] else set()
    for member in view["members"]:
        member["submitted"] = "yes" if member["member"] in submitted else "no"
    emit_table(
        view["members"], ["member", "name", "declaration", "recused", "recusal_reason", "submitted"]
    )


@cli.group()
def score() -> None:
    """Your own KRACHT scores: drafts until you submit, final after."""


@score.command("set")
@click.argument("application_id", type=int)
@click.argument("criterion", required=False)
@click.argument("value", required=False)
@click.option("--motivation", help="Why this score.")
@click.option(
    "--file",
    type=click.Path(path_type=Path),
    help="TOML: a [criterion] table with score and motivation per criterion.",
)
@pass_settings
def score_set(
    s: Settings,
    application_id: int,
    criterion: str | None,
    value: str | None,
    motivation: str | None,
    file: Path | None,
) -> None:
    """Set draft scores: `kracht score set 3 innovation 4 --motivation "new approach"`."""
    from workflow import committee as work
    from workflow.render import load_scores

    values = load_scores(file) if file else {}
    if criterion is not None:
        if value is None:
            raise InvalidInput(f"give a score for {criterion}")
        values[criterion] = (value, motivation or "")
    result = work.score(s.url(), s.actor, application_id, values)
    scored = ", ".join(f"{k} {v}" for k, v in result["draft"].items())
    click.echo(f"draft scores for application {application_id}: {scored}")


@score.command("submit")
@click.argument("application_id", type=int)
@pass_settings
def score_submit(s: Settings, application_id: int) -> None:
    """Submit your score sheet; it is final from then on, and you may see the others'."""
    from workflow import committee as work

    work.submit(s.url(), s.actor, application_id)
    click.echo(f"submitted your score sheet for application {application_id}")


@score.command("correct")
@click.argument("application_id", type=int)
@click.argument("criterion")
@click.argument("value")
@click.option("--motivation", required=True)
@click.option("--reason", required=True, help="Why the submitted score is corrected.")
@pass_settings
def score_correct(
    s: Settings, application_id: int, criterion: str, value: str, motivation: str, reason: str
) -> None:
    """Correct a submitted score; the old score stays on record."""
    from workflow import committee as work

    result = work.correct(s.url(), s.actor, application_id, criterion, value, motivation, reason)
    click.echo(f"corrected {criterion}: {result['old']} -> {result['new']}")


@cli.group()
def scores() -> None:
    """The committee's scores, as far as you may see them."""


@scores.command("show")
@click.argument("application_id", type=int)
@json_option
@pass_settings
def scores_show(s: Settings, application_id: int, as_json: bool) -> None:
    """Score matrix and aggregate per criterion (blind until you submitted your own)."""
    from workflow import committee as work
    from workflow.render import show_scores

    view = work.view(s.url(), s.actor, application_id)
    if as_json:
        return emit_json(view)
    click.echo(show_scores(view))


@scores.command("ranking")
@click.option("--round", "round_label", required=True, help="Round, e.g. 2018-1.")
@json_option
@pass_settings
def scores_ranking(s: Settings, round_label: str, as_json: bool) -> None:
    """All applications of a round side by side, best weighted total first."""
    from workflow import committee as work

    rows = work.ranking(s.url(), s.actor, round_label)
    if as_json:
        return emit_json(rows)
    emit_table(
        rows, ["id", "title", "state", "sheets", "weighted_total", "knock_outs", "disagreements"]
    )


@scores.command("export")
@click.option("--round", "round_label", required=True, help="Round, e.g. 2018-1.")
@click.option("--output", "-o", type=click.Path(path_type=Path), help="CSV file to write.")
@pass_settings
def scores_export(s: Settings, round_label: str, output: Path | None) -> None:
    """The round's score matrix as CSV, every revision of every score."""
    from workflow import committee as work

    text = "".join(line + "\n" for line in work.export_matrix(s.url(), s.actor, round_label))
    if output:
        from workflow.files import write_text

        write_text(output, text)
        click.echo(f"wrote {text.count(chr(10)) - 1} scores to {output}", err=True)
    else:
        click.echo(text, nl=False)


@cli.command()
@click.argument("application_id", type=int)
@click.argument("advice_value", metavar="ADVICE")
@click.option("--rationale", required=True)
@pass_settings
def advice(s: Settings, application_id: int, advice_value: str, rationale: str) -> None:
    """The chair's joint advice (positive, positive_with_conditions or negative), once the
    quorum has scored; the application moves on to the steering decision."""
    from workflow import committee as work

    result = work.advise(s.url(), s.actor, application_id, advice_value, rationale)
    click.echo(
        f"application {application_id}: advice {advice_value}; {result['from']} -> {result['to']}"
    )


# -- steering decisions and money --------------------------------------------------------------


@cli.command()
@click.argument("application_id", type=int)
@click.argument("outcome", metavar="OUTCOME")
@click.option("--reason", required=True, help="The reasons, quoted in the decision letter.")
@click.option("--amount", help="Euros granted (approve, approve-with-conditions).")
@click.option("--year", type=int, help="Budget year charged [default: this year].")
@click.option(
    "--spread-until", type=int, metavar="YEAR", help="Spread the grant evenly up to YEAR."
)
@click.option("--from-development", is_flag=True, help="Charge the development budget.")
@click.option(
    "--condition",
    "conditions",
    multiple=True,
    type=(str, str, str),
    metavar="DUE OWNER TEXT",
    help="A condition: due date, owner's e-mail, text.",
)
@click.option("--departure-rationale", help="Why the decision departs from the advice.")
@click.option("--until", "deferred_until", help="Defer to this date (YYYY-MM-DD).")
@click.option("--to-round", "deferred_to_round", help="Defer to this round.")
@pass_settings
def decide(
    s: Settings,
    application_id: int,
    outcome: str,
    reason: str,
    amount: str | None,
    year: int | None,
    spread_until: int | None,
    from_development: bool,
    conditions: tuple[tuple[str, str, str], ...],
    departure_rationale: str | None,
    deferred_until: str | None,
    deferred_to_round: str | None,
) -> None:
    """The steering decision: approve, approve-with-conditions, reject or defer. The grant is
    charged to the line's budget in the same transaction, and the letter is written."""
    from workflow import decisions

    result = decisions.decide(
        s.url(),
        s.actor,
        application_id,
        outcome,
        reason=reason,
        amount=amount,
        year=year,
        spread_until=spread_until,
        development=from_development,
        conditions=list(conditions),
        departure_rationale=departure_rationale,
        deferred_until=deferred_until,
        deferred_to_round=deferred_to_round,
    )
    for warning in result["warnings"]:
        click.echo(f"warning: {warning}", err=True)
    click.echo(
        f"application {application_id}: {result['from']} -> {result['to']}; "
        f"letter: `kracht app letter {application_id}`"
    )


@cli.group()
def budget() -> None:
    """Budgets per programme, line and year, and what is committed and reserved on them."""


@budget.command("set")
@click.option("--programme", required=True)
@click.option("--year", type=int, required=True)
@click.option("--line", help="Line code; without it, the pool for every line without its own.")
@click.option("--kind", default="projects", show_default=True, help="projects or development.")
@click.option("--amount", help="Euros.")
@click.option("--inhabitants", type=int, help="Compute the amount from inhabitants ...")
@click.option("--per-inhabitant", help="... times this amount in euros.")
@pass_settings
def budget_set(
    s: Settings,
    programme: str,
    year: int,
    line: str | None,
    kind: str,
    amount: str | None,
    inhabitants: int | None,
    per_inhabitant: str | None,
) -> None:
    """Set a yearly budget (the development budget is capped at 12.5% of the project budget)."""
    from workflow import decisions
    from workflow.money import format_euros

    result = decisions.set_budget(
        s.url(),
        s.actor,
        programme=programme,
        year=year,
        kind=kind,
        line=line,
        amount=amount,
        inhabitants=inhabitants,
        per_inhabitant=per_inhabitant,
    )
    click.echo(
        f"{programme} {year} {kind} {line or '(all lines)'}: "
        f"{format_euros(result['amount_cents'])} ({result['basis']})"
    )


@budget.command("show")
@click.option("--programme")
@click.option("--year", type=int)
@json_option
@pass_settings
def budget_show(s: Settings, programme: str | None, year: int | None, as_json: bool) -> None:
    """Budget, committed, reserved, paid out and available; the programme's multiplier."""
    from workflow import decisions
    from workflow.money import format_euros

    view = decisions.budget_overview(s.url(), s.actor, programme, year)
    if as_json:
        return emit_json(view)
    rows = [
        {**r, **{k.removesuffix("_cents"): format_euros(r[k]) for k in r if k.endswith("_cents")}}
        for r in view["budgets"]
    ]
    emit_table(
        rows, ["programme", "line", "year", "kind", "budget", "committed", "reserved", "available"]
    )
    multiplier = view["multiplier"]
    click.echo(
        f"co-financing {format_euros(sum(view['co_financing_cents'].values()))} on "
        f"{format_euros(view['granted_cents'])} granted: multiplier "
        f"{multiplier if multiplier is not None else '-'} (target 8.5)"
    )


@cli.group()
def conditions() -> None:
    """Conditions of conditional grants: due dates, owners, and which are met or overdue."""


@conditions.command("list")
@click.option("--application", "application_id", type=int)
@click.option("--overdue", is_flag=True, help="Only conditions past their due date.")
@json_option
@pass_settings
def conditions_list(s: Settings, application_id: int | None, overdue: bool, as_json: bool) -> None:
    """List conditions with their status: open, met or overdue."""
    from workflow import decisions

    rows = decisions.list_conditions(s.url(), s.actor, application_id, overdue)
    if as_json:
        return emit_json(rows)
    emit_table(rows, ["application_id", "number", "status", "due_on", "owner", "text"])


@conditions.command("meet")
@click.argument("application_id", type=int)
@click.argument("number", type=int)
@click.option("--evidence", required=True, help="How the condition was met.")
@pass_settings
def conditions_meet(s: Settings, application_id: int, number: int, evidence: str) -> None:
    """Record that a condition is met; when none is open, `kracht app advance` moves on."""
    from workflow import decisions

    result = decisions.meet_condition(s.url(), s.actor, application_id, number, evidence)
    click.echo(
        f"condition {number} of application {application_id} met; {result['still_open']} still open"
    )


# -- notifications and reminders ----------------------------------------------------------------


@cli.group()
def outbox() -> None:
    """Messages waiting to be sent, sent, or dead: written with the event that caused them."""


@outbox.command("list")
@click.option("--status", type=click.Choice(["pending", "sending", "sent", "dead"]))
@click.option("--application", "application_id", type=int)
@json_option
@pass_settings
def outbox_list(s: Settings, status: str | None, application_id: int | None, as_json: bool) -> None:
    """The outbox, newest first, with a count per status."""
    from workflow import notices

    result = notices.outbox_list(s.url(), s.actor, status, application_id)
    if as_json:
        return emit_json(result)
    emit_table(
        result["messages"],
        ["id", "status", "attempts", "event", "application_id", "recipient", "subject"],
        empty="(the outbox is empty)",
        widths={"subject": 50},
    )
    click.echo("\n" + ", ".join(f"{n} {status}" for status, n in result["counts"].items()))


@outbox.command("send")
@json_option
@pass_settings
def outbox_send(s: Settings, as_json: bool) -> None:
    """Send every message that is due now, through the configured transport."""
    from workflow import notices

    result = notices.outbox_send(s.url(), s.actor)
    if as_json:
        return emit_json(result)
    click.echo(
        f"{len(result['sent'])} sent ({result['transport']}), {len(result['retrying'])} to "
        f"retry later, {len(result['dead'])} dead; {result['counts']['pending']} still pending"
    )


@outbox.command("retry")
@click.argument("message_ids", nargs=-1, type=int)
@click.option("--all-dead", is_flag=True, help="Retry every dead message.")
@pass_settings
def outbox_retry(s: Settings, message_ids: tuple[int, ...], all_dead: bool) -> None:
    """Put dead messages back in the queue with fresh attempts."""
    from workflow import notices

    requeued = notices.outbox_retry(s.url(), s.actor, list(message_ids), all_dead)
    click.echo(f"{len(requeued)} message(s) queued again" + (f": {requeued}" if requeued else ""))


@cli.group()
def reminders() -> None:
    """Deadlines kracht chases: scoring, conditions and progress reports."""


@reminders.command("list")
@click.option("--person", metavar="EMAIL", help="Only this person's (default: yours, or all).")
@click.option("--application", "application_id", type=int)
@click.option("--all", "include_closed", is_flag=True, help="Include met and cancelled ones.")
@json_option
@pass_settings
def reminders_list(s: Settings, person: str | None, application_id: int | None,
                   include_closed: bool, as_json: bool) -> None:  # fmt: skip
    """What is coming: each deadline, whose it is, and when kracht acts next."""
    from workflow import notices

    rows = notices.reminders_list(s.url(), s.actor, person, application_id, include_closed)
    if as_json:
        return emit_json(rows)
    emit_table(
        rows,
        ["id", "kind", "application_id", "recipient", "due", "status", "next_step_at"],
        empty="(no reminders)",
    )


@cli.group()
def scheduler() -> None:
    """The process that fires due reminders and sends the outbox."""


@scheduler.command("run")
@click.option("--interval", type=click.FloatRange(min=0.1), default=60.0, show_default=True,
              help="Seconds between rounds.")  # fmt: skip
@click.option("--once", is_flag=True, help="One round, then exit (for cron).")
@click.option("--stop-after", type=click.FloatRange(min=0), metavar="SECONDS",
              help="Exit after this long (default: run until interrupted).")  # fmt: skip
@pass_settings
def scheduler_run(s: Settings, interval: float, once: bool, stop_after: float | None) -> None:
    """Fire due reminders into the outbox and send it, every INTERVAL seconds.

    What fell due while no scheduler ran fires on the first round; several schedulers may run
    at once, and each reminder still fires once."""
    from notifications import scheduler as runner
    from notifications.settings import load
    from workflow import notices

    url = s.url()
    notices.scheduler_actor(url, s.actor)
    settings = load()
    if once:
        click.echo(runner.summary(runner.tick(url, settings)))
        return
    click.echo(f"kracht scheduler: every {interval:g} s on {url}; Ctrl-C stops", err=True)
    ticks = runner.run(url, settings, interval=interval, stop_after=stop_after,
                       report=lambda line: click.echo(line, err=True))  # fmt: skip
    click.echo(f"kracht scheduler: stopped after {ticks} round(s)", err=True)


@cli.command("calendar")
@click.argument("person", metavar="EMAIL")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this .ics file (default: standard output).")  # fmt: skip
@pass_settings
def calendar_export(s: Settings, person: str, out: Path | None) -> None:
    """A person's open deadlines as an iCalendar (.ics) file."""
    from workflow import notices

    data = notices.calendar(s.url(), s.actor, person)
    if out is None:
        click.echo(data.decode(), nl=False)
        return
    try:
        out.write_bytes(data)
    except OSError as error:
        raise InvalidInput(f"cannot write {out}: {error.strerror}") from None
    click.echo(f"wrote {out}")


# -- monitoring, programme reports and exports --------------------------------------------------


def _indicator_values(items: Sequence[str]) -> dict[str, str]:
    """Repeated --value NAME=VALUE (NAME: the indicator's name or number)."""
    result = {}
    for item in items:
        name, sep, value = item.rpartition("=")
        if not sep or not name.strip():
            raise InvalidInput(f"--value takes INDICATOR=VALUE, got {item!r}")
        result[name.strip()] = value.strip()
    return result


def _as_of(value: str | None) -> Any:
    from workflow.applications import parse_date

    return parse_date(value, "--as-of")


value_option = click.option(
    "--value",
    "values",
    multiple=True,
    metavar="INDICATOR=VALUE",
    help="A measured value (indicator name or number); repeat for each indicator.",
)


@cli.group()
def monitor() -> None:
    """Monitoring of approved projects: report schedules, progress reports, indicator values."""


@monitor.command("schedule")
@click.argument("application_id", type=int)
@json_option
@pass_settings
def monitor_schedule(s: Settings, application_id: int, as_json: bool) -> None:
    """A project's report schedule: every report, its due date, status and traffic light."""
    from workflow import monitor_views
    from workflow.render import show_monitoring

    view = monitor_views.project(s.url(), s.actor, application_id)
    if as_json:
        return emit_json(view)
    click.echo(show_monitoring(view))


@monitor.command("replan")
@click.argument("application_id", type=int)
@click.option("--every", "every_months", type=int, help="Months per report: 1, 3, 6 or 12.")
@click.option("--start", "start_on", help="First day the reports cover, YYYY-MM-DD.")
@click.option("--until", "end_on", help="The project's last day, YYYY-MM-DD.")
@pass_settings
def monitor_replan(
    s: Settings,
    application_id: int,
    every_months: int | None,
    start_on: str | None,
    end_on: str | None,
) -> None:
    """Replan the reports not yet submitted (cadence, start, end); submitted reports stay."""
    from workflow import progress_reports

    result = progress_reports.replan(
        s.url(),
        s.actor,
        application_id,
        every_months=every_months,
        start_on=start_on,
        end_on=end_on,
    )
    plan = result["schedule"]
    due = ", ".join(f"{r['label']} (due {r['due_on']})" for r in plan["reports"][:4])
    more = f" and {len(plan['reports']) - 4} more" if len(plan["reports"]) > 4 else ""
    click.echo(
        f"application {application_id}: every {plan['every_months']} months from "
        f"{plan['starts_on']} to {plan['ends_on']}; {len(plan['reports'])} reports planned"
        + (f": {due}{more}" if due else "")
    )


@monitor.command("reports")
@click.option("--application", "application_id", type=int)
@click.option("--programme")
@click.option("--status", help="due, late, submitted or cancelled.")
@json_option
@pass_settings
def monitor_reports(
    s: Settings,
    application_id: int | None,
    programme: str | None,
    status: str | None,
    as_json: bool,
) -> None:
    """Progress reports across projects, by due date, with their status and traffic light."""
    from workflow import monitor_views

    rows = monitor_views.reports(
        s.url(), s.actor, application_id=application_id, programme=programme, status=status
    )
    if as_json:
        return emit_json(rows)
    emit_table(
        rows,
        ["application_id", "title", "label", "due_on", "status", "days_late", "traffic_light"],
        widths={"title": 32},
    )


@monitor.command("late")
@click.option("--as-of", help="Late on this day (YYYY-MM-DD) [default: today].")
@click.option("--programme")
@json_option
@pass_settings
def monitor_late(s: Settings, as_of: str | None, programme: str | None, as_json: bool) -> None:
    """Reports past their due date and not submitted, the longest overdue first."""
    from workflow import monitor_views

    rows = monitor_views.late(s.url(), s.actor, _as_of(as_of), programme)
    if as_json:
        return emit_json(rows)
    emit_table(
        rows,
        ["application_id", "title", "label", "due_on", "days_late"],
        empty="(no report is late)",
        widths={"title": 32},
    )


@monitor.command("submit")
@click.argument("application_id", type=int)
@click.argument("label")
@click.option("--light", required=True, help="green, orange or red (red needs --measures).")
@click.option("--narrative", required=True, help="What happened in the period.")
@click.option("--measures", help="The measures taken (required with red).")
@click.option("--spent", required=True, help="Spending so far in euros, cumulative.")
@value_option
@click.option("--received", help="Day the report came in, if before today (programme leader).")
@pass_settings
def monitor_submit(
    s: Settings,
    application_id: int,
    label: str,
    light: str,
    narrative: str,
    measures: str | None,
    spent: str,
    values: tuple[str, ...],
    received: str | None,
) -> None:
    """Submit progress report LABEL (e.g. 2019-Q1) with its traffic light and values."""
    from workflow import progress_reports

    result = progress_reports.submit(
        s.url(),
        s.actor,
        application_id,
        label,
        light=light,
        narrative=narrative,
        spent=spent,
        measures=measures,
        values=_indicator_values(values),
        received_on=received,
    )
    for warning in result["warnings"]:
        click.echo(f"warning: {warning}", err=True)
    report = result["report"]
    late = f", {report['days_late']} days late" if report["days_late"] else ""
    click.echo(
        f"application {application_id}: report {report['label']} submitted "
        f"({report['traffic_light']}{late}); {len(result['values'])} "
        f"value{'' if len(result['values']) == 1 else 's'} recorded"
    )


@monitor.command("value")
@click.argument("application_id", type=int)
@click.argument("indicator")
@click.argument("value")
@click.option("--on", "measured_on", help="Day measured, YYYY-MM-DD [default: today].")
@click.option("--note", default="", help="Where the value comes from, or a remark.")
@pass_settings
def monitor_value(
    s: Settings,
    application_id: int,
    indicator: str,
    value: str,
    measured_on: str | None,
    note: str,
) -> None:
    """Record a measured VALUE of INDICATOR (its name or number), checked against its unit."""
    from workflow import progress_reports

    result = progress_reports.record_value(
        s.url(), s.actor, application_id, indicator, value, measured_on=measured_on, note=note
    )
    recorded = result["values"][0]
    click.echo(
        f"application {application_id}: {recorded['indicator']} = {recorded['value']} "
        f"{recorded['unit']} on {recorded['measured_on']}"
    )


@monitor.command("values")
@click.argument("application_id", type=int)
@json_option
@pass_settings
def monitor_values(s: Settings, application_id: int, as_json: bool) -> None:
    """Every indicator's measured values over time, against baseline and target."""
    from workflow import monitor_views

    view = monitor_views.project(s.url(), s.actor, application_id)["indicators"]
    if as_json:
        return emit_json(view)
    rows = [
        {
            "indicator": i["name"],
            "unit": i["unit"],
            "measured_on": v["measured_on"],
            "value": v["value"],
            "baseline": i["baseline"],
            "target": i["target"],
        }
        for i in view
        for v in i["values"] or [{"measured_on": None, "value": None}]
    ]
    emit_table(rows, ["indicator", "unit", "measured_on", "value", "baseline", "target"])


@monitor.command("close-out")
@click.argument("application_id", type=int)
@click.option("--final-report", required=True, help="The final report: what the project achieved.")
@click.option("--spent", required=True, help="Total spending in euros.")
@value_option
@click.option("--reason", help="Why the project closes now (e.g. ended early).")
@pass_settings
def monitor_close_out(
    s: Settings,
    application_id: int,
    final_report: str,
    spent: str,
    values: tuple[str, ...],
    reason: str | None,
) -> None:
    """The final report with the final values, and the move to closed, in one transaction."""
    from workflow import progress_reports

    result = progress_reports.close_out(
        s.url(),
        s.actor,
        application_id,
        final_report=final_report,
        spent=spent,
        values=_indicator_values(values),
        reason=reason,
    )
    click.echo(
        f"application {application_id}: {result['from']} -> {result['to']}; final report "
        f"kept; `kracht monitor schedule {application_id}` shows the final values"
    )


@cli.group()
def report() -> None:
    """The programme's yearly documents, written from the data as HTML and Markdown."""


def _write_report(
    s: Settings, kind: str, year: int, programme: str | None, out: Path, as_json: bool
) -> None:
    from workflow import programme_reports

    result = programme_reports.write(s.url(), s.actor, kind, year, out, programme=programme)
    if as_json:
        return emit_json(result)
    click.echo(f"{result['title']} written:")
    for path in result["files"]:
        click.echo(f"  {path}")


report_options = [
    click.option("--year", type=int, required=True, help="The year reported on."),
    click.option("--programme", help="Only this programme [default: all]."),
    click.option(
        "--out",
        type=click.Path(path_type=Path),
        default=Path("kracht-reports"),
        show_default=True,
        help="Folder to write the files to.",
    ),
    json_option,
    pass_settings,
]


def _report_command(f: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(report_options):
        f = option(f)
    return f


@report.command("monitor")
@_report_command
def report_monitor(s: Settings, year: int, programme: str | None, out: Path, as_json: bool) -> None:
    """The project monitor (November): every project's results, indicators and reports."""
    _write_report(s, "monitor", year, programme, out, as_json)


@report.command("annual")
@_report_command
def report_annual(s: Settings, year: int, programme: str | None, out: Path, as_json: bool) -> None:
    """The annual report "Investeren in Twente" (June): pipeline, money, co-financing, results."""
    _write_report(s, "annual", year, programme, out, as_json)


@cli.group()
def export() -> None:
    """Applications, decisions, indicators and reports as CSV or JSON, for spreadsheets."""


def _export(s: Settings, kind: str, fmt: str, output: Path | None) -> None:
    from workflow import exports

    text, count = exports.export(s.url(), s.actor, kind, fmt)
    if output:
        exports.write_file(output, text)
        click.echo(f"wrote {count} {kind} to {output}", err=True)
    else:
        click.echo(text, nl=False)


def _export_command(kind: str, what: str) -> None:
    @export.command(kind, help=f"{what} as CSV or JSON (money in integer cents).")
    @click.option("--format", "fmt", default="csv", show_default=True, help="csv or json.")
    @click.option("--output", "-o", type=click.Path(path_type=Path), help="File to write.")
    @pass_settings
    def command(s: Settings, fmt: str, output: Path | None) -> None:
        _export(s, kind, fmt, output)


_export_command("applications", "Every application with its state, request and grant")
_export_command("decisions", "Every steering decision with its outcome, amount and reasons")
_export_command("indicators", "Every indicator with each measured value")
_export_command("reports", "Every progress report with its status, traffic light and spending")


# -- the road -----------------------------------------------------------------------------------


@cli.group()
def workflow() -> None:
    """The road every application travels, as declared."""


@workflow.command("show")
@json_option
def workflow_show(as_json: bool) -> None:
    """Every transition: from, trigger, to, roles and what its guard requires."""
    from workflow import diagram

    if as_json:
        return emit_json(diagram.as_data())
    emit_table(
        diagram.table_rows(),
        ["from", "trigger", "to", "roles", "requires"],
        widths={"from": 22, "to": 24, "roles": 20, "requires": 50},
    )


@workflow.command("diagram")
def workflow_diagram() -> None:
    """A Mermaid state diagram generated from the declaration."""
    from workflow import diagram

    click.echo(diagram.mermaid(), nl=False)


@workflow.command("fields")
@json_option
def workflow_fields(as_json: bool) -> None:
    """Every piece of stage data that can be recorded, per stage."""
    from workflow import diagram

    rows = diagram.fields_rows()
    if as_json:
        return emit_json(rows)
    emit_table(rows, ["stage", "field", "kind", "recorded by", "meaning"])


# -- audit --------------------------------------------------------------------------------------


@cli.group()
def audit() -> None:
    """The append-only audit trail."""


@audit.command("verify")
@json_option
@pass_settings
def audit_verify(s: Settings, as_json: bool) -> None:
    """Walk the hash chain; exit 0 when intact, 7 naming the first broken event otherwise."""
    from workflow import auditing

    verdict = auditing.verify(s.url(), s.actor)
    if as_json:
        emit_json(verdict.__dict__)
    elif verdict.intact:
        click.echo(f"audit trail intact: {verdict.events} events verified")
    if not verdict.intact:
        click.echo(
            f"kracht: audit trail broken at event #{verdict.broken_seq}: {verdict.problem}; "
            f"the {verdict.events} events before it verify",
            err=True,
        )
        raise SystemExit(7)


@audit.command("export")
@click.option("--format", "fmt", default="jsonl", show_default=True, help="csv or jsonl.")
@click.option("--output", "-o", type=click.Path(path_type=Path), help="File to write.")
@pass_settings
def audit_export(s: Settings, fmt: str, output: Path | None) -> None:
    """Export every audit event, in chain order, as CSV or JSON Lines."""
    from workflow import auditing

    lines = list(auditing.export(s.url(), s.actor, fmt))
    text = "".join(line + "\n" for line in lines)
    if output:
        from workflow.files import write_text

        write_text(output, text)
        click.echo(f"wrote {max(len(lines) - (fmt == 'csv'), 0)} events to {output}", err=True)
    else:
        click.echo(text, nl=False)


# -- demo ---------------------------------------------------------------------------------------


@cli.command()
@click.option("--replace", is_flag=True, help="Replace an existing database file.")
@pass_settings
def demo(s: Settings, replace: bool) -> None:
    """Build a demo database with the first Agenda voor Twente round and run it to its outcomes."""
    from workflow.demo import run

    run(s.db, replace=replace, echo=click.echo)


# -- entry point --------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; a user's mistake is one line on stderr and a non-zero exit, never a trace."""
    import os

    config = os.environ.get("KRACHT_CONFIG")  # --config sets it for this run only
    try:
        return _run(argv)
    finally:
        if config is None:
            os.environ.pop("KRACHT_CONFIG", None)
        else:
            os.environ["KRACHT_CONFIG"] = config


def _run(argv: Sequence[str] | None) -> int:
    try:
        cli.main(
            args=list(argv) if argv is not None else None, prog_name="kracht", standalone_mode=False
        )
    except KrachtError as error:
        click.echo(f"kracht: {error}", err=True)
        return error.exit_code
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("kracht: interrupted", err=True)
        return 130
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else 1
    except Exception as error:  # noqa: BLE001 - the one boundary that turns bugs into reports
        database = _database_problem(error)
        if database:
            click.echo(f"kracht: {database}", err=True)
            return 1
        import traceback

        traceback.print_exc()
        click.echo("kracht: unexpected error: this is a bug in kracht; please report it", err=True)
        return 3
    return 0


def _database_problem(error: Exception) -> str | None:
    """Name database problems the user can fix (wrong URL, server down, no schema, a value the
    database cannot hold)."""
    if type(error).__module__ != "sqlalchemy.exc":
        return None
    text = str(getattr(error, "orig", error)).strip().splitlines()[0]
    if "no such table" in text or "does not exist" in text and "relation" in text:
        return f"the database has no kracht schema ({text}); run `kracht init`"
    if type(error).__name__ == "OperationalError":
        return f"cannot use the database: {text}"
    if type(error).__name__ == "DataError":
        return f"the database refused a value as out of range or malformed ({text})"
    return None


if __name__ == "__main__":
    raise SystemExit(main())
