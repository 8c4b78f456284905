"""`kracht committee`, `score`, `scores` and `advice`: the assessment committee."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from kracht.basics.errors import InvalidInput
from kracht.commands.options import (
    APPLICATION_ID,
    FILE,
    Settings,
    emit_json,
    emit_table,
    json_option,
    pass_settings,
    write_out,
)

if TYPE_CHECKING:
    from kracht.workflow.services.round_scores import RowDone

T = TypeVar("T")


@click.group()
def committee() -> None:
    """The assessment committee (beoordelingscommissie): members and their interests."""


MEMBERS = click.option(
    "--member",
    "members",
    multiple=True,
    required=True,
    metavar="EMAIL",
    help="A committee member to assign; repeat for several.",
)


@committee.command("assign")
@click.argument("application_id", type=APPLICATION_ID)
@MEMBERS
@pass_settings
def committee_assign(s: Settings, application_id: int, members: tuple[str, ...]) -> None:
    """Assign committee members, all or none; one linked to the applicant or a partner is
    recused at once."""
    from kracht.workflow.services import assignment

    for result in s.run(assignment.assign_all, application_id, members):
        recused = f" and recused: {result['recused']}" if "recused" in result else ""
        click.echo(f"assigned {result['member']} to application {application_id}{recused}")


@committee.command("assign-round")
@click.argument("round_label", metavar="ROUND")
@MEMBERS
@pass_settings
def committee_assign_round(s: Settings, round_label: str, members: tuple[str, ...]) -> None:
    """Assign committee members to every application of ROUND that is with the committee, one
    transaction per application (recusals computed for each); a refusal for one application is
    named and the others go on."""
    from kracht.workflow.services import assignment

    def assign(application_id: int) -> str:
        done = s.run(assignment.assign_all, application_id, members)
        recused = [f"{r['member']} recused: {r['recused']}" for r in done if "recused" in r]
        return f"assigned {len(done)} member(s)" + (f"; {'; '.join(recused)}" if recused else "")

    _each_of_round(s, round_label, ("assessment_committee", "kracht_scoring"), assign)


def _each_of_round(s: Settings, round_label: str, states: tuple[str, ...], step) -> None:  # type: ignore[no-untyped-def]
    """`step` for each application of the round in `states`, each its own unit of work; the
    first refusal's exit code at the end, after every application had its turn."""
    from kracht.workflow.services import rounds

    ids = s.run(rounds.in_round, round_label, states)
    if not ids:
        raise InvalidInput(f"no application of round {round_label!r} is {' or '.join(states)}")
    items = [(f"application {application_id}", application_id) for application_id in ids]
    _each(items, step, f"round {round_label}", "application(s) done")


def _each(items: list[tuple[str, T]], step: Callable[[T], str], whole: str, done: str) -> None:
    """`step` for each item (named by its label), each on its own: a refusal is named and the
    others go on; the count done at the end, then the first refusal's exit code."""
    from kracht.basics.errors import KrachtError
    from kracht.commands import hints

    refused: list[KrachtError] = []
    for label, item in items:
        try:
            click.echo(f"{label}: {step(item)}")
        except KrachtError as error:
            refused.append(error)
            click.echo(f"kracht: {label}: {hints.line(error)}", err=True)
    click.echo(f"{whole}: {len(items) - len(refused)} of {len(items)} {done}", err=True)
    if refused:
        raise SystemExit(refused[0].exit_code)


@committee.command("declare")
@click.argument("application_id", type=APPLICATION_ID)
@click.option("--none", "no_conflict", is_flag=True, help="Declare no conflict of interest.")
@click.option("--conflict", metavar="TEXT", help="Declare a conflict of interest (recuses you).")
@pass_settings
def committee_declare(
    s: Settings, application_id: int, no_conflict: bool, conflict: str | None
) -> None:
    """Declare your interests in an application before you score it or see its scores."""
    from kracht.workflow.services import assignment

    if no_conflict == (conflict is not None):
        raise InvalidInput("declare either --none or --conflict TEXT")
    result = s.run(assignment.declare, application_id, conflict)
    recused = f"; you are recused: {result['recused']}" if "recused" in result else ""
    click.echo(f"declared {result['declaration']} for application {application_id}{recused}")


@committee.command("show")
@click.argument("application_id", type=APPLICATION_ID)
@json_option
@pass_settings
def committee_show(s: Settings, application_id: int, as_json: bool) -> None:
    """Members, declarations and recusals, and who has submitted."""
    from kracht.workflow.services import score_sheets

    view = s.run(score_sheets.view, application_id)
    if as_json:
        return emit_json(view)
    submitted = set(view["rounds"][-1]["submitted"]) if view["rounds"] else set()
    for member in view["members"]:
        member["submitted"] = "yes" if member["member"] in submitted else "no"
    emit_table(
        view["members"], ["member", "name", "declaration", "recused", "recusal_reason", "submitted"]
    )


