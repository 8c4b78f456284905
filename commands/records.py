"""`kracht workflow` and `demo`: the road as declared, and the demo."""

from __future__ import annotations

import click

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
@json_option
def workflow_show(as_json: bool) -> None:
    """Every transition: from, trigger, to, roles, what its guard requires, what the move does
    (money, letters, the monitoring plan, reminders) and the messages it sends."""
    from kracht.workflow import diagram

    if as_json:
        return emit_json(diagram.as_data())
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


@workflow.command("diagram")
def workflow_diagram() -> None:
    """A Mermaid state diagram generated from the declaration."""
    from kracht.workflow import diagram

    click.echo(diagram.mermaid(), nl=False)


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
