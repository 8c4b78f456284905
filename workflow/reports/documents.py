"""The programme's four yearly documents (domain.md 7.2), written from the data:

- the annual accounts (jaarrekening, May) and the annual plan (jaarplan, December): the year's
  money and the development budget's cap; the coming year's pipeline and budgets
  (workflow/reports/cycle.py);
- the project monitor "Investeren in Twente" (November): every project's results, indicators
  and reports of the year;
- the annual report "Investeren in Twente" (June): pipeline, money per line and year,
  co-financing and multiplier, traffic lights over time and the year's results.

Each is written as HTML (charts inline), Markdown (charts as SVG files beside it) and PDF (the
HTML printed by WeasyPrint: A4, page numbers) from the Jinja2 templates in
workflow/reports/templates/, which share one print stylesheet (_print.css), in Dutch or English
(workflow/reports/words.py: Babel's Dutch formats in the Dutch editions). Money and the
pipeline are as they stand when the document is written; reports, spending and indicator
values count up to 31 December of the year reported on. Files are written only once everything
has rendered.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kracht.basics.errors import InvalidInput, NotAllowed, NotFound
from kracht.basics.files import write_files
from kracht.storage import funds as money_store
from kracht.storage import reporting as store
from kracht.storage import repository
from kracht.workflow import co_financing
from kracht.workflow.definition import STATES
from kracht.workflow.measurement import progress, target_met
from kracht.workflow.reports import charts, cycle, words
from kracht.workflow.unit import Unit

if TYPE_CHECKING:
    from sqlmodel import Session

KINDS = {  # kind -> (file stem, title, the document's name in the yearly cycle)
    "accounts": ("annual-accounts", "Annual accounts", "Jaarrekening"),
    "annual": ("annual-report", "Annual report", 'Jaarrapportage "Investeren in Twente"'),
    "monitor": ("project-monitor", "Project monitor", 'Projectenmonitor "Investeren in Twente"'),
    "plan": ("annual-plan", "Annual plan", "Jaarplan"),
}
FORMATS = ("html", "md", "pdf")
REPORTING = ("monitoring", "closed")  # projects that report
FUNDED = money_store.COMMITTED_STATES + money_store.RESERVED_STATES
MULTIPLIER_TARGET = float(co_financing.TARGET)
LIGHTS = ("green", "orange", "red")
REPORT_FIELDS = ("label", "kind", "period_start", "period_end", "due_on", "traffic_light",
                 "narrative", "measures", "spent_cents")  # fmt: skip


def write(
    unit: Unit,
    kind: str,
    year: int,
    out: Path,
    programme: str | None = None,
    formats: tuple[str, ...] = FORMATS,
    language: str = "en",
) -> dict[str, Any]:
    """Collect, render and write one document in `formats` (html, md, pdf) and `language` (en,
    nl); returns its title, files and totals."""
    if kind not in KINDS:
        raise InvalidInput(f"unknown report {kind!r}; choose " + ", ".join(KINDS))
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise InvalidInput(
            f"unknown format {(unknown or [''])[0]!r}; choose html, md or pdf", field="format"
        )
    words.checked(language)
    if not 2000 <= year <= 2100:
        raise InvalidInput(f"{year} is not a year to report on")
    db = unit.db
    actor = unit.actor
    if not actor.sees_everything():
        raise NotAllowed(f"{actor.email} may not write programme reports: they cover every project")
    if programme and repository.programme_by_code(db, programme) is None:
        raise NotFound("programme", programme)
    today = unit.clock.today()
    if kind in ("accounts", "plan"):
        data = collect_cycle(db, kind, year, programme, today)
    else:
        data = collect(db, year, programme, today)
    stem, title, document = KINDS[kind]
    data.update(
        kind=kind,
        title=f"{words.translator(language)(title)} {year}",
        document=document,
        stem=f"{stem}-{year}",
        language=language,
    )
    files = render(data, formats)
    written = _write_all(out, files)
    return {"title": data["title"], "files": [str(p) for p in written], "totals": data["totals"]}


def collect(db: Session, year: int, programme: str | None, today: dt.date) -> dict[str, Any]:
    """Every figure both documents show, from set-based queries."""
    end = dt.date(year, 12, 31)
    apps = repository.list_applications(db, programme=programme)
    granted = store.granted_by_application(db)
    reports = store.listing(db, programme=programme)
    data: dict[str, Any] = {
        "year": year,
        "generated_on": today.isoformat(),
        "programme": programme,
        "pipeline": _pipeline(apps),
        "money": _money(db, programme, year),
        "co_financing": _co_financing(db, apps, granted),
        "lights": _lights(reports, end),
        "projects": _projects(db, apps, granted, reports, year, today),
        "late": [
            _late(r, today)
            for r in reports
            if r["status"] == "due" and r["due_on"] < today and r["period_end"] <= end
        ],
    }
    data["totals"] = _totals(data, year)
    return data


def collect_cycle(
    db: Session, kind: str, year: int, programme: str | None, today: dt.date
) -> dict[str, Any]:
    """The annual accounts' or the annual plan's figures (workflow/reports/cycle.py)."""
    data: dict[str, Any] = {"year": year, "generated_on": today.isoformat(), "programme": programme}
    if kind == "accounts":
        data.update(cycle.accounts(db, year, programme))
    else:
        apps = repository.list_applications(db, programme=programme)
        data["pipeline"] = _pipeline([a for a in apps if a["state"] not in cycle.ENDED])
        data.update(cycle.plan(db, year, programme, data["pipeline"]))
    return data


def _pipeline(apps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    counts = {state: sum(1 for a in apps if a["state"] == state) for state in STATES}
    return [{"state": state, "count": n} for state, n in counts.items() if n]


def _money(db: Session, programme: str | None, year: int) -> dict[str, Any]:
    from kracht.storage import payment_rows as payment_store

    rows = money_store.overview(db, programme, None)
    paid = payment_store.paid_by_budget(db, programme, None)
    for row in rows:
        key = (row["programme"], row["line"], row["year"], row["kind"])
        row["paid_out_cents"] = sum(paid.get(key, {}).values())
        row["line"] = row["line"] or "(all lines)"
        row["available_cents"] = (
            row["budget_cents"] - row["committed_cents"] - row["reserved_cents"]
        )
    keys = ("budget_cents", "committed_cents", "reserved_cents", "paid_out_cents",
            "available_cents")  # fmt: skip
    years = sorted({r["year"] for r in rows})
    per_year = [
        {"year": y, **{k: sum(r[k] for r in rows if r["year"] == y) for k in keys}} for y in years
    ]
    this_year = next(
        (y for y in per_year if y["year"] == year), {"year": year, **dict.fromkeys(keys, 0)}
    )
    return {"rows": rows, "years": per_year, "year": this_year}


def _co_financing(
    db: Session, apps: list[dict[str, Any]], granted: dict[int, dict[int, int]]
) -> dict[str, Any]:
    """Partners' money per project, and the multipliers on the committed grants only, as
    `kracht budget show` gives them: partner money per euro granted, and on regional public
    money from the partners' sources (workflow.co_financing); conditional grants are listed,
    their money reserved."""
    from kracht.workflow.services.budgets import ratio

    partners = store.partner_money_by_application(db)
    sources = store.partner_money_by_source(db)
    projects = []
    for a in apps:
        if a["state"] not in FUNDED:
            continue
        grant = sum(granted.get(a["id"], {}).values())
        money = partners.get(a["id"], {"private": 0, "public": 0})
        regional = co_financing.regional(grant, sources.get(a["id"], {}))
        projects.append(
            {
                "id": a["id"],
                "title": a["title"],
                "state": a["state"],
                "committed": a["state"] in money_store.COMMITTED_STATES,
                "granted_cents": grant,
                "private_cents": money["private"],
                "public_cents": money["public"],
                "multiplier": ratio(money["private"] + money["public"], grant),
                **_regional(regional),
            }
        )
    committed = [p for p in projects if p["committed"]]
    total_grant = sum(p["granted_cents"] for p in committed)
    private = sum(p["private_cents"] for p in committed)
    public = sum(p["public_cents"] for p in committed)
    together: dict[str | None, int] = {}
    for p in committed:
        for source, cents in p["by_source"].items():
            together[source] = together.get(source, 0) + cents
    return {
        "projects": projects,
        "granted_cents": total_grant,
        "private_cents": private,
        "public_cents": public,
        "multiplier": ratio(private + public, total_grant),
        **_regional(co_financing.regional(total_grant, together)),
        "reserved_cents": sum(p["granted_cents"] for p in projects if not p["committed"]),
        "target": MULTIPLIER_TARGET,
        "sources": co_financing.SOURCES,
    }


def _regional(regional: co_financing.Regional) -> dict[str, Any]:
    """The figures of a multiplier on regional public money as the documents show them."""
    return {
        "by_source": dict(regional["by_source"]),
        "regional_public_cents": regional["regional_public_cents"],
        "leveraged_cents": regional["leveraged_cents"],
        "regional_multiplier": regional["multiplier"],
    }


def _lights(reports: list[dict[str, Any]], end: dt.date) -> dict[str, Any]:
    """Submitted progress reports per period (up to the year's end), counted per light."""
    periods: dict[str, dict[str, Any]] = {}
    for r in sorted(reports, key=lambda r: (r["period_end"], r["label"])):
        if r["kind"] != "progress" or r["status"] != "submitted" or r["period_end"] > end:
            continue
        period = periods.setdefault(r["label"], {"label": r["label"], **dict.fromkeys(LIGHTS, 0)})
        period[r["traffic_light"]] += 1
    rows = list(periods.values())
    return {"periods": rows, "totals": {light: sum(p[light] for p in rows) for light in LIGHTS}}


def _projects(
    db: Session,
    apps: list[dict[str, Any]],
    granted: dict[int, dict[int, int]],
    reports: list[dict[str, Any]],
    year: int,
    today: dt.date,
) -> list[dict[str, Any]]:
    end = dt.date(year, 12, 31)
    indicators = _indicators(store.indicator_rows(db), end)
    by_application: dict[int, list[dict[str, Any]]] = {}
    for r in reports:  # grouped once, each project's in the listing's order
        by_application.setdefault(r["application_id"], []).append(r)
    result = []
    for a in apps:
        if a["state"] not in REPORTING:
            continue
        own = by_application.get(a["id"], [])
        done = [r for r in own if r["status"] == "submitted" and r["period_end"] <= end]
        latest = done[-1] if done else None
        result.append(
            {
                **{k: a[k] for k in ("id", "title", "state", "programme", "line", "applicant")},
                "granted_cents": sum(granted.get(a["id"], {}).values()),
                "granted_year_cents": granted.get(a["id"], {}).get(year, 0),
                "spent_cents": latest["spent_cents"] if latest else None,
                "latest_light": latest["traffic_light"] if latest else None,
                "latest_label": latest["label"] if latest else None,
                "reports": [_report(r, today) for r in own if r["period_end"].year == year],
                "indicators": indicators.get(a["id"], []),
            }
        )
    return result


def _indicators(rows: list[dict[str, Any]], end: dt.date) -> dict[int, list[dict[str, Any]]]:
    """Per application, each indicator with its latest value measured by `end`."""
    latest: dict[int, dict[str, Any]] = {}
    for row in rows:  # ordered by indicator, then measured_on: the last one kept is the latest
        entry = latest.setdefault(row["indicator_id"], {**row, "value": None, "measured_on": None})
        if row["measured_on"] is not None and row["measured_on"] <= end:
            entry["value"], entry["measured_on"] = row["value"], row["measured_on"]
    result: dict[int, list[dict[str, Any]]] = {}
    for e in latest.values():
        result.setdefault(e["application_id"], []).append(
            {
                "name": e["name"],
                "unit": e["unit"],
                "baseline": e["baseline"],
                "target": e["target"],
                "target_date": e["target_date"].isoformat() if e["target_date"] else None,
                "value": e["value"],
                "measured_on": e["measured_on"].isoformat() if e["measured_on"] else None,
                "progress_percent": progress(e["baseline"], e["target"], e["value"]),
                "target_met": target_met(e["baseline"], e["target"], e["value"]),
            }
        )
    return result


def _report(r: dict[str, Any], today: dt.date) -> dict[str, Any]:
    row = {k: r[k].isoformat() if isinstance(r[k], dt.date) else r[k] for k in REPORT_FIELDS}
    row["status"] = "late" if r["status"] == "due" and r["due_on"] < today else r["status"]
    return row


def _late(r: dict[str, Any], today: dt.date) -> dict[str, Any]:
    return {
        "application_id": r["application_id"],
        "title": r["title"],
        "label": r["label"],
        "due_on": r["due_on"].isoformat(),
        "days_late": (today - r["due_on"]).days,
    }


def _totals(data: dict[str, Any], year: int) -> dict[str, Any]:
    this_year, cofi = data["money"]["year"], data["co_financing"]
    spent = [p["spent_cents"] for p in data["projects"] if p["spent_cents"] is not None]
    return {
        "applications": sum(p["count"] for p in data["pipeline"]),
        "projects_reporting": len(data["projects"]),
        "budget_year_cents": this_year["budget_cents"],
        "committed_year_cents": this_year["committed_cents"],
        "reserved_year_cents": this_year["reserved_cents"],
        "paid_out_year_cents": this_year["paid_out_cents"],
        "available_year_cents": this_year["available_cents"],
        "granted_cents": cofi["granted_cents"] + cofi["reserved_cents"],
        "co_financing_cents": cofi["private_cents"] + cofi["public_cents"],
        "multiplier": cofi["multiplier"],
        "regional_multiplier": cofi["regional_multiplier"],
        "spent_cents": sum(spent),
        "reports_submitted": sum(data["lights"]["totals"].values()),
        "reports_late": len(data["late"]),
    }


# -- rendering and writing ----------------------------------------------------------------------


def render(data: dict[str, Any], formats: tuple[str, ...] = FORMATS) -> dict[str, str | bytes]:
    """Every file of the document: {file name: content}; nothing is written here."""
    from kracht.workflow.reports.layout import render_document

    svgs = _charts(data)
    names = {key: f"{data['stem']}-{key}.svg" for key in svgs}
    files: dict[str, str | bytes] = {}
    if "md" in formats:
        files.update({names[key]: svg for key, svg in svgs.items()})
    html = render_document(data, "html", svgs, names)
    for fmt in formats:
        if fmt == "html":
            files[f"{data['stem']}.html"] = html
        elif fmt == "md":
            files[f"{data['stem']}.md"] = render_document(data, "md", svgs, names)
        else:
            files[f"{data['stem']}.pdf"] = pdf(html)
    return files


def _charts(data: dict[str, Any]) -> dict[str, str]:
    """The document's charts as SVG, in its language."""
    language = data["language"]
    _ = words.translator(language)
    named = words.filters(language)
    pipeline = [{**r, "state": named["stage"](r["state"])} for r in data.get("pipeline", [])]
    if data["kind"] == "accounts":
        return {}
    if data["kind"] == "plan":
        return {"pipeline": charts.pipeline(pipeline, _)}
    svgs = {
        "pipeline": charts.pipeline(pipeline, _),
        "money": charts.money(data["money"]["years"], _),
        "co-financing": charts.co_financing(
            data["co_financing"]["projects"], data["co_financing"]["target"], _
        ),
        "traffic-lights": charts.lights(data["lights"]["periods"], _, named["light"]),
    }
    if data["kind"] == "monitor":
        rows = [{"project": p["title"], **i} for p in data["projects"] for i in p["indicators"]]
        svgs["indicators"] = charts.indicators(rows, _)
    return svgs


def pdf(html: str) -> bytes:
    """The HTML document printed as PDF by WeasyPrint (A4, the stylesheet's @page rules); it
    fetches nothing: the charts are inline and no other resource is named."""
    import logging

    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    document = HTML(string=html, url_fetcher=_no_fetching)
    return bytes(document.write_pdf())


def _no_fetching(url: str, *args: Any, **kwargs: Any) -> Any:
    raise ValueError(f"the yearly documents load nothing from outside: {url[:80]}")


def _write_all(out: Path, files: dict[str, str | bytes]) -> list[Path]:
    """Write every file (all or none, see workflow.files), documents first: HTML, Markdown,
    PDF."""
    written = write_files(out, files)
    order = {".html": 0, ".md": 1, ".pdf": 2}
    documents = sorted((p for p in written if p.suffix != ".svg"), key=lambda p: order[p.suffix])
    return documents + [p for p in written if p.suffix == ".svg"]