@click.group()
def score() -> None:
    """Your own KRACHT scores: drafts until you submit, final after."""


@score.command("set")
@click.argument("application_id", type=APPLICATION_ID)
@click.argument("criterion", required=False)
@click.argument("value", required=False)
@click.option("--motivation", help="Why this score.")
@click.option(
    "--file",
    type=FILE,
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
    from kracht.commands.display import load_scores
    from kracht.workflow.services import score_sheets

    values = load_scores(file) if file else {}
    if criterion is not None:
        if value is None:
            raise InvalidInput(f"give a score for {criterion}")
        values[criterion] = (value, motivation or "")
    result = s.run(score_sheets.score, application_id, values)
    scored = ", ".join(f"{k} {v}" for k, v in result["draft"].items())
    click.echo(f"draft scores for application {application_id}: {scored}")


@score.command("submit")
@click.argument("application_id", type=APPLICATION_ID)
@pass_settings
def score_submit(s: Settings, application_id: int) -> None:
    """Submit your score sheet; it is final from then on, and you may see the others'."""
    from kracht.workflow.services import score_sheets

    s.run(score_sheets.submit, application_id)
    click.echo(f"submitted your score sheet for application {application_id}")


@score.command("correct")
@click.argument("application_id", type=APPLICATION_ID)
@click.argument("criterion")
@click.argument("value")
@click.option("--motivation", required=True)
@click.option("--reason", required=True, help="Why the submitted score is corrected.")
@pass_settings
def score_correct(
    s: Settings, application_id: int, criterion: str, value: str, motivation: str, reason: str
) -> None:
    """Correct a submitted score; the old score stays on record."""
    from kracht.workflow.services import score_sheets

    result = s.run(score_sheets.correct, application_id, criterion, value, motivation, reason)
    click.echo(f"corrected {criterion}: {result['old']} -> {result['new']}")


@click.group()
def scores() -> None:
    """The committee's scores, as far as you may see them."""


@scores.command("open-round")
@click.argument("round_label", metavar="ROUND")
@click.option("--deadline", metavar="DATE", help="The scoring deadline (YYYY-MM-DD), for all.")
@click.option(
    "--opened-on",
    metavar="DATE",
    help="Recording a past round: the day scoring opened (YYYY-MM-DD, not in the future); the "
    "deadline may then have passed, but not before this day [default: today].",
)
@pass_settings
def scores_open_round(
    s: Settings, round_label: str, deadline: str | None, opened_on: str | None
) -> None:
    """Open KRACHT scoring for every application of ROUND with the committee, one transaction
    per application; one that is not ready is named (what it needs) and the others open."""
    from kracht.workflow import engine

    given = {"scoring_deadline": deadline, "scoring_opened_on": opened_on}
    values = {name: value for name, value in given.items() if value} or None

    def open_one(application_id: int) -> str:
        moved = s.run(engine.fire, application_id, "open_scoring", values=values)
        return f"{moved['from']} -> {moved['to']}"

    _each_of_round(s, round_label, ("assessment_committee",), open_one)


@scores.command("template")
@click.argument("round_label", metavar="ROUND")
@click.option("--output", "-o", type=FILE, help="CSV file to write (default: standard output).")
@pass_settings
def scores_template(s: Settings, round_label: str, output: Path | None) -> None:
    """Your own score sheet for ROUND, to fill in and bring in with `kracht scores import`.

    One row per application of the round assigned to you, not recused, with scoring open and
    your sheet not yet submitted, filled in with your draft scores. Columns: application, title
    and, per criterion of the round's frozen scoring, its key (the score) and KEY_motivation.
    A cell that a spreadsheet would run as a formula starts with a quote."""
    from kracht.workflow.services import round_scores

    sheet = s.run(round_scores.template, round_label)
    for left in sheet["left_out"]:
        click.echo(f"left out application {left['application_id']}: {left['reason']}", err=True)
    for application_id in sheet["undeclared"]:
        click.echo(
            f"application {application_id}: declare your interests before you bring the file "
            f"in: `kracht committee declare {application_id} --none` or `--conflict TEXT`",
            err=True,
        )
    text = "".join(line + "\n" for line in sheet["lines"])
    write_out(text, output, f"your sheet of {len(sheet['applications'])} application(s)")


@scores.command("import")
@click.argument("round_label", metavar="ROUND")
@click.argument("file", type=FILE)
@click.option("--submit", is_flag=True, help="Submit each row's sheet after its scores: final.")
@click.option("--dry-run", is_flag=True, help="Check every row as it would go; write nothing.")
@pass_settings
def scores_import(s: Settings, round_label: str, file: Path, submit: bool, dry_run: bool) -> None:
    """Bring in your score sheet for ROUND (as `kracht scores template` writes it), one
    transaction per application, audited as `kracht score set` and `kracht score submit` are.

    The file as a whole is checked first: a problem with its text, columns or sizes, an
    application cell that is not an id, or an application on two rows refuses it, and nothing
    is written. Then each row goes on its own, as `kracht scores open-round` goes through a
    round: a refused row (its line, application and column named) writes nothing and the others
    go on; the exit code is the first refusal's. Scores are whole numbers on the round's scale,
    each with a motivation. A blank score cell leaves that score as it stands, and a score given
    as it stands is not written again, so the same file may be brought in again once a refused
    row is put right. With --submit each row's sheet is submitted after its scores, in the same
    transaction (a sheet already submitted, given as it stands, is left alone). The separators
    and encodings are those of `kracht app import`."""
    from kracht.workflow.services import round_scores

    read = s.run(round_scores.read, round_label, file)
    if read.note:
        click.echo(f"{file.name}: {read.note}", err=True)
    run = s.try_out if dry_run else s.run

    def bring_in(row: round_scores.Row) -> str:
        return _row_done(run(round_scores.score_row, round_label, row, submit), dry_run)

    items = [(f"line {row.line}, application {row.application_id}", row) for row in read.rows]
    done = "row(s) would go in (a dry run: nothing written)" if dry_run else "row(s) brought in"
    _each(items, bring_in, file.name, done)


def _row_done(done: RowDone, dry_run: bool) -> str:
    """What a row did (or would do, in a dry run), in a few words."""
    parts = []
    if done["drafted"]:
        scored = ", ".join(f"{k} {v}" for k, v in done["drafted"].items())
        parts.append(f"{'would set' if dry_run else 'set'} draft scores {scored}")
    if done["unchanged"]:
        parts.append(f"{', '.join(done['unchanged'])} as they stood")
    if done["submitted"]:
        parts.append("would submit the sheet" if dry_run else "submitted the sheet")
    elif done["already_submitted"]:
        parts.append("the sheet was submitted already")
    return "; ".join(parts) or "nothing filled in: left as it stood"


@scores.command("show")
@click.argument("application_id", type=APPLICATION_ID)
@json_option
@pass_settings
def scores_show(s: Settings, application_id: int, as_json: bool) -> None:
    """Score matrix and aggregate per criterion (blind until you submitted your own)."""
    from kracht.commands.display import show_scores
    from kracht.workflow.services import score_sheets

    view = s.run(score_sheets.view, application_id)
    if as_json:
        return emit_json(view)
    click.echo(show_scores(view))


@scores.command("ranking")
@click.option("--round", "round_label", required=True, help="Round, e.g. 2018-1.")
@json_option
@pass_settings
def scores_ranking(s: Settings, round_label: str, as_json: bool) -> None:
    """All applications of a round side by side, best weighted total first."""
    from kracht.workflow.services import score_sheets

    rows = s.run(score_sheets.ranking, round_label)
    if as_json:
        return emit_json(rows)
    emit_table(
        rows, ["id", "title", "state", "sheets", "weighted_total", "knock_outs", "disagreements"]
    )


@scores.command("export")
@click.option("--round", "round_label", required=True, help="Round, e.g. 2018-1.")
@click.option("--output", "-o", type=FILE, help="CSV file to write.")
@pass_settings
def scores_export(s: Settings, round_label: str, output: Path | None) -> None:
    """The round's score matrix as CSV, every revision of every score."""
    from kracht.workflow.services import score_sheets

    text = "".join(line + "\n" for line in s.run(score_sheets.export_matrix, round_label))
    write_out(text, output, f"{text.count(chr(10)) - 1} scores")


@click.command()
@click.argument("application_id", type=APPLICATION_ID)
@click.argument("advice_value", metavar="ADVICE")
@click.option("--rationale", required=True)
@pass_settings
def advice(s: Settings, application_id: int, advice_value: str, rationale: str) -> None:
    """The chair's joint advice (positive, positive_with_conditions or negative), once the
    quorum has scored; the application moves on to the steering decision."""
    from kracht.workflow.services import score_sheets

    result = s.run(score_sheets.advise, application_id, advice_value, rationale)
    click.echo(
        f"application {application_id}: advice {advice_value}; {result['from']} -> {result['to']}"
    )
