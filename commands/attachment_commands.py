"""`kracht attach`, `kracht attachments` and `kracht attachment get`: documents attached to an
application, its steering decision or a progress report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from kracht.commands.options import (
    APPLICATION_ID,
    FILE,
    IdType,
    Settings,
    emit_json,
    emit_table,
    json_option,
    pass_settings,
    write_binary_out,
)

ATTACHMENT_ID = IdType("attachment")
KINDS = ("proposal", "budget", "final_report", "other")  # workflow/services/attachments.KINDS


def _to(row: dict[str, Any]) -> str:
    if row["belongs_to"] == "report":
        return f"report {row['report']}"
    if row["belongs_to"] == "decision":
        return f"decision (event {row['decision_seq']})"
    return "application"


def _where(row: dict[str, Any]) -> str:
    to = _to(row)
    of = f"application {row['application_id']}"
    return of if to == "application" else f"the {to} of {of}"


@click.command("attach")
@click.argument("application_id", type=APPLICATION_ID)
@click.argument("file", type=FILE)
@click.option(
    "--kind",
    type=click.Choice(KINDS),
    default="other",
    show_default=True,
    help="What the document is.",
)
@click.option("--report", "report", metavar="LABEL", help="Attach it to this progress report.")
@click.option("--decision", is_flag=True, help="Attach it to the latest steering decision.")
@pass_settings
def attach(
    s: Settings, application_id: int, file: Path, kind: str, report: str | None, decision: bool
) -> None:
    """Attach FILE to an application (PDF, XLSX/XLS, DOCX/DOC, ODT/ODS, CSV, TXT, PNG, JPEG),
    or to one of its progress reports or its steering decision; its SHA-256 goes in the trail."""
    from kracht.basics.files import read_bytes
    from kracht.workflow.services import attachments

    if report is not None and decision:
        raise click.UsageError("give --report LABEL or --decision, not both")
    limit = s.units().settings.attachments.max_bytes
    data = read_bytes(file, limit + 1)  # one byte beyond the limit: the service names it
    result = s.run(
        attachments.add, application_id, file.name, data, kind=kind, report=report,
        decision=decision,
    )  # fmt: skip
    row = result["attachment"]
    click.echo(
        f"attachment {row['id']} ({row['file_name']}, {row['media_type']}, {row['size']:,} "
        f"bytes) added to {_where(row)}; "
        f"SHA-256 {row['sha256']}"
    )


@click.command("attachments")
@click.argument("application_id", type=APPLICATION_ID)
@json_option
@pass_settings
def attachments_list(s: Settings, application_id: int, as_json: bool) -> None:
    """An application's attachments: what each belongs to, its kind, name, size and SHA-256."""
    from kracht.workflow.services import attachments

    rows = s.run(attachments.list_attachments, application_id)
    if as_json:
        return emit_json(rows)
    shown = [{**r, "to": _to(r), "sha256": r["sha256"][:16] + "…"} for r in rows]
    emit_table(shown, ["id", "number", "to", "kind", "file_name", "size", "added_by", "sha256"])


@click.group("attachment")
def attachment() -> None:
    """One attachment: get its bytes."""


@attachment.command("get")
@click.argument("attachment_id", type=ATTACHMENT_ID)
@click.option("-o", "--out", type=FILE, help="Write it to this file [default: standard output].")
@pass_settings
def attachment_get(s: Settings, attachment_id: int, out: Path | None) -> None:
    """Write an attachment's bytes, checked against its SHA-256 (exit 7 when they differ)."""
    from kracht.workflow.services import attachments

    found = s.run(attachments.read, attachment_id)
    write_binary_out(found["data"], out, f"attachment {attachment_id}")
