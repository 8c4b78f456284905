"""Rendering messages and letters from Jinja2 templates, per language.

Templates live in notifications/templates/<language>/. Rendering is strict: a template that uses
a variable the caller did not give fails at once (in the tests), never in a recipient's inbox.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workflow.money import format_euros

if TYPE_CHECKING:
    import jinja2

TEMPLATES = Path(__file__).resolve().parent / "templates"
LANGUAGES = ("nl", "en")


@cache
def environment() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(["html", "html.j2"]),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["euros_nl"] = lambda cents: format_euros(cents, "nl")
    env.filters["euros_en"] = lambda cents: format_euros(cents, "en")
    return env


def render(name: str, language: str, context: dict[str, Any]) -> str:
    """Render templates/<language>/<name>."""
    if language not in LANGUAGES:
        raise ValueError(f"no templates in language {language!r}")
    return environment().get_template(f"{language}/{name}").render(**context)
