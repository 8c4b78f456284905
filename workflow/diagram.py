"""Every view of the road, rendered from the declaration so the picture cannot drift."""

from __future__ import annotations

from typing import Any

from kracht.states.sections import MODULES
from kracht.workflow.definition import INITIAL, STATES, TERMINAL, TRANSITIONS, WORKFLOW_VERSION


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
