"""Where stage data can be recorded: every stage module with fields, by name."""

from __future__ import annotations

from types import ModuleType

from kracht.basics.errors import InvalidInput
from kracht.states import (
    approved_with_conditions,
    assessment_committee,
    deferred,
    ecosystem_analysis,
    idea,
    innovation_table,
    kracht_scoring,
    monitoring,
    proposal,
    steering_decision,
)
from kracht.states.base import Field

MODULES: tuple[ModuleType, ...] = (
    idea,
    innovation_table,
    ecosystem_analysis,
    proposal,
    assessment_committee,
    kracht_scoring,
    steering_decision,
    approved_with_conditions,
    deferred,
    monitoring,
)
SECTIONS: dict[str, ModuleType] = {m.STAGE: m for m in MODULES}
FIELDS: dict[str, tuple[str, Field]] = {f.name: (m.STAGE, f) for m in MODULES for f in m.FIELDS}


def field_named(name: str, section: str | None = None) -> tuple[str, Field]:
    """The (section, field) for a field name; field names are unique across all sections."""
    if name not in FIELDS:
        raise InvalidInput(
            f"unknown field {name!r}; the workflow lists every recordable field",
            step="list_fields",
            name=name,
        )
    owner, spec = FIELDS[name]
    if section is not None and owner != section:
        raise InvalidInput(f"field {name!r} belongs to stage {owner!r}, not {section!r}")
    return owner, spec


def section_named(name: str) -> ModuleType:
    if name not in SECTIONS:
        raise InvalidInput(f"unknown stage {name!r}; choose one of " + ", ".join(SECTIONS))
    return SECTIONS[name]
