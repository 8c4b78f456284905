"""The web interface from the command line: `kracht serve`, invitations and API tokens."""

from __future__ import annotations

import click

from kracht.commands.options import (
    CONTEXT,
    Settings,
    emit_json,
    emit_table,
    json_option,
    pass_settings,
)


@click.command(context_settings=CONTEXT)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@pass_settings
def serve(s: Settings, host: str, port: int) -> None:
    """Run the web interface and the JSON API (stop with Ctrl-C). Run `kracht scheduler run`
    beside it to send mail and reminders."""
    import uvicorn

    from kracht.web.server import create_app, secure_for

    units = s.units()
    secure = secure_for(host, units.settings.web.base_url)
    click.echo(f"kracht on http://{host}:{port}/ (database {units.database.url})", err=True)
    uvicorn.run(create_app(units, secure=secure), host=host, port=port, log_level="warning",
                proxy_headers=False, server_header=False)  # fmt: skip


@click.command("invite", context_settings=CONTEXT)
@click.argument("email")
@click.option("--print", "show", is_flag=True, help="Print the link (as well as mailing it).")
@click.option("--no-mail", is_flag=True, help="Do not mail the link; print it instead.")
@json_option
@pass_settings
def invite(s: Settings, email: str, show: bool, no_mail: bool, as_json: bool) -> None:
    """Invite a person to the web interface: a single-use link to choose their password,
    mailed through the outbox (needs [web] base_url) and, with --print, printed."""
    from kracht.workflow.services import accounts

    made = s.run(accounts.invite, email, show_link=show or no_mail, mail=not no_mail)
    if as_json:
        return emit_json(made)
    how = "mailed (it goes out with `kracht outbox send`)" if made["mailed"] else "not mailed"
    click.echo(f"invited {made['name']} <{made['email']}>: link {how}, valid until "
               f"{made['expires_at']}")  # fmt: skip
    if "link" in made:
        click.echo(made["link"])


@click.group(context_settings=CONTEXT)
def token() -> None:
    """Personal access tokens for the JSON API."""


@token.command("create")
@click.option("--name", required=True, help="What uses the token, such as 'monitoring export'.")
@click.option("--role", "roles", multiple=True, metavar="ROLE",
              help="A role it acts with (default: all yours); repeat for several.")  # fmt: skip
@click.option("--days", default=90, show_default=True, type=click.IntRange(0, 366),
              help="Days it lasts; 0 for never.")  # fmt: skip
@json_option
@pass_settings
def token_create(s: Settings, name: str, roles: tuple[str, ...], days: int, as_json: bool) -> None:
    """Make a token for the person --as names; it is printed once and kept only as a hash."""
    from kracht.workflow.services import accounts

    made = s.run(accounts.create_token, name, list(roles) or None, days or None)
    if as_json:
        return emit_json(made)
    click.echo(made["token"])
    expires = made["expires_at"] or "never"
    click.echo(
        f"token {made['prefix']}... ({', '.join(made['roles'])}), expires {expires}: keep it "
        "now, it is not shown again",
        err=True,
    )


@token.command("list")
@json_option
@pass_settings
def token_list(s: Settings, as_json: bool) -> None:
    """Your tokens (never the tokens themselves)."""
    from kracht.workflow.services import accounts

    rows = s.run(accounts.list_tokens)
    if as_json:
        return emit_json(rows)
    emit_table(rows, ["id", "prefix", "name", "roles", "expires_at", "used_at", "active"])


@token.command("revoke")
@click.argument("token_id", type=int)
@pass_settings
def token_revoke(s: Settings, token_id: int) -> None:
    """Revoke one of your tokens (a programme leader: anyone's)."""
    from kracht.workflow.services import accounts

    shown = s.run(accounts.revoke_token, token_id)
    click.echo(f"revoked token {shown['prefix']}... ({shown['name']})")
