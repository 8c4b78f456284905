"""The error kinds: each maps to its exit code and HTTP status, carries its facts, and speaks
plain words below the CLI, which adds the options and `kracht ...` commands itself."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from kracht.basics import errors
from kracht.basics.errors import (
    ConcurrentChange,
    Damaged,
    Field,
    GuardFailed,
    GuardRefused,
    InvalidInput,
    KrachtError,
    Missing,
    NotAllowed,
    NotFound,
    NotIdentified,
    NotPermitted,
    StaleVersion,
    WorkflowVersionMismatch,
    WrongState,
    invalid,
)
from kracht.commands import hints

ROOT = Path(__file__).resolve().parents[1]
BELOW_THE_CLI = ("workflow", "notifications", "states", "basics", "storage")

EXAMPLES: dict[type[KrachtError], tuple[KrachtError, int, int, dict[str, object]]] = {
    KrachtError: (KrachtError("the file cannot be read", path="x.csv"), 1, 400, {"path": "x.csv"}),
    InvalidInput: (
        InvalidInput("a correction needs a reason", field="reason", label="a reason"),
        1,
        400,
        {"field": "reason", "label": "a reason"},
    ),
    NotFound: (NotFound("application", 999), 1, 404, {"what": "application", "key": 999}),
    NotAllowed: (
        NotAllowed("application 3 is rejected; its record is final", application=3),
        4,
        409,
        {"application": 3},
    ),
    NotIdentified: (NotIdentified("x@example.org"), 4, 401, {"email": "x@example.org"}),
    NotPermitted: (
        NotPermitted(
            "a@example.org",
            "advance application 3",
            roles_held=["auditor"],
            roles_needed=["programme_leader"],
        ),
        4,
        403,
        {
            "actor": "a@example.org",
            "action": "advance application 3",
            "roles_held": ["auditor"],
            "roles_needed": ["programme_leader"],
        },
    ),
    WrongState: (
        WrongState(3, "idea", "decide", ["advance", "withdraw"]),
        4,
        409,
        {
            "application": 3,
            "state": "idea",
            "trigger": "decide",
            "possible": ["advance", "withdraw"],
        },
    ),
    WorkflowVersionMismatch: (
        WorkflowVersionMismatch(3, 1, 2),
        4,
        409,
        {"application": 3, "version": 1, "declared": 2},
    ),
    GuardRefused: (
        GuardRefused("advance", 3, [Missing("a reason", "reason"), "a title"]),
        5,
        422,
        {"application": 3, "trigger": "advance", "missing": ["a reason", "a title"]},
    ),
    ConcurrentChange: (
        ConcurrentChange(3, 4, 5),
        6,
        409,
        {"application": 3, "expected": 4, "actual": 5},
    ),
    Damaged: (
        Damaged("attachment 2 is damaged", what="attachment", key=2, expected="ab", found="cd"),
        7,
        500,
        {"what": "attachment", "key": 2, "expected": "ab", "found": "cd"},
    ),
}


def test_every_kind_has_an_example():
    assert set(EXAMPLES) == set(errors.KINDS)


@pytest.mark.parametrize("kind", errors.KINDS, ids=lambda k: k.__name__)
def test_each_kind_maps_to_its_exit_code_and_http_status_and_carries_its_facts(kind):
    error, exit_code, status, facts = EXAMPLES[kind]
    assert type(error) is kind
    assert (kind.exit_code, kind.http_status) == (exit_code, status)
    assert {k: error.facts[k] for k in facts} == facts
    problem = error.as_problem()
    assert problem["type"] == errors.PROBLEM_BASE + kind.kind
    assert (problem["title"], problem["status"], problem["detail"]) == (
        kind.title,
        status,
        str(error),
    )
    assert {k: problem[k] for k in facts} == facts
    for name, value in facts.items():  # the facts are attributes too, where the kind names them
        if hasattr(error, name):
            assert getattr(error, name) == value


def test_the_old_names_still_catch_what_they_caught():
    assert GuardFailed is GuardRefused
    assert StaleVersion is ConcurrentChange
    for kind in (NotPermitted, NotIdentified, WrongState, WorkflowVersionMismatch):
        assert issubclass(kind, NotAllowed)
        assert kind.exit_code == 4
    refused = GuardRefused("advance", 3, [Missing("a reason", "reason")])
    assert refused.missing == ["a reason"]
    assert refused.needs == ["reason"]
    assert str(refused) == "cannot advance application 3: needs a reason"


def test_kinds_carry_their_facts_as_attributes():
    error = NotPermitted("a@example.org", "x", roles_held=["auditor"], roles_needed=["applicant"])
    assert (error.actor, error.roles_held, error.roles_needed) == (
        "a@example.org",
        ["auditor"],
        ["applicant"],
    )
    assert str(error) == "a@example.org (auditor) may not x: needs the role applicant"
    state = WrongState(3, "idea", "decide", ["advance"])
    assert (state.application, state.state, state.trigger, state.possible) == (
        3,
        "idea",
        "decide",
        ["advance"],
    )
    stale = ConcurrentChange(3, 4, 5)
    assert (stale.application_id, stale.expected, stale.actual) == (3, 4, 5)
    found = NotFound("person", "x@example.org", then="nobody was assigned")
    assert (found.what, found.key, str(found)) == (
        "person",
        "x@example.org",
        "no person 'x@example.org'; nobody was assigned",
    )
    given = invalid(Field("a reason", "reason"), "a reason must not be empty")
    assert (given.field, given.label) == ("reason", "a reason")


# -- the CLI's hints ----------------------------------------------------------------------------


def test_the_cli_names_the_option_and_the_command():
    line = hints.line
    assert line(InvalidInput("a correction needs a reason", field="reason", label="a reason")) == (
        "a correction needs a reason (--reason)"
    )
    until = Field("the end date", "until", bare=True)
    assert line(invalid(until, f"{until} 2030-01-01 lies before the start 2031-01-01")) == (
        "--until 2030-01-01 lies before the start 2031-01-01"
    )
    assert line(NotFound("application", 999)) == (
        "no application 999; `kracht app list` shows every application"
    )
    assert line(NotFound("person", "x@example.org", then="nobody was assigned")) == (
        "no person 'x@example.org'; add them with `kracht people add`; nobody was assigned"
    )
    assert line(NotIdentified()) == "say who you are: pass --as EMAIL or set KRACHT_USER"
    assert line(ConcurrentChange(3)) == (
        "application 3 was changed by someone else; run `kracht app show 3` to reload it and "
        "try again"
    )
    assert line(WorkflowVersionMismatch(3, 1, 2)).endswith("`kracht app upgrade-workflow 3`")
    needs = [
        Missing("a reason", "reason"),
        Missing("every condition met (1 still open)", "conditions_met"),
    ]
    assert line(GuardRefused("close", 3, needs)) == (
        "cannot close application 3: needs a reason (--reason); every condition met "
        "(1 still open; `kracht conditions list`)"
    )


# -- no CLI words below the CLI -------------------------------------------------------------------

OPTION = re.compile(r"(?<![\w-])--[a-z]")


def _command_words() -> re.Pattern[str]:
    from kracht.cli import cli

    names = "|".join(sorted(map(re.escape, cli.commands), key=len, reverse=True))
    return re.compile(rf"\bkracht (?:{names})\b")


# Calls whose string arguments become what a user reads: the errors, a guard's needs, fields.
MESSAGE_CALLS = {kind.__name__ for kind in errors.KINDS} | {
    "GuardFailed",
    "Need",
    "Missing",
    "Field",
    "invalid",
}


def cli_words(source: str, filename: str = "<source>") -> list[str]:
    """The CLI options and `kracht ...` commands in string literals of raise statements and of
    the calls that build error messages, as `file:line: text`."""
    command = _command_words()
    found: dict[tuple[int, int], str] = {}
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Raise) and node.exc is not None:
            scanned: ast.AST = node.exc
        elif isinstance(node, ast.Call) and _name(node.func) in MESSAGE_CALLS:
            scanned = node
        else:
            continue
        for part in ast.walk(scanned):
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                if OPTION.search(part.value) or command.search(part.value):
                    where = (part.lineno, part.col_offset)
                    found[where] = f"{filename}:{part.lineno}: {part.value}"
    return [found[where] for where in sorted(found)]


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def test_the_scan_finds_a_planted_option_and_command():
    planted = (
        "def f(x):\n"
        "    if x:\n"
        "        raise InvalidInput(f'{x}: give it with --reason')\n"
        "    raise NotFound('application', x, 'run `kracht app list`')\n"
        "NEED = Need('a title (`kracht app record`)', lambda ctx: True)\n"
    )
    assert [hit.split(":")[1] for hit in cli_words(planted)] == ["3", "4", "5"]
    assert (
        cli_words("raise InvalidInput('kracht reads commas; give a reason-text -- or not')") == []
    )


def test_no_message_below_the_cli_names_an_option_or_a_command():
    found = []
    for layer in BELOW_THE_CLI:
        for path in sorted((ROOT / layer).rglob("*.py")):
            found += cli_words(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert found == []
