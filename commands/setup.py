"""`kracht init`, `people`, `org` and `programme`: the database and who and what it knows."""

from __future__ import annotations

from pathlib import Path

import click

from kracht.basics.errors import InvalidInput
from kracht.commands.options import (
    FILE,
    Settings,
    emit_json,
    emit_table,
    json_option,
    pairs,
    pass_settings,
)


@click.command()
@pass_settings
def init(s: Settings) -> None:
    """Create the database, or upgrade its schema to this version of kracht."""
    from kracht.storage.database import describe, migrate

    url = s.url(must_exist=False)
    revision = migrate(url)
    click.echo(f"database ready at {describe(url)} (schema revision {revision})")


@click.group()
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
    from kracht.workflow.services import directory

    person = s.run(
        directory.add_person,
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
    from kracht.workflow.services import directory

    rows = s.run(
        directory.list_people,
    )
    if as_json:
        return emit_json(rows)
    emit_table(rows, ["id", "name", "email", "organisation", "roles"])


@click.group()
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
@click.option("--email", help="Its contact address, for messages while it has no applicant.")
@click.option("--kvk", metavar="NUMBER", help="Its Chamber of Commerce (KvK) number: 8 digits.")
@pass_settings
def org_add(s: Settings, name: str, o_type: str, email: str | None, kvk: str | None) -> None:
    """Add an organisation."""
    from kracht.workflow.services import directory

    record = s.run(directory.add_org, name=name, o_type=o_type, email=email, kvk=kvk)
    click.echo(f"added organisation {record['id']}: {record['name']} ({record['type']})")


@org.command("contact")
@click.argument("name")
@click.argument("email", required=False)
@pass_settings
def org_contact(s: Settings, name: str, email: str | None) -> None:
    """Set organisation NAME's contact address to EMAIL (without EMAIL: take it away).
    Messages for its applicants (a decision and its letter) go there while it has nobody with
    the applicant role."""
    from kracht.workflow.services import directory

    record = s.run(directory.set_org_contact, name, email)
    said = record["email"] or "no contact address"
    click.echo(f"organisation {record['id']}: {record['name']}: {said}")


@org.command("identify")
@click.argument("name")
@click.option("--kvk", metavar="NUMBER", help="Its Chamber of Commerce (KvK) number: 8 digits.")
@click.option("--clear", is_flag=True, help="Take its KvK number away (it was wrong).")
@pass_settings
def org_identify(s: Settings, name: str, kvk: str | None, clear: bool) -> None:
    """Set organisation NAME's Chamber of Commerce (KvK) number, which the open-data export
    (`kracht export 360giving`) identifies it by as NL-KVK-NUMBER; or take it away with
    --clear."""
    from kracht.workflow.services import directory

    if (kvk is None) == (not clear):
        raise InvalidInput("give either --kvk NUMBER or --clear")
    record = s.run(directory.identify_org, name, None if clear else kvk)
    said = f"KvK {record['kvk']}" if record["kvk"] else "no KvK number"
    click.echo(f"organisation {record['id']}: {record['name']}: {said}")


@org.command("list")
@json_option
@pass_settings
def org_list(s: Settings, as_json: bool) -> None:
    """List organisations."""
    from kracht.workflow.services import directory

    rows = s.run(
        directory.list_orgs,
    )
    if as_json:
        return emit_json(rows)
    emit_table(rows, ["id", "name", "type", "email", "kvk"])


@click.group()
def programme() -> None:
    """Programmes such as Agenda voor Twente 2018-2022, with their lines."""


@programme.command("add")
@click.option(
    "--code",
    required=True,
    help="Short code: lowercase letters, digits and hyphens, at most 32 (e.g. avt-2018).",
)
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
    from kracht.workflow.services import directory
    from kracht.workflow.services.applications import parse_date

    record = s.run(
        directory.add_programme,
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
    type=FILE,
    required=True,
    help="TOML file with the criteria, committee rules, tracks and rule periods.",
)
@pass_settings
def programme_configure(s: Settings, code: str, file: Path) -> None:
    """Set a programme's criteria and committee rules, its tracks (lines or rounds with a
    route of their own) and its rule periods; open scoring rounds keep their criteria."""
    from kracht.workflow.services import directory

    result = s.run(directory.configure_programme, code, file)
    click.echo(f"programme {code} now uses configuration {result['version']}")


@programme.command("criteria")
@click.argument("code")
@json_option
@pass_settings
def programme_criteria(s: Settings, code: str, as_json: bool) -> None:
    """The KRACHT criteria, scale and committee rules in force for a programme."""
    from kracht.workflow.services import directory

    rules = s.run(directory.programme_criteria, code)
    if as_json:
        return emit_json(rules)
    click.echo(
        f"{code}: configuration {rules['version']}, scale {rules['scale_min']}-"
        f"{rules['scale_max']}, {rules['minimum_members']} members, quorum "
        f"{rules['quorum']}"
    )
    emit_table(rules["criteria"], ["key", "name", "weight", "minimum", "question"])


@programme.command("municipalities")
@click.option("--file", type=FILE, help="Check this file instead [default: kracht's own].")
@json_option
def programme_municipalities(file: Path | None, as_json: bool) -> None:
    """The Twente municipalities and the inhabitants the per-inhabitant budgets count
    (`kracht budget set --from-municipalities`), from kracht's file or a file checked here."""
    from kracht.workflow import municipalities

    found = municipalities.shown(municipalities.load(file))
    if as_json:
        return emit_json(found)
    rows = [
        {"name": m["name"], "inhabitants": f"{m['inhabitants']:,}" if m["inhabitants"] else "-"}
        for m in found["municipalities"]
    ]
    emit_table(rows, ["name", "inhabitants"])
    click.echo(
        f"{len(rows)} municipalities, {found['inhabitants_total']:,} inhabitants "
        f"({found['inhabitants_basis']}); from {found['file']}"
    )


@programme.command("list")
@json_option
@pass_settings
def programme_list(s: Settings, as_json: bool) -> None:
    """List programmes with their lines and not-applicable stages."""
    from kracht.workflow.services import directory

    rows = s.run(
        directory.list_programmes,
    )
    if as_json:
        return emit_json(rows)
    for row in rows:
        row["lines"] = [line["code"] for line in row["lines"]]
        row["not applicable"] = list(row["not_applicable"])
    emit_table(rows, ["code", "name", "starts_on", "ends_on", "lines", "not applicable"])
