"""`kracht audit`: verify the trail (alone or against checkpoints), export it, make the key that
signs checkpoints, sign one, and prove an event or an extension against one."""

from __future__ import annotations

import json
from pathlib import Path

import click

from kracht.commands.options import (
    FILE,
    Settings,
    emit_json,
    json_option,
    pass_settings,
    write_out,
)

BROKEN = 7  # the exit code of a trail that does not hold (README, "Exit codes")
SHOWN = 20  # table rows that differ from the trail, named one per line; the rest counted


@click.group()
def audit() -> None:
    """The append-only audit trail, its Merkle tree and signed checkpoints."""


@audit.command("verify")
@click.option(
    "--against",
    "against",
    type=FILE,
    multiple=True,
    help="A checkpoint kept earlier: the trail must extend it (repeatable).",
)
@click.option("--key", type=FILE, help="The verifier key of the checkpoints' signer.")
@json_option
@pass_settings
def audit_verify(s: Settings, against: tuple[Path, ...], key: Path | None, as_json: bool) -> None:
    """Walk the hash chain and rebuild the Merkle tree, then rebuild every application from the
    trail and compare it with the tables; exit 0 when all holds, 7 naming the first broken
    event, each table row that differs from the trail, or the checkpoint the trail no longer
    extends and how (cut, cut and refilled, rewritten)."""
    from kracht.workflow.services import auditing

    checkpoints = [_checkpoint(s, path, key) for path in against]
    checked = s.run(auditing.verify_against, checkpoints)
    if as_json:
        _emit_checked(checked, against)
    if not checked.verdict.intact:
        verdict = checked.verdict
        click.echo(
            f"kracht: audit trail broken at event #{verdict.broken_seq}: {verdict.problem}; "
            f"the {verdict.events} events before it verify",
            err=True,
        )
        raise SystemExit(BROKEN)
    if not as_json:
        _say_intact(checked, against)
    _say_failures(checked, against)
    if not checked.holds:
        raise SystemExit(BROKEN)


def _emit_checked(checked, against: tuple[Path, ...]) -> None:  # type: ignore[no-untyped-def]
    verdict = checked.verdict
    emit_json(
        {
            **verdict.__dict__,
            "first_after": {str(k): v for k, v in verdict.first_after.items()},
            "checkpoints": [
                {"file": str(p), "size": r.checkpoint.size, "case": r.case, "detail": r.detail}
                for p, r in zip(against, checked.against, strict=True)
            ],
            "disagreements": [d.line() for d in checked.disagreements],
        }
    )


def _say_intact(checked, against: tuple[Path, ...]) -> None:  # type: ignore[no-untyped-def]
    verdict = checked.verdict
    click.echo(f"audit trail intact: {verdict.events} events verified")
    if not checked.disagreements:
        click.echo(f"the tables agree with the trail; Merkle tree root {verdict.root}")
    for path, result in zip(against, checked.against, strict=True):
        if result.case is None:
            point = result.checkpoint
            click.echo(
                f"extends checkpoint {path} ({point.origin}, {point.size} events): "
                "consistency proven"
            )


def _say_failures(checked, against: tuple[Path, ...]) -> None:  # type: ignore[no-untyped-def]
    for disagreement in checked.disagreements[:SHOWN]:
        click.echo(f"kracht: the tables differ from the trail: {disagreement.line()}", err=True)
    if len(checked.disagreements) > SHOWN:
        more = len(checked.disagreements) - SHOWN
        click.echo(f"kracht: ... and {more} more rows differ (--json lists them all)", err=True)
    for path, result in zip(against, checked.against, strict=True):
        if result.case is not None:
            click.echo(
                f"kracht: the trail does not extend checkpoint {path} "
                f"({result.checkpoint.size} events): {result.case}: {result.detail}",
                err=True,
            )


@audit.command("export")
@click.option("--format", "fmt", default="jsonl", show_default=True, help="csv or jsonl.")
@click.option("--output", "-o", type=FILE, help="File to write.")
@pass_settings
def audit_export(s: Settings, fmt: str, output: Path | None) -> None:
    """Export every audit event, in chain order, as CSV or JSON Lines."""
    from kracht.workflow.services import auditing

    lines = list(s.run(auditing.export, fmt))
    text = "".join(line + "\n" for line in lines)
    write_out(text, output, f"{max(len(lines) - (fmt == 'csv'), 0)} events")


