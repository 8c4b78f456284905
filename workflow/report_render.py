"""Rendering the programme reports from the Jinja2 templates in workflow/report_templates/.

Rendering is strict: a template that names a figure the data does not hold fails at once.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workflow.money import format_euros

if TYPE_CHECKING:
    import jinja2

TEMPLATES = Path(__file__).resolve().parent / "report_templates"


@cache
def environment() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(["html.j2"]),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["euros"] = lambda cents: format_euros(cents)
    env.filters["dash"] = lambda value: "-" if value in (None, "") else value
    env.filters["percent"] = lambda value: "-" if value is None else f"{value:g}%"
    env.filters["cell"] = lambda value: (
        "-" if value in (None, "") else " ".join(str(value).split()).replace("|", "\\|")
    )
    return env


def summary(data: dict[str, Any]) -> list[tuple[str, str]]:
    """The headline figures, labelled, in the order both formats show them."""
    t, year = data["totals"], data["year"]
    multiplier = "-" if t["multiplier"] is None else f"{t['multiplier']:g}"
    return [
        ("Applications", str(t["applications"])),
        ("Projects reporting", str(t["projects_reporting"])),
        (f"Budget {year}", format_euros(t["budget_year_cents"])),
        (f"Committed {year}", format_euros(t["committed_year_cents"])),
        (f"Reserved {year}", format_euros(t["reserved_year_cents"])),
        (f"Available {year}", format_euros(t["available_year_cents"])),
        ("Granted and reserved, all years", format_euros(t["granted_cents"])),
        ("Co-financing by partners, committed grants", format_euros(t["co_financing_cents"])),
        (
            "Multiplier on committed grants",
            f"{multiplier} (target {data['co_financing']['target']:g})",
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
    from markupsafe import Markup

    if fmt == "html":
        charts: dict[str, Any] = {key: Markup(_inline(svg)) for key, svg in svgs.items()}
    else:
        charts = names
    template = environment().get_template(f"{data['kind']}.{fmt}.j2")
    return template.render(**data, charts=charts, summary=summary(data))


def _inline(svg: str) -> str:
    """An SVG document as an element to place inside HTML (no XML declaration or doctype)."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg
