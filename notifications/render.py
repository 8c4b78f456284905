"""Rendering messages and letters from Jinja2 templates, per language.

Templates live in notifications/templates/<language>/. A programme may override any of them from
its own folder, <settings templates folder>/<programme code>/<language>/, which is searched first.
Rendering is strict: a template that uses a variable the caller did not give fails at once (in
the tests), never in a recipient's inbox.

A programme's own templates are confined and sandboxed. Its folder is found only for a valid
programme code (workflow.codes), and every file taken from it must resolve, links followed,
inside the configured templates folder. They render in Jinja's immutable sandbox, which refuses
unsafe attributes (`''.__class__`) and calls that change things; any error in such a template is
one line naming the file (InvalidInput), and the event that wanted the message does not happen.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kracht.basics.codes import RULE, is_programme_code, shown
from kracht.basics.errors import InvalidInput
from kracht.basics.euros import format_euros

if TYPE_CHECKING:
    import jinja2

TEMPLATES = Path(__file__).resolve().parent / "templates"
LANGUAGES = ("nl", "en")
TEMPLATE_NAME = re.compile(r"_?[a-z][a-z0-9_]*\.(?:txt|html)\.j2")


@dataclass(frozen=True)
class Override:
    """A programme's own template folder (resolved) and the templates folder it must stay in."""

    folder: Path
    root: Path


@cache
def environment(override: Override | None = None) -> jinja2.Environment:
    """The template environment; with `override`, that folder is searched before the defaults,
    and everything renders in the sandbox."""
    import jinja2
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    shipped = jinja2.FileSystemLoader(str(TEMPLATES))
    options: dict[str, Any] = {
        "undefined": jinja2.StrictUndefined,
        "autoescape": jinja2.select_autoescape(["html", "html.j2"]),
        "keep_trailing_newline": True,
        "trim_blocks": True,
        "lstrip_blocks": True,
    }
    if override is None:  # the shipped templates do not change while kracht runs
        env = jinja2.Environment(loader=shipped, auto_reload=False, **options)
    else:
        own = jinja2.FunctionLoader(lambda name: _confined_source(override, name))
        loader = jinja2.ChoiceLoader([own, shipped])
        env = ImmutableSandboxedEnvironment(loader=loader, **options)
    env.filters["euros_nl"] = lambda cents: format_euros(cents, "nl")
    env.filters["euros_en"] = lambda cents: format_euros(cents, "en")
    env.filters["day_nl"] = lambda value: _day(value, "nl")
    env.filters["day_en"] = lambda value: _day(value, "en")
    return env


def _day(value: object, language: str) -> str:
    """A day (a date or YYYY-MM-DD) as its readers write it: `13 december 2018`; anything
    else as it is."""
    import datetime as dt

    from kracht.basics.moments import day

    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            return value
    return day(value, language) if isinstance(value, dt.date) else str(value)


def render(
    name: str,
    language: str,
    context: dict[str, Any],
    programme: str | None = None,
    *,
    templates: str = "",
) -> str:
    """Render <language>/<name>, from the programme's own folder inside `templates` (the
    settings' templates folder, "" for none) where it has that template."""
    return render_in(override_folder(templates, programme), name, language, context)


def render_in(override: Override | None, name: str, language: str, context: dict[str, Any]) -> str:
    """Render <language>/<name> from `override` (as `override_folder` found it) where it has
    that template, else from the shipped ones: for several messages of one programme."""
    if language not in LANGUAGES:
        raise ValueError(f"no templates in language {language!r}")
    if not TEMPLATE_NAME.fullmatch(name):
        raise ValueError(f"{name!r} is not a template name")
    template = f"{language}/{name}"
    if override is None:
        return environment().get_template(template).render(**context)
    return _render_sandboxed(environment(override), template, context, override)


@cache
def shipped_uses(templates: tuple[str, ...], variable: str) -> bool:
    """Whether any shipped template of these names (.txt.j2 and .html.j2, any language), or any
    shipped partial (_*.j2) they may include, mentions `variable`."""
    names = {f"{t}.{kind}.j2" for t in templates for kind in ("txt", "html")}
    for path in TEMPLATES.rglob("*.j2"):
        if (path.name in names or path.name.startswith("_")) and variable in path.read_text(
            encoding="utf-8"
        ):
            return True
    return False