@audit.command("keygen")
@click.option(
    "--name",
    required=True,
    help="The trail's name in its checkpoints: a schema-less URL (agendavoortwente.nl/kracht).",
)
@click.option(
    "--out",
    type=FILE,
    default=Path("kracht-audit.key"),
    show_default=True,
    help="The private key's file (a new one); the verifier key goes beside it as FILE.pub.",
)
def audit_keygen(name: str, out: Path) -> None:
    """Make the Ed25519 key that signs checkpoints. Keep it outside the database (its path in
    the settings: [audit] key, or KRACHT_AUDIT_KEY); give FILE.pub to the auditors."""
    from kracht.basics.checkpoints import SigningKey
    from kracht.basics.files import write_secret, write_text

    key = SigningKey.generate(name)
    public = out.with_name(out.name + ".pub")
    if public.exists():
        from kracht.basics.errors import InvalidInput

        raise InvalidInput(f"{public} exists already; name a new file")
    write_secret(out, key.private_text())
    write_text(public, key.verifier().text())
    click.echo(f"wrote the signing key to {out} (only you may read it) and its verifier key to")
    click.echo(f"{public}: {key.verifier().text().strip()}")
    click.echo(f"set [audit] key = {str(out.resolve())!r} in kracht.toml (or KRACHT_AUDIT_KEY)")


@audit.command("checkpoint")
@click.option("--out", type=FILE, help="File to write (else standard output).")
@pass_settings
def audit_checkpoint(s: Settings, out: Path | None) -> None:
    """Sign the Merkle tree's size and root as a C2SP checkpoint. Keep copies where the
    database's administrator cannot reach them: `audit verify --against` checks the trail
    against them later."""
    from kracht.workflow.services import auditing

    text = s.run(auditing.checkpoint, _signing_key(s))
    write_out(text, out, f"the checkpoint of {text.splitlines()[1]} events")


@audit.command("prove")
@click.argument("seq", type=int, required=False)
@click.option("--checkpoint", "point", type=FILE, help="Prove against this checkpoint's tree.")
@click.option("--since", type=FILE, help="Prove that today's tree extends this checkpoint's.")
@click.option("--key", type=FILE, help="The verifier key of the checkpoint's signer.")
@pass_settings
def audit_prove(
    s: Settings, seq: int | None, point: Path | None, since: Path | None, key: Path | None
) -> None:
    """Print a proof as JSON: that event SEQ is in the tree (of the checkpoint, else of today),
    or with --since that today's tree extends the checkpoint's (RFC 9162)."""
    from kracht.basics.errors import InvalidInput
    from kracht.workflow.services import auditing

    if (seq is None) == (since is None):
        raise InvalidInput("give either an event's SEQ or --since CHECKPOINT", field="seq")
    if since is not None:
        old = _checkpoint(s, since, key)
        proof: object = s.run(auditing.consistency, old.size, old.origin)
    else:
        assert seq is not None
        opened = _checkpoint(s, point, key) if point else None
        origin = (
            opened.origin
            if opened
            else _signing_key(
                s, "or prove against a checkpoint (--checkpoint FILE --key FILE.pub)"
            ).name
        )
        proof = s.run(auditing.prove, seq, origin, opened.size if opened else None)
        if opened and proof["root"] != opened.root.hex():  # type: ignore[index]
            click.echo(
                f"kracht: the tree kracht keeps does not have {point}'s root at its size",
                err=True,
            )
            raise SystemExit(BROKEN)
    click.echo(json.dumps(proof, indent=2))


def _signing_key(s: Settings, instead: str = ""):  # type: ignore[no-untyped-def]
    from kracht.basics.checkpoints import read_signing_key
    from kracht.basics.errors import InvalidInput
    from kracht.basics.files import read_text

    where = s.units().settings.audit.key
    if not where:
        raise InvalidInput(
            "no key signs checkpoints yet: make one with `kracht audit keygen --name NAME` and "
            "set [audit] key in the settings (or KRACHT_AUDIT_KEY)"
            + (f"; {instead}" if instead else "")
        )
    return read_signing_key(read_text(Path(where)), where)


def _checkpoint(s: Settings, path: Path, key: Path | None):  # type: ignore[no-untyped-def]
    """The checkpoint in `path`, its signature verified with `key` (a verifier key file), else
    with the configured signing key's; a checkpoint that does not verify ends the command."""
    from kracht.basics.checkpoints import BadCheckpoint, read_verifier
    from kracht.basics.files import read_text

    verifier = read_verifier(read_text(key), str(key)) if key else _signing_key(s).verifier()
    try:
        return verifier.open(read_text(path))
    except BadCheckpoint as error:
        click.echo(f"kracht: checkpoint {path} does not verify: {error}", err=True)
        raise SystemExit(BROKEN) from None
