"""Rendering a page: the template with the person's words, their form token and the formats of
their language (euros and dates the Dutch way for Dutch readers)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from kracht.basics import moments
from kracht.basics.euros import format_euros
from kracht.web import guard, labels
from kracht.web.texts import preferred, words
from kracht.workflow.services.accounts import Signer

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


def templates() -> Jinja2Templates:
    """The page templates, autoescaped (names ending .html.j2)."""
    made = Jinja2Templates(directory=str(TEMPLATES))
    env = made.env
    env.autoescape = True
    env.trim_blocks, env.lstrip_blocks = True, True
    env.filters["euros"] = lambda cents, language="nl": format_euros(cents or 0, language)
    env.filters["day"] = _day
    env.filters["moment"] = _moment
    for table in labels.TABLES:  # stage(lang), move(lang), role(lang), ...: the names people read
        env.filters[table] = _named(table)
    env.filters["value"] = labels.value
    env.filters["need"] = labels.need
    env.filters["refusal"] = labels.refusal
    env.filters["spaced"] = labels.spaced
    return made


def _named(table: str) -> Callable[[object, str], str]:
    return lambda identifier, language="nl": labels.name(table, identifier, language)


def page(
    request: Request,
    template: str,
    who: Signer | None,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    """The page `template` for `who` (None: before signing in, in the browser's language)."""
    language = who["language"] if who else preferred(request.headers.get("accept-language"))
    csrf = who["csrf"] if who else guard.form_token(request)
    response = guard.site(request).templates.TemplateResponse(
        request,
        template,
        {
            "who": who,
            "t": words(language),
            "lang": language,
            "csrf": csrf,
            "menu": _menu(who),
            **context,
        },
        status_code=status,
    )
    return response  # type: ignore[return-value]


def _menu(who: Signer | None) -> list[tuple[str, str]]:
    """The menu entries `who` sees: (path, word)."""
    from kracht.web import pages

    if who is None:
        return []
    roles = who["actor"].roles
    return [(path, word) for _, path, word, only in pages.menu() if not only or roles & set(only)]


def _day(value: str | dt.date | None, language: str = "nl") -> str:
    if not value:
        return ""
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
    return moments.day(day, language)


def _moment(value: str | dt.datetime | None, language: str = "nl") -> str:
    if not value:
        return ""
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moments.moment(moment, language)
