"""kracht's command line: the root group with its global options, the entry point, and how
errors become one line and an exit code.

The commands live in `commands/`, one module per family: each parses, calls one
function and renders a table or JSON. Heavy libraries (SQLAlchemy, Alembic, transitions) are
imported inside the commands, so `kracht --help` stays fast.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from kracht.basics.errors import KrachtError
from kracht.commands import (
    app,
    assessment,
    attachment_commands,
    audit_trail,
    follow_up,
    hints,
    messages,
    money_out,
    records,
    setup,
    steering,
    web_access,
)
from kracht.commands.options import CONTEXT, Settings


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
    _check_settings(config)
    ctx.obj = Settings(db, actor, config)


def _check_settings(config: str | None) -> None:
    """Refuse a settings file that is named but absent, or present but broken, before any
    command runs (not only once a command first needs mail or reminder settings)."""
    from pathlib import Path

    if config or Path("kracht.toml").is_file():
        from kracht.notifications.settings import load

        load(config)


# -- the commands, from commands/ ------------------------------------------------------

# set-up and directory
cli.add_command(setup.init)
cli.add_command(setup.people)
cli.add_command(setup.org)
cli.add_command(setup.programme)
# applications
cli.add_command(app.app)
cli.add_command(attachment_commands.attach)
cli.add_command(attachment_commands.attachments_list)
cli.add_command(attachment_commands.attachment)
# the assessment committee
cli.add_command(assessment.committee)
cli.add_command(assessment.score)
cli.add_command(assessment.scores)
cli.add_command(assessment.advice)
# steering decisions and money
cli.add_command(steering.decide)
cli.add_command(steering.budget)
cli.add_command(steering.conditions)
cli.add_command(money_out.payment)
# notifications and reminders
cli.add_command(messages.outbox)
cli.add_command(messages.reminders)
cli.add_command(messages.scheduler)
cli.add_command(messages.calendar_export)
# monitoring, programme reports and exports
cli.add_command(follow_up.monitor)
cli.add_command(follow_up.report)
cli.add_command(follow_up.export)
# the road, the audit trail, the demo
cli.add_command(records.workflow)
cli.add_command(audit_trail.audit)
cli.add_command(records.demo)

cli.add_command(web_access.serve)
cli.add_command(web_access.token)
setup.people.add_command(web_access.invite)


# -- entry point --------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; a user's mistake is one line on stderr and a non-zero exit, never a trace."""
    return _run(argv)


def _run(argv: Sequence[str] | None) -> int:
    try:
        _refuse_repeated(sys.argv[1:] if argv is None else list(argv))
        cli.main(
            args=list(argv) if argv is not None else None, prog_name="kracht", standalone_mode=False
        )
    except KrachtError as error:
        click.echo(f"kracht: {hints.line(error)}", err=True)
        return error.exit_code
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.UsageError as error:
        if isinstance(error, _NO_ARGS_IS_HELP):  # `kracht` or `kracht app` alone: the help
            error.show()
        else:
            click.echo(f"kracht: {_usage_problem(error, argv)}", err=True)
        return error.exit_code
    except click.ClickException as error:
        click.echo(f"kracht: {_one_line(error.format_message())}", err=True)
        return error.exit_code
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("kracht: interrupted", err=True)
        return 130
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else 1
    except Exception as error:  # noqa: BLE001 - the one boundary that turns bugs into reports
        return _unexpected(error)
    return 0


def _unexpected(error: Exception) -> int:
    """A problem of the surroundings the user can fix (the database, a full disk or closed
    pipe for the output) as one line and exit 1; anything else is a bug: its trace, exit 3."""
    if isinstance(error, OSError) and error.errno in _OUTPUT_ERRORS:
        _quietly_close_stdout()
        click.echo(f"kracht: cannot write the output: {error.strerror or error}", err=True)
        return 1
    database = _database_problem(error)
    if database:
        click.echo(f"kracht: {database}", err=True)
        return 1
    import traceback

    traceback.print_exc()
    click.echo("kracht: unexpected error: this is a bug in kracht; please report it", err=True)
    return 3


# What a full disk, a closed pipe (`kracht app list | head -1`) or a broken terminal raise when
# kracht prints: the user's surroundings, not a bug.
_OUTPUT_ERRORS = {28, 32, 5, 9}  # ENOSPC, EPIPE, EIO, EBADF


def _quietly_close_stdout() -> None:
    """Let go of a standard output that cannot take more, so exiting does not fail again."""
    import os

    try:
        sys.stdout.flush()
    except OSError:
        pass
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):
        pass


GLOBAL_OPTIONS = {"--as": "EMAIL", "--db": "PATH|URL", "--config": "FILE"}
_NO_ARGS_IS_HELP = getattr(click.exceptions, "NoArgsIsHelpError", ())  # click 8.2 and later


def _usage_problem(error: click.UsageError, argv: Sequence[str] | None) -> str:
    """A usage error as one line: click's message and where the help is, not its usage block.

    The global options go before the command; given after it, the line says so."""
    ctx = error.ctx
    path = ctx.command_path if ctx else _command_path(argv)
    if (
        isinstance(error, click.NoSuchOption)
        and error.option_name in GLOBAL_OPTIONS
        and ctx is not None
        and ctx.parent is not None
    ):
        name = error.option_name
        command = path.removeprefix("kracht").strip()
        return f"{name} goes before the command: kracht {name} {GLOBAL_OPTIONS[name]} {command} ..."
    if isinstance(error, click.NoSuchOption) and error.option_name[1:].isdigit():
        return (
            f"{error.option_name} is not accepted: ids are whole numbers from 1, and numbers "
            f"here are never negative (see `{path} --help`)"
        )
    return f"{_one_line(error.format_message())} (see `{path} --help`)"


def _refuse_repeated(args: Sequence[str]) -> None:
    """An option that takes one value, given twice (`--amount 5 --amount 6`), is a usage error:
    click would silently keep the last one."""
    command: click.Command = cli
    seen: set[str] = set()
    words = iter(args)
    for word in words:
        if word == "--":
            return
        if isinstance(command, click.Group) and word in command.commands:
            command, seen = command.commands[word], set()
            continue
        name = word.split("=", 1)[0]
        option = _single_value_option(command, name) if name.startswith("-") else None
        if option is None:
            continue
        if option.name in seen:
            raise click.UsageError(f"{name} is given twice; give it once")
        seen.add(option.name or name)
        if "=" not in word:
            next(words, None)  # its value, which may itself start with a dash


def _single_value_option(command: click.Command, name: str) -> click.Option | None:
    for param in command.params:
        if isinstance(param, click.Option) and name in (*param.opts, *param.secondary_opts):
            takes_one = not (param.multiple or param.is_flag or param.count)
            return param if takes_one else None
    return None


def _command_path(argv: Sequence[str] | None) -> str:
    """The command the arguments name (`kracht budget show`), for errors click raises without
    a context, such as an option given without its value."""
    words, command = ["kracht"], cli
    for arg in sys.argv[1:] if argv is None else argv:
        if isinstance(command, click.Group) and arg in command.commands:
            words.append(arg)
            command = command.commands[arg]
    return " ".join(words)


def _one_line(message: str) -> str:
    return " ".join(message.split()).removesuffix(".")


def _database_problem(error: Exception) -> str | None:
    """Name database problems the user can fix (wrong URL, server down, no schema, a value the
    database cannot hold, a file that is no database)."""
    if type(error).__module__ != "sqlalchemy.exc":
        return None
    text = str(getattr(error, "orig", error)).strip().splitlines()[0]
    if "no such table" in text or "does not exist" in text and "relation" in text:
        return f"the database has no kracht schema ({text}); run `kracht init`"
    if "no such column" in text or "does not exist" in text and text.startswith("column"):
        return f"the database's schema is older than this kracht ({text}); run `kracht init`"
    if type(error).__name__ == "OperationalError":
        return f"cannot use the database: {text}"
    if type(error).__name__ == "DataError":
        return f"the database refused a value as out of range or malformed ({text})"
    if type(error).__name__ == "DatabaseError":  # exactly: IntegrityError and the like are bugs
        said = "SQLite" if type(getattr(error, "orig", None)).__module__ == "sqlite3" else "it"
        return f"the database is damaged or not a kracht database ({said} said: {text})"
    return None


if __name__ == "__main__":
    raise SystemExit(main())
