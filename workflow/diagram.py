"""Every view of the road, rendered from the declaration so the picture cannot drift."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from typing_extensions import TypedDict

from kracht.notifications.rules import rules_for
from kracht.states.base import Context
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


class Edge(TypedDict):
    """A move on a route: from, trigger, where it really leads and the stages it passes."""

    source: str
    trigger: str
    dest: str
    passing: list[str]
    when: str | None


def edges(not_applicable: Mapping[str, str] | None = None) -> list[Edge]:
    """Every move of the road (None: every row as declared), or of a route where the given
    stages do not apply: there each move leads past them along the main road, as the engine
    moves; a stage passed has no moves of its own, and a routed row (rework, resume) is kept
    only where it is taken on this route."""
    passed = dict(not_applicable or {})
    found: list[Edge] = []
    for row in TRANSITIONS:
        if not_applicable is not None and row.when is not None:
            if row.dest in passed or not row.when.test(_probe(passed, row.dest)):
                continue
        for source in row.sources:
            if source in passed:
                continue
            dest, passing = row.dest, []
            while dest in passed:
                passing.append(dest)
                dest = next(r.dest for r in TRANSITIONS if r.forward and dest in r.sources)
            label = row.when.label if row.when else None
            found.append(Edge(source=source, trigger=row.trigger, dest=dest, passing=passing,
                              when=label))  # fmt: skip
    return found


def _probe(passed: Mapping[str, str], came_from: str) -> Context:
    """A context for a route's `when` test: the route's stages that do not apply, and an
    application that came from `came_from` (what a resume returns to)."""
    return Context(0, "", came_from, 0, None, {}, not_applicable=passed)


def mermaid(not_applicable: Mapping[str, str] | None = None) -> str:
    """A Mermaid stateDiagram-v2: one edge per (source, transition row), on the route where the
    given stages do not apply (none: the whole road); an edge that passes stages says so."""
    lines = ["stateDiagram-v2", f"    [*] --> {INITIAL}"]
    for edge in edges(not_applicable):
        label = edge["trigger"] + (f" [{edge['when']}]" if edge["when"] else "")
        if edge["passing"]:
            label += " (passing " + ", ".join(edge["passing"]) + ")"
        lines.append(f"    {edge['source']} --> {edge['dest']}: {label}")
    lines += [f"    {state} --> [*]" for state in TERMINAL]
    return "\n".join(lines) + "\n"
