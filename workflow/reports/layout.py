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

from kracht.basics.euros import format_euros

if TYPE_CHECKING:
    import jinja2

TEMPLATES = Path(__file__).resolve().parent / "templates"


@cache
def environment(fmt: str = "html") -> jinja2.Environment:
    """The templates' environment for one format: "html" or "md"."""
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
    env.filters["euros"] = lambda cents: format_euros(cents)
    env.filters["dash"] = lambda value: "-" if value in (None, "") else value
    env.filters["percent"] = lambda value: "-" if value is None else f"{value:g}%"
    env.filters["cell"] = env.filters["dash"]  # a table cell: escaped like every value
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
    t, year = data["totals"], data["year"]
    multiplier = "-" if t["multiplier"] is None else f"{t['multiplier']:g}"
    regional = "-" if t["regional_multiplier"] is None else f"{t['regional_multiplier']:g}"
    return [
        ("Applications", str(t["applications"])),
        ("Projects reporting", str(t["projects_reporting"])),
        (f"Budget {year}", format_euros(t["budget_year_cents"])),
        (f"Committed {year}", format_euros(t["committed_year_cents"])),
        (f"Reserved {year}", format_euros(t["reserved_year_cents"])),
        (f"Paid out from the {year} budgets", format_euros(t["paid_out_year_cents"])),
        (f"Available {year}", format_euros(t["available_year_cents"])),
        ("Granted and reserved, all years", format_euros(t["granted_cents"])),
        ("Co-financing by partners, committed grants", format_euros(t["co_financing_cents"])),
        ("Multiplier on committed grants", multiplier),
        (
            "Multiplier on regional public money",
            f"{regional} (target {data['co_financing']['target']:g})",
        ),
        (f"Spent by the end of {year}", format_euros(t["spent_cents"])),
        (f"Progress reports submitted up to {year}", str(t["reports_submitted"])),
        (late_label(year, data["generated_on"]), str(t["reports_late"])),
    ]


def late_label(year: int, written_on: str) -> str:
    """What the late figure counts: reports on periods up to the end of the year reported on,
    past due and not submitted on the day the document is written. Not every late report
    (`kracht monitor late` also counts the periods after the year), and not the reports that
    were late on 31 December of the year."""
    return f"Reports on periods up to {year}, late on {written_on}"


def render_document(
    data: dict[str, Any], fmt: str, svgs: dict[str, str], names: dict[str, str]
) -> str:
    """The HTML (charts inline) or Markdown (charts as files beside it) of one document."""
    if fmt == "html":
        charts: dict[str, Any] = {key: Markup(_inline(svg)) for key, svg in svgs.items()}
    else:
        charts = names
    template = environment(fmt).get_template(f"{data['kind']}.{fmt}.j2")
    return template.render(**data, charts=charts, summary=summary(data))


def _inline(svg: str) -> str:
    """An SVG document as an element to place inside HTML (no XML declaration or doctype)."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg
