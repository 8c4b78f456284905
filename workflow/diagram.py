"""Every view of the road, rendered from the declaration so the picture cannot drift."""

from __future__ import annotations

from typing import Any

from kracht.notifications.rules import rules_for
from kracht.states.sections import MODULES
from kracht.workflow.definition import (
    INITIAL,
    ON_LEAVE,
    STATES,
    TERMINAL,
    TRANSITIONS,
    WORKFLOW_VERSION,
    Transition,
)
from kracht.workflow.effects import said


def as_data() -> dict[str, Any]:
    """The declaration as JSON-ready data: states, groups, and every transition with its guard."""
    return {
        "workflow_version": WORKFLOW_VERSION,
        "states": list(STATES),
        "initial": INITIAL,
        "terminal": list(TERMINAL),
        "transitions": [
            {
                "trigger": row.trigger,
                "sources": list(row.sources),
                "dest": row.dest,
                "roles": [str(r) for r in row.roles],
                "when": row.when.label if row.when else None,
                "forward": row.forward,
                "requires": [need for guard in row.guards for need in guard.requires],
                "waivable_stages": [g.stage for g in row.guards if g.stage is not None],
                "checks": [said(check) for check in row.checks],
                "effects": does(row),
                "events": [
                    {"event": event, "recipients": [r.recipients for r in rules_for(event)]}
                    for event in row.events
                ],
            }
            for row in TRANSITIONS
        ],
    }


def table_rows() -> list[dict[str, str]]:
    return [
        {
            "from": ", ".join(row.sources),
            "trigger": row.trigger,
            "to": row.dest + (f" (when {row.when.label})" if row.when else ""),
            "roles": ", ".join(str(r) for r in row.roles),
            "requires": "; ".join(n for g in row.guards for n in g.requires) or "-",
        }
        for row in TRANSITIONS
    ]


def effect_lines() -> list[tuple[str, list[str], list[str]]]:
    """Per trigger that does anything besides moving: (trigger, what it does, what it sends)."""
    lines: dict[str, tuple[list[str], list[str]]] = {}
    for row in TRANSITIONS:
        does_, sends = lines.setdefault(row.trigger, ([], []))
        for line in [*(f"check: {said(c)}" for c in row.checks), *does(row)]:
            if line not in does_:
                does_.append(line)
        for event in row.events:
            line = f"{event} to " + ", ".join(r.recipients for r in rules_for(event))
            if line not in sends:
                sends.append(line)
    return [(trigger, d, m) for trigger, (d, m) in lines.items() if d or m]


def does(row: Transition) -> list[str]:
    """What a move does besides moving: its own effects, then what leaving its sources ends."""
    leaving = [
        f"{said(effect)} (leaving {source})"
        for source in row.sources
        for effect in ON_LEAVE.get(source, ())
    ]
    return [said(effect) for effect in row.effects] + leaving


def fields_rows() -> list[dict[str, str]]:
    return [
        {
            "stage": m.STAGE,
            "field": f.name,
            "kind": f.kind + (f" ({'|'.join(f.choices)})" if f.choices else ""),
            "recorded by": ", ".join(str(r) for r in m.RECORDERS),
            "meaning": f.help,
        }
        for m in MODULES
        for f in m.FIELDS
    ]


def mermaid() -> str:
    """A Mermaid stateDiagram-v2: one edge per (source, transition row)."""
    lines = ["stateDiagram-v2", f"    [*] --> {INITIAL}"]
    for row in TRANSITIONS:
        label = row.trigger + (f" [{row.when.label}]" if row.when else "")
        lines += [f"    {source} --> {row.dest}: {label}" for source in row.sources]
    lines += [f"    {state} --> [*]" for state in TERMINAL]
    return "\n".join(lines) + "\n"