def override_folder(folder: str, programme: str | None) -> Override | None:
    """The programme's template folder inside `folder` (the settings' templates folder, "" for
    none), when there is one.

    Refused, in one line: a programme code that is no valid code (an old database may hold
    one), and a folder that resolves outside the templates folder (a link)."""
    if not (folder and programme):
        return None
    if not is_programme_code(programme):
        raise InvalidInput(
            f"programme code {shown(programme)} cannot name a templates folder; a programme "
            f"code is {RULE}"
        )
    root = Path(folder).resolve()
    path = root / programme
    if not path.is_dir():
        return None
    real = path.resolve()
    if not real.is_relative_to(root):
        raise InvalidInput(
            f"templates folder {path} leads to {real}, outside the templates folder {root}: "
            "put the programme's templates inside it, not behind a link"
        )
    return Override(real, root)


def _confined_source(override: Override, name: str) -> tuple[str, str, Callable[[], bool]] | None:
    """A template from the programme's folder, or None where it has none; a file that
    resolves outside the templates folder is refused, never read."""
    from jinja2.loaders import split_template_path

    path = override.folder.joinpath(*split_template_path(name))
    if not path.is_file():
        return None
    real = path.resolve()
    if not real.is_relative_to(override.root):
        raise InvalidInput(
            f"template {path} leads to {real}, outside the templates folder {override.root}: "
            "copy the template into the folder instead of linking to it"
        )
    try:
        source, stamp = real.read_text(encoding="utf-8"), real.stat().st_mtime_ns
    except UnicodeDecodeError:
        raise InvalidInput(f"template {path} is not UTF-8 text: save it as UTF-8") from None
    return source, str(path), lambda: _unchanged(path, real, stamp)


def _unchanged(path: Path, real: Path, stamp: int) -> bool:
    """Whether a loaded template still is what was read (Jinja's cache asks before reuse)."""
    try:
        return path.resolve() == real and real.stat().st_mtime_ns == stamp
    except OSError:
        return False


def _render_sandboxed(
    env: jinja2.Environment, template: str, context: dict[str, Any], override: Override
) -> str:
    """Render in the sandbox; an error in one of the programme's own templates is one line."""
    import jinja2

    try:
        return env.get_template(template).render(**context)
    except (jinja2.TemplateError, ArithmeticError, TypeError, ValueError, LookupError) as error:
        # a template's own computation failing ({{ 1/0 }}, {{ "%s" % (1, 2) }}) is its author's
        where = _failing_template(error)
        if where is None or not Path(where[0]).is_relative_to(override.folder):
            raise  # a shipped template failed: a bug in kracht, not the programme's doing
        problem = _problem(error)
        raise InvalidInput(
            f"template {where[0]}, line {where[1]}: {problem}; fix or remove the template"
        ) from None


def _problem(error: Exception) -> str:
    """What went wrong, in one line."""
    import jinja2

    if isinstance(error, jinja2.TemplateNotFound):
        return f"it uses a template that does not exist or may not be used: {error.name!r}"
    if isinstance(error, jinja2.TemplateError):
        return (error.message or type(error).__name__).splitlines()[0].rstrip(".")
    said = str(error).splitlines()[0] if str(error) else ""
    return f"{type(error).__name__}: {said}" if said else type(error).__name__


def _failing_template(error: Exception) -> tuple[str, int] | None:
    """The template file and line where `error` arose (Jinja puts them in the traceback)."""
    import jinja2

    if isinstance(error, jinja2.TemplateSyntaxError) and error.filename:
        return error.filename, error.lineno
    found = None
    trace = error.__traceback__
    while trace is not None:
        if trace.tb_frame.f_code.co_filename.endswith(".j2"):
            found = (trace.tb_frame.f_code.co_filename, trace.tb_lineno)
        trace = trace.tb_next
    return found
