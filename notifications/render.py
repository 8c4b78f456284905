"""Rendering messages and letters from Jinja2 templates, per language.

Templates live in notifications/templates/<language>/. A programme may override any of them from
its own folder, <settings templates folder>/<programme code>/<language>/, which is searched first.
Rendering is strict: a template that uses a variable the caller did not give fails at once (in
the tests), never in a recipient's inbox.
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
def environment(override: str | None = None) -> jinja2.Environment:
    """The template environment; with `override`, that folder is searched before the defaults."""
    import jinja2

    folders = [override, str(TEMPLATES)] if override else [str(TEMPLATES)]
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folders),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(["html", "html.j2"]),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["euros_nl"] = lambda cents: format_euros(cents, "nl")
    env.filters["euros_en"] = lambda cents: format_euros(cents, "en")
    return env


def render(name: str, language: str, context: dict[str, Any], programme: str | None = None) -> str:
    """Render <language>/<name>, from the programme's own folder where it has that template."""
    if language not in LANGUAGES:
        raise ValueError(f"no templates in language {language!r}")
    return (
        environment(override_folder(programme)).get_template(f"{language}/{name}").render(**context)
    )


def override_folder(programme: str | None) -> str | None:
    """The programme's template folder, when the settings name a templates folder and it exists."""
    from notifications.settings import load

    folder = load().templates.folder
    if not (folder and programme):
        return None
    path = Path(folder) / programme
    return str(path) if path.is_dir() else None
