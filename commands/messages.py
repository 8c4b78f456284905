"""`kracht outbox`, `reminders`, `scheduler` and `calendar`: notifications and deadlines."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import click

from kracht.commands.options import (
    APPLICATION_ID,
    FILE,
    MESSAGE_ID,
    Settings,
    emit_json,
    emit_table,
    json_option,
    pass_settings,
)

DEAD_LETTERED = 8  # `outbox send`: a message failed for good (dead) in this run


@click.group()
def outbox() -> None:
    """Messages waiting to be sent, sent, or dead: written with the event that caused them."""


@outbox.command("list")
@click.option("--status", type=click.Choice(["pending", "sending", "sent", "dead"]))
@click.option("--application", "application_id", type=APPLICATION_ID)
@json_option
@pass_settings
def outbox_list(s: Settings, status: str | None, application_id: int | None, as_json: bool) -> None:
    """The outbox, newest first, with a count per status."""
    from kracht.workflow.services import notices

    result = s.run(notices.outbox_list, status, application_id)
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
    """Send every message that is due now, through the configured transport.

    Exits 8 when a message failed for good (went dead) in this run; messages that will be tried
    again later (a temporary failure, a server that cannot be reached) leave the exit at 0."""
    from kracht.workflow.services import notices

    result = notices.outbox_send(s.units(), s.actor)
    if as_json:
        emit_json(result)
    else:
        click.echo(
            f"{len(result['sent'])} sent ({result['transport']}), {len(result['retrying'])} to "
            f"retry later, {len(result['dead'])} dead; {result['counts']['pending']} still pending"
        )
    if result["dead"]:  # messages that will never go out by themselves: a cron job must notice
        dead = ", ".join(str(i) for i in result["dead"])
        click.echo(
            f"kracht: {len(result['dead'])} message(s) failed for good in this run ({dead}); "
            "`kracht outbox list --status dead` shows why, `kracht outbox retry ID` queues one "
            "again",
            err=True,
        )
        raise SystemExit(DEAD_LETTERED)


@outbox.command("retry")
@click.argument("message_ids", nargs=-1, type=MESSAGE_ID)
@click.option("--all-dead", is_flag=True, help="Retry every dead message.")
@pass_settings
def outbox_retry(s: Settings, message_ids: tuple[int, ...], all_dead: bool) -> None:
    """Put dead messages back in the queue with fresh attempts."""
    from kracht.workflow.services import notices

    requeued = s.run(notices.outbox_retry, list(message_ids), all_dead)
    click.echo(f"{len(requeued)} message(s) queued again" + (f": {requeued}" if requeued else ""))


@click.group()
def reminders() -> None:
    """Deadlines kracht chases: scoring, conditions and progress reports."""


@reminders.command("list")
@click.option("--person", metavar="EMAIL", help="Only this person's (default: yours, or all).")
@click.option("--application", "application_id", type=APPLICATION_ID)
@click.option("--all", "include_closed", is_flag=True, help="Include met and cancelled ones.")
@json_option
@pass_settings
def reminders_list(s: Settings, person: str | None, application_id: int | None,
                   include_closed: bool, as_json: bool) -> None:  # fmt: skip
    """What is coming: each deadline, whose it is, and when kracht acts next."""
    from kracht.workflow.services import notices

    rows = s.run(notices.reminders_list, person, application_id, include_closed)
    if as_json:
        return emit_json(rows)
    emit_table(
        rows,
        ["id", "kind", "application_id", "recipient", "due", "status", "next_step_at"],
        empty="(no reminders)",
    )


@click.group()
def scheduler() -> None:
    """The process that fires due reminders and sends the outbox."""


class Seconds(click.ParamType):
    """A length of time in seconds: a finite number within [low, high] (no nan, no inf)."""

    name = "seconds"

    def __init__(self, low: float, high: float) -> None:
        self.low, self.high = low, high

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        try:
            if isinstance(value, str) and not value.isascii():  # "１" (full width) is no number
                raise ValueError(value)
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number of seconds", param, ctx)
        if not (math.isfinite(number) and self.low <= number <= self.high):
            self.fail(
                f"{value!r}: give a number of seconds from {self.low:g} to {self.high:,.0f}",
                param,
                ctx,
            )
        return number


@scheduler.command("run")
@click.option("--interval", type=Seconds(0.1, 86_400), default=60.0, show_default=True,
              help="Seconds between rounds (0.1 to 86400, a day).")  # fmt: skip
@click.option("--once", is_flag=True, help="One round, then exit (for cron).")
@click.option("--stop-after", type=Seconds(0.1, 31_622_400), metavar="SECONDS",
              help="Exit after this long, at most a year (default: never).")  # fmt: skip
@pass_settings
def scheduler_run(s: Settings, interval: float, once: bool, stop_after: float | None) -> None:
    """Fire due reminders into the outbox and send it, every INTERVAL seconds.

    What fell due while no scheduler ran fires on the first round; several schedulers may run
    at once, and each reminder still fires once."""
    from kracht.notifications import scheduler as runner
    from kracht.workflow.services import notices

    units = s.units()
    actor = s.run(notices.scheduler_actor)
    database, settings = units.database, units.settings
    from kracht.workflow.services.auditing import checkpointing

    checkpoint = checkpointing(units, actor)
    if once:
        click.echo(runner.summary(runner.tick(database, settings, actor, checkpoint=checkpoint)))
        return
    click.echo(f"kracht scheduler: every {interval:g} s on {database.url}; Ctrl-C stops", err=True)
    ticks = runner.run(database, settings, actor, interval=interval, stop_after=stop_after,
                       report=lambda line: click.echo(line, err=True),
                       checkpoint=checkpoint)  # fmt: skip
    click.echo(f"kracht scheduler: stopped after {ticks} round(s)", err=True)


@click.command("calendar")
@click.argument("person", metavar="EMAIL")
@click.option("--out", "out", type=FILE,
              help="Write to this .ics file (default: standard output).")  # fmt: skip
@pass_settings
def calendar_export(s: Settings, person: str, out: Path | None) -> None:
    """A person's open deadlines as an iCalendar (.ics) file."""
    from kracht.workflow.services import notices

    data = s.run(notices.calendar, person)
    if out is None:
        click.echo(data.decode(), nl=False)
        return
    from kracht.basics.files import write_bytes

    write_bytes(out, data)
    click.echo(f"wrote {out}")
