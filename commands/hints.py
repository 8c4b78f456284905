"""How an error reads on the command line: its plain message with the CLI's hints.

Below the CLI, errors name fields and carry facts; here a field becomes its option (`reason` ->
`--reason`) and an error's kind and facts add the `kracht ...` command that helps next.
"""

from __future__ import annotations

import re
from typing import Any

from kracht.basics.errors import (
    ConcurrentChange,
    GuardRefused,
    InvalidInput,
    KrachtError,
    NotFound,
    NotIdentified,
    WorkflowVersionMismatch,
)

# A field whose option is not `--` + its name with dashes.
OPTIONS = {
    "budget_year": "--year",
    "member": "--member EMAIL",
    "target_date": "--by YYYY-MM-DD",
    "measures_taken": "--measures TEXT",
    "messages": "--all-dead",
    "values": "--set NAME=VALUE",
    "payment_amount": "AMOUNT",
    "paid_on": "--on DATE",
    "planned_on": "--planned DATE",
    "attachment_file": "FILE",
    "file_name": "FILE",
}

# What to run when a record is not found, by its kind (and whether it was a filter's value).
NOT_FOUND: dict[str | tuple[str, bool], str] = {
    "application": "`kracht app list` shows every application",
    "programme": "see `kracht programme list`",
    "person": "add them with `kracht people add`",
    ("person", True): "`kracht people list` shows them",
    "organisation": "add it with `kracht org add`",
    "message": "`kracht outbox list`",
    "condition": "`kracht conditions list --application {application}`",
    "line": "see `kracht programme list`",
    "payment": "`kracht payment list` shows every payment",
    "attachment": "`kracht attachments ID` lists an application's attachments",
    "report": "`kracht monitor schedule {application}` lists its reports",
}

# How to meet a guard's need, by the need's key (a field's option, or a command).
NEEDS = {
    "reason": "--reason",
    "budget": "`kracht budget set`",
    "reports_due": "`kracht monitor late`",
    "final_values": "`kracht monitor value`",
    "conditions_met": "`kracht conditions list`",
    "members_assigned": "`kracht committee assign`",
}
# Needs that name a field in their parentheses: the option goes beside the field's name.
NEED_FIELDS = {
    "budget_year": "`--year`",
    "spread_until": "`--spread-until`",
    "decided_on": "`--decided-on`",
    "deferred_on": "`--decided-on`",
}

# Whole lines for refusals whose next step is a command, by the error's `step` fact.
STEPS = {
    "declare_before_advice": (
        "{actor} has not declared their interests in application {application}: "
        "`kracht committee declare {application} --none` comes before the advice"
    ),
    "declare_first": (
        "declare your interests first: `kracht committee declare {application} --none` or "
        "`--conflict TEXT`"
    ),
    "correct_score": "your score sheet is submitted and final; use `kracht score correct`",
    "set_score": "your sheet is still a draft: change the score with `kracht score set`",
    "record_with_trigger": (
        "{section} data is recorded only with the trigger {triggers}, e.g. "
        "`kracht app fire {application} {trigger} --set NAME=VALUE`"
    ),
    "budget_amount": "give either --amount or both --inhabitants and --per-inhabitant",
    "first_leader": "the first person must be a programme leader (--role programme_leader)",
    "name_retries": "name the messages to retry, or give --all-dead",
    "no_values": "nothing to record: give at least one --set NAME=VALUE or a --file",
    "replace_demo": "{path} exists; pass --replace to overwrite it with the demo",
    "list_fields": "unknown field {name!r}; `kracht workflow fields` lists every recordable field",
}


def line(error: KrachtError) -> str:
    """The one line the CLI prints for `error` (after `kracht: `)."""
    facts = error.facts
    step = facts.get("step")
    if step in STEPS:
        return STEPS[step].format(**facts)
    if isinstance(error, NotIdentified):
        if error.email is None:
            return "say who you are: pass --as EMAIL or set KRACHT_USER"
        return (
            f"no person with e-mail {error.email!r}; a programme leader adds people with "
            "`kracht people add`"
        )
    if isinstance(error, ConcurrentChange):
        return (
            f"application {error.application_id} was changed by someone else; "
            f"run `kracht app show {error.application_id}` to reload it and try again"
        )
    if isinstance(error, WorkflowVersionMismatch):
        return (
            f"application {error.application} runs under workflow version {error.version}, but "
            f"this kracht declares version {error.declared}; move it explicitly with "
            f"`kracht app upgrade-workflow {error.application}`"
        )
    if isinstance(error, NotFound):
        return _not_found(error)
    if isinstance(error, GuardRefused):
        return f"cannot {error.trigger} application {error.application_id}: needs " + "; ".join(
            need_line(m) for m in error.missing
        )
    if isinstance(error, InvalidInput) and error.field:
        return with_option(str(error), error.field, error.label, bool(facts.get("bare")))
    return str(error)


def option(field: str) -> str:
    """The option that gives `field` on the command line."""
    return OPTIONS.get(field, "--" + field.replace("_", "-"))


def with_option(message: str, field: str, label: str | None, bare: bool = False) -> str:
    """`message` with the option beside the words naming its field: "a reason (--reason)";
    a field named by its bare name becomes the option itself ("--until 2030-01-01 lies ...")."""
    flag = option(field)
    words = label or field.replace("_", " ")
    found = re.search(rf"(?<!\w){re.escape(words)}(?!\w)", message)  # whole words only
    if found is None:
        return f"{message} ({flag})"
    start, end = found.span()
    named = flag.split()[0] if bare else f"{words} ({flag})"
    return message[:start] + named + message[end:]


def need_line(missing: str) -> str:
    """One missing need with how to meet it: "a reason (--reason)"."""
    need = getattr(missing, "need", None)
    if need in NEED_FIELDS and f"({need};" in missing:
        return missing.replace(f"({need};", f"({need}, {NEED_FIELDS[need]};", 1)
    hint = NEEDS.get(need or "")
    if hint is None:
        return str(missing)
    if missing.endswith(")"):
        return f"{missing[:-1]}; {hint})"
    return f"{missing} ({hint})"


def need_lines(error: GuardRefused) -> list[str]:
    """Each missing need of `error` with how to meet it."""
    return [need_line(m) for m in error.missing]


def _not_found(error: NotFound) -> str:
    hint = NOT_FOUND.get((error.what, True)) if error.listing else None
    hint = hint or NOT_FOUND.get(error.what)
    facts: dict[str, Any] = error.facts
    parts = [f"no {error.what} {error.key!r}", error.within]
    parts += [hint.format(**facts) if hint else "", error.then]
    return "; ".join(part for part in parts if part)
