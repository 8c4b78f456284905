"""The pages, one module for each part of the work. Each module has a `router`; it may add
entries to the menu (`MENU`: (order, path, word, roles that see it; empty: everyone)) and words
of its own (`WORDS`: {language: {key: text}}), which its templates read as `t.key`."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from types import ModuleType

MenuEntry = tuple[int, str, str, tuple[str, ...]]


@cache
def modules() -> tuple[ModuleType, ...]:
    """Every page module, by name."""
    return tuple(
        importlib.import_module(f"{__name__}.{found.name}")
        for found in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name)
    )


@cache
def menu() -> tuple[MenuEntry, ...]:
    """The menu of every page module, in order."""
    return tuple(sorted(entry for m in modules() for entry in getattr(m, "MENU", ())))


@cache
def words() -> dict[str, dict[str, str]]:
    """The words every page module adds, by language."""
    found: dict[str, dict[str, str]] = {}
    for module in modules():
        for language, texts in getattr(module, "WORDS", {}).items():
            clash = set(found.get(language, {})) & set(texts)
            assert not clash, f"{module.__name__} redefines the words {sorted(clash)}"
            found.setdefault(language, {}).update(texts)
    return found
