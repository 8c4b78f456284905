"""Rendering the programme reports from the Jinja2 templates in workflow/reports/templates/.

Rendering is strict: a template that names a figure the data does not hold fails at once.
Every value is escaped for its format: HTML by Jinja2's autoescape; Markdown by `markdown_text`,
so that a title or narrative neither carries raw HTML into the document nor forges its structure
(a table cell, a new row, a heading).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from kracht.workflow.reports import words

if TYPE_CHECKING:
    import jinja2

TEMPLATES = Path(__file__).resolve().parent / "templates"


@cache
def environment(fmt: str = "html", language: str = "en") -> jinja2.Environment:
    """The templates' environment for one format ("html" or "md") and language ("nl", "en")."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        finalize=markdown_text if fmt == "md" else None,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(words.filters(language))
    env.filters["dash"] = lambda value: "-" if value in (None, "") else value
    env.filters["cell"] = env.filters["dash"]  # a table cell: escaped like every value
    env.globals["_"] = words.translator(language)
    env.globals["language"] = language
    return env


MARKDOWN_ESCAPES = str.maketrans(
    {"\\": "\\\\", "|": "\\|", "&": "&amp;", "<": "&lt;", ">": "&gt;"}
    | {c: f"\\{c}" for c in "[]`*"}  # no link, image, code or emphasis from what people typed
)
BLOCK_MARKER = re.compile(r"#|[-+*](?= )|\d{1,9}(?=[.)] )")  # a heading, a list item


def markdown_text(value: Any) -> Markup:
    """A value as Markdown text that stays inside its table cell or line: whitespace (newlines
    too) collapses to single spaces; backslash, `|`, `&`, `<` and `>` are escaped, as are the
    marks of links, images, code and emphasis, and a heading or list marker it begins with.
    Markup (a macro's output) passes as it is."""
    if isinstance(value, Markup):
        return value
    text = " ".join(str(value).split()).translate(MARKDOWN_ESCAPES)
    marker = BLOCK_MARKER.match(text)
    if marker:
        at = marker.end() if text[0].isdigit() else 0  # "1. x" becomes "1\. x"
        text = f"{text[:at]}\\{text[at:]}"
    return Markup(text)


def summary(data: dict[str, Any]) -> list[tuple[str, str]]:
    """The headline figures, labelled, in the order both formats show them."""
    language = data["language"]
    _ = words.translator(language)
    if data["kind"] in ("accounts", "plan"):
        return _cycle_summary(data, _)
    t, year = data["totals"], data["year"]
    euros = words.filters(language)["euros"]
    multiplier = words.number(t["multiplier"], language)
    regional = words.number(t["regional_multiplier"], language)
    target = words.number(data["co_financing"]["target"], language)
    return [
        (_("Applications"), str(t["applications"])),
        (_("Projects reporting"), str(t["projects_reporting"])),
        (_("Budget {year}", year=year), euros(t["budget_year_cents"])),
        (_("Committed {year}", year=year), euros(t["committed_year_cents"])),
        (_("Reserved {year}", year=year), euros(t["reserved_year_cents"])),
        (_("Paid out from the {year} budgets", year=year), euros(t["paid_out_year_cents"])),
        (_("Available {year}", year=year), euros(t["available_year_cents"])),
        (_("Granted and reserved, all years"), euros(t["granted_cents"])),
        (_("Co-financing by partners, committed grants"), euros(t["co_financing_cents"])),
        (_("Multiplier on committed grants"), multiplier),
        (
            _("Multiplier on regional public money"),
            _("{value} (target {target})", value=regional, target=target),
        ),
        (_("Spent by the end of {year}", year=year), euros(t["spent_cents"])),
        (_("Progress reports submitted up to {year}", year=year), str(t["reports_submitted"])),
        (late_label(year, data["generated_on"], language), str(t["reports_late"])),
    ]


def _cycle_summary(data: dict[str, Any], _: words.Translate) -> list[tuple[str, str]]:
    """The annual accounts' and the annual plan's headline figures."""
    t, year = data["totals"], data["year"]
    euros = words.filters(data["language"])["euros"]
    rows = [
        (_("Budget {year}", year=year), euros(t["budget_cents"])),
        (_("Committed {year}", year=year), euros(t["committed_cents"])),
        (_("Reserved {year}", year=year), euros(t["reserved_cents"])),
        (_("Paid out from the {year} budgets", year=year), euros(t["paid_out_cents"])),
        (_("Available {year}", year=year), euros(t["available_cents"])),
    ]
    if data["kind"] == "accounts":
        return [
            *rows,
            (_("Development budget {year}", year=year), euros(t["development_cents"])),
            (
                _("Development budget paid out {year}", year=year),
                euros(t["development_paid_out_cents"]),
            ),
        ]
    return [
        (_("Applications in the pipeline"), str(t["applications"])),
        *rows,
        (_("Multi-year grants charged to {year}, total", year=year), euros(t["multi_year_cents"])),
    ]


def late_label(year: int, written_on: str, language: str = "en") -> str:
    """What the late figure counts: reports on periods up to the end of the year reported on,
    past due and not submitted on the day the document is written. Not every late report
    (`kracht monitor late` also counts the periods after the year), and not the reports that
    were late on 31 December of the year."""
    day = words.day(written_on, language)
    return words.translator(language)(
        "Reports on periods up to {year}, late on {day}", year=year, day=day
    )


def render_document(
    data: dict[str, Any], fmt: str, svgs: dict[str, str], names: dict[str, str]
) -> str:
    """The HTML (charts inline) or Markdown (charts as files beside it) of one document."""
    if fmt == "html":
        charts: dict[str, Any] = {key: Markup(_inline(svg)) for key, svg in svgs.items()}
    else:
        charts = names
    template = environment(fmt, data["language"]).get_template(f"{data['kind']}.{fmt}.j2")
    return template.render(**data, charts=charts, summary=summary(data))


def _inline(svg: str) -> str:
    """An SVG document as an element to place inside HTML (no XML declaration or doctype)."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg
