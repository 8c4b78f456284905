"""`kracht workflow` and `demo`: the road as declared, and the demo."""

from __future__ import annotations

from typing import Any

import click

from kracht.commands import display
from kracht.commands.options import (
    Settings,
    emit_json,
    emit_table,
    json_option,
    pass_settings,
)


@click.group()
def workflow() -> None:
    """The road every application travels, as declared."""


@workflow.command("show")
@click.option(
    "--programme",
    "code",
    metavar="CODE",
    help="Also the programme's routes (its tracks) and its rules by period.",
)
@json_option
@pass_settings
def workflow_show(s: Settings, code: str | None, as_json: bool) -> None:
    """Every transition: from, trigger, to, roles, what its guard requires, what the move does
    (money, letters, the monitoring plan, reminders) and the messages it sends. With
    --programme, then the routes its applications take (each track's stages and the stages
    it passes) and which rules do not apply in which period."""
    from kracht.workflow import diagram

    roads = _roads(s, code) if code else None
    if as_json:
        return emit_json({**diagram.as_data(), **({"programme": roads} if roads else {})})
    emit_table(
        diagram.table_rows(),
        ["from", "trigger", "to", "roles", "requires"],
        widths={"from": 22, "to": 24, "roles": 20, "requires": 50},
    )
    click.echo("\nWhat each move does besides moving, and the messages it sends:")
    for trigger, does, messages in diagram.effect_lines():
        click.echo(f"  {trigger}")
        for line in does:
            click.echo(f"    does: {line}")
        for line in messages:
            click.echo(f"    sends: {line}")
    if roads is not None:
        click.echo("")
        click.echo(display.show_roads(roads))


def _roads(s: Settings, code: str) -> Any:
    """The programme's routes and periods."""
    from kracht.workflow.services import directory

    return s.run(directory.programme_roads, code)


@workflow.command("diagram")
@click.option(
    "--programme",
    "code",
    metavar="CODE",
    help="The route the programme's applications take (without --track: its own).",
)
@click.option("--track", metavar="KEY", help="The route of one of the programme's tracks.")
@pass_settings
def workflow_diagram(s: Settings, code: str | None, track: str | None) -> None:
    """A Mermaid state diagram generated from the declaration: the whole road, or the route of a
    programme (--programme) or of one of its tracks (--track): a move past stages that do not
    apply there is drawn to where it leads, saying what it passes."""
    from kracht.basics.errors import InvalidInput, NotFound
    from kracht.workflow import diagram

    if track and not code:
        raise InvalidInput("a track belongs to a programme: name the programme too",
                           field="programme")  # fmt: skip
    if not code:
        return click.echo(diagram.mermaid(), nl=False)
    routes = {route["key"]: route for route in _roads(s, code)["routes"]}
    chosen = routes.get(track or "")
    if chosen is None:
        known = ", ".join(k for k in routes if k) or "none"
        raise NotFound("track", track, f"programme {code} has the tracks: {known}")
    click.echo(diagram.mermaid(chosen["passes"]), nl=False)


@workflow.command("fields")
@json_option
def workflow_fields(as_json: bool) -> None:
    """Every piece of stage data that can be recorded, per stage."""
    from kracht.workflow import diagram

    rows = diagram.fields_rows()
    if as_json:
        return emit_json(rows)
    emit_table(rows, ["stage", "field", "kind", "recorded by", "meaning"])


# -- demo ---------------------------------------------------------------------------------------


@click.command()
@click.option("--replace", is_flag=True, help="Replace an existing demo database file.")
@pass_settings
def demo(s: Settings, replace: bool) -> None:
    """Build a demo database with the first Agenda voor Twente round and run it to its outcomes.

    In an SQLite file (default ./kracht-demo.db), or with --db postgresql://... in that
    database, which must hold no kracht data yet."""
    from kracht.workflow.demo.build import run

    run(s.db, replace=replace, echo=click.echo)
