"""The yearly documents' words and formats in their two languages.

The templates and charts are written in English; `_("text", **facts)` gives the Dutch text in the
Dutch editions (NL, strict: an English text without its Dutch one fails the rendering, so no
edition mixes languages). Money, numbers and dates follow the edition's language: Babel's Dutch
formats (`€ 1.234.389,00`, `13 december 2018`, `8,5`) in Dutch; in English the amounts as kracht
prints them everywhere (`EUR 1,234,389.00`) and Babel's British dates (`13 December 2018`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from kracht.basics.errors import InvalidInput
from kracht.basics.euros import format_euros
from kracht.basics.names import BUDGET_KINDS, STAGES, name

LANGUAGES = ("nl", "en")
LOCALES = {"nl": "nl_NL", "en": "en_GB"}

LIGHTS = {"green": ("groen", "green"), "orange": ("oranje", "orange"), "red": ("rood", "red")}
STATUSES = {
    "due": ("verwacht", "due"),
    "late": ("te laat", "late"),
    "submitted": ("ingediend", "submitted"),
}
POOL = "(all lines)"  # a budget shared by every line without its own (services/budgets.py)

NL: dict[str, str] = {
    # titles and headers of the documents
    "Project monitor": "Projectenmonitor",
    "Annual report": "Jaarrapportage",
    "Annual accounts": "Jaarrekening",
    "Annual plan": "Jaarplan",
    "programme {code}": "programma {code}",
    "Programme {code}": "Programma {code}",
    "Written on {day} by kracht from its database. Money and the pipeline are as they stand on "
    "that day, and so is lateness (a report still missing that day is late); reports, spending "
    "and indicator values count up to 31 December {year}.": (
        "Op {day} door kracht uit zijn database geschreven. Geld en pijplijn zijn zoals ze die "
        "dag staan, net als de termijnen (een rapportage die die dag nog ontbreekt is te laat); "
        "rapportages, uitgaven en indicatorwaarden tellen tot en met 31 december {year}."
    ),
    "Written on {day} by kracht from its database: the budgets of {year}, what is committed and "
    "reserved on them as they stand on that day, and what was paid out from them.": (
        "Op {day} door kracht uit zijn database geschreven: de budgetten van {year}, wat er die "
        "dag op verplicht en gereserveerd staat, en wat eruit is uitbetaald."
    ),
    "Written on {day} by kracht from its database, for the coming year {year}: the pipeline, the "
    "budgets of {year}, the multi-year grants already charged to them and what is available, as "
    "they stand on that day.": (
        "Op {day} door kracht uit zijn database geschreven, voor het komende jaar {year}: de "
        "pijplijn, de budgetten van {year}, de meerjarige toekenningen die er al op drukken en "
        "wat beschikbaar is, zoals ze die dag staan."
    ),
    # sections
    "Summary": "Samenvatting",
    "Pipeline per stage": "Pijplijn per fase",
    "Money per line and year": "Geld per lijn en jaar",
    "Money per budget year": "Geld per begrotingsjaar",
    "Co-financing and multiplier": "Cofinanciering en multiplier",
    "Grant and co-financing per project": "Bijdrage en cofinanciering per project",
    "Traffic lights over time": "Stoplichten in de tijd",
    "Results per project": "Resultaten per project",
    "Projects": "Projecten",
    "Late reports": "Te late rapportages",
    "Indicators against their targets": "Indicatoren tegen hun doelen",
    "Budgets per line": "Budgetten per lijn",
    "Development budget against its cap": "Ontwikkelbudget tegen zijn plafond",
    "Budgets {year}": "Budgetten {year}",
    "Multi-year grants charged to {year}": "Meerjarige toekenningen ten laste van {year}",
    "Available in {year}": "Beschikbaar in {year}",
    # table headers and cells
    "figure": "kengetal",
    "value": "waarde",
    "stage": "fase",
    "applications": "aanvragen",
    "Total": "Totaal",
    "Total {year}": "Totaal {year}",
    "Total, committed grants": "Totaal, verplichte toekenningen",
    "programme": "programma",
    "line": "lijn",
    "year": "jaar",
    "years": "jaren",
    "kind": "soort",
    "budget": "budget",
    "committed": "verplicht",
    "reserved": "gereserveerd",
    "paid out": "uitbetaald",
    "available": "beschikbaar",
    "committed and reserved": "verplicht en gereserveerd",
    "project": "project",
    "Co-financing by source": "Cofinanciering per bron",
    "The documents' multiplier (target {target}) is on regional public money: the committed "
    "grants and the partners' municipal money ({regional}). It is the partners' private, "
    "provincial, national, EU and other money ({leveraged}) on every euro of it: {multiplier}. "
    "Money of unknown source counts in neither.": (
        "De multiplier van de documenten (doel {target}) is die op regionale publieke middelen: "
        "de verplichte toekenningen en het gemeentelijke geld van partners ({regional}). Het is "
        "het private, provinciale, nationale, Europese en overige geld van partners "
        "({leveraged}) op elke euro daarvan: {multiplier}. Geld waarvan de bron onbekend is, "
        "telt in geen van beide mee."
    ),
    "regional public": "regionaal publiek",
    "Multiplier on regional public money": "Multiplier op regionale publieke middelen",
    "on regional public money": "op regionale publieke middelen",
    "unknown": "onbekend",
    "municipal": "gemeentelijk",
    "provincial": "provinciaal",
    "national": "nationaal (Rijk)",
    "EU": "EU",
    "other": "overig",
    "state": "fase",
    "grant": "bijdrage",
    "private": "privaat",
    "public": "publiek",
    "multiplier": "multiplier",
    "period": "periode",
    "granted": "toegekend",
    "granted for {year}": "toegekend voor {year}",
    "spent by end {year}": "besteed eind {year}",
    "latest light": "laatste stoplicht",
    "report": "rapportage",
    "due": "uiterlijk",
    "days late": "dagen te laat",
    "None.": "Geen.",
    "indicator": "indicator",
    "unit": "eenheid",
    "baseline": "nulmeting",
    "value end {year}": "waarde eind {year}",
    "measured": "gemeten",
    "target": "doel",
    "by": "streefdatum",
    "progress": "voortgang",
    "met": "gehaald",
    "status on {day}": "status op {day}",
    "light": "stoplicht",
    "spent so far": "besteed tot nu",
    "narrative": "toelichting",
    "measures": "maatregelen",
    "No reports for {year}.": "Geen rapportages over {year}.",
    "line {code}": "lijn {code}",
    "charged to {year}": "ten laste van {year}",
    "amount": "bedrag",
    "of the project budget": "van het projectenbudget",
    "Project budget {year}": "Projectenbudget {year}",
    "Cap ({percent}%)": "Plafond ({percent}%)",
    "Development budget set": "Ontwikkelbudget vastgesteld",
    "Development budget committed": "Ontwikkelbudget verplicht",
    "Development budget paid out": "Ontwikkelbudget uitbetaald",
    "Within the cap": "Binnen het plafond",
    "yes": "ja",
    "no": "nee",
    "(all lines)": "(alle lijnen)",
    # prose
    "Granted {granted}; spent by the end of {year} {spent}.": (
        "Toegekend {granted}; besteed tot eind {year} {spent}."
    ),
    "The multiplier is the partners' money (private and public) on every euro of the committed "
    "grants; grants reserved for conditional approvals ({reserved}) are listed but not counted. "
    "The programme's target is {target}.": (
        "De multiplier is het geld van de partners (privaat en publiek) op elke euro van de "
        "verplichte toekenningen; bijdragen die voor toekenningen onder voorwaarden gereserveerd "
        "zijn ({reserved}) staan erbij maar tellen niet mee. Het doel van het programma is "
        "{target}."
    ),
    "as expected;": "zoals verwacht;",
    "a slight deviation that needs attention;": "een lichte afwijking die aandacht vraagt;",
    "a deviation: measures are needed.": "een afwijking: maatregelen zijn nodig.",
    "Green: as expected. Orange: a slight deviation that needs attention. Red: a deviation; "
    "measures are needed.": (
        "Groen: zoals verwacht. Oranje: een lichte afwijking die aandacht vraagt. Rood: een "
        "afwijking; maatregelen zijn nodig."
    ),
    "Reports on periods up to the end of {year} that are past due and still not submitted on "
    "{day}, the day this was written; days late count to that day.": (
        "Rapportages over perioden tot en met eind {year} waarvan de termijn verstreken is en "
        "die op {day}, de dag van schrijven, nog niet ingediend waren; de dagen te laat tellen "
        "tot die dag."
    ),
    "The development budget may be at most {percent}% of the year's project budget; what is not "
    "used stays available for projects.": (
        "Het ontwikkelbudget is ten hoogste {percent}% van het projectenbudget van het jaar; "
        "wat niet gebruikt wordt blijft beschikbaar voor projecten."
    ),
    # summary figures
    "Applications": "Aanvragen",
    "Applications in the pipeline": "Aanvragen in de pijplijn",
    "Projects reporting": "Rapporterende projecten",
    "Budget {year}": "Budget {year}",
    "Committed {year}": "Verplicht {year}",
    "Reserved {year}": "Gereserveerd {year}",
    "Paid out from the {year} budgets": "Uitbetaald uit de budgetten van {year}",
    "Available {year}": "Beschikbaar {year}",
    "Granted and reserved, all years": "Toegekend en gereserveerd, alle jaren",
    "Co-financing by partners, committed grants": (
        "Cofinanciering door partners, verplichte toekenningen"
    ),
    "Multiplier on committed grants": "Multiplier op verplichte toekenningen",
    "{value} (target {target})": "{value} (doel {target})",
    "Spent by the end of {year}": "Besteed tot eind {year}",
    "Progress reports submitted up to {year}": "Voortgangsrapportages ingediend tot en met {year}",
    "Reports on periods up to {year}, late on {day}": (
        "Rapportages over perioden tot en met {year}, te laat op {day}"
    ),
    "Development budget {year}": "Ontwikkelbudget {year}",
    "Development budget paid out {year}": "Ontwikkelbudget uitbetaald {year}",
    "Multi-year grants charged to {year}, total": "Meerjarige toekenningen ten laste van {year}",
    # charts
    "EUR million": "miljoen euro",
    "reports": "rapportages",
    "co-financing": "cofinanciering",
    "Grant and co-financing per {which} (multiplier target {target})": (
        "Bijdrage en cofinanciering per {which} (doel multiplier {target})"
    ),
    "largest grant": "grootste bijdrage",
    "{count} other projects": "{count} andere projecten",
    "% of the way from baseline to target": "% van de weg van nulmeting naar doel",
    "indicators": "indicatoren",
    "Indicators against their targets ({count} indicators, by progress)": (
        "Indicatoren tegen hun doelen ({count} indicatoren, naar voortgang)"
    ),
    "below 25%": "onder 25%",
    "target met": "doel gehaald",
}

Translate = Callable[..., str]


def checked(language: str) -> str:
    """The language, if it is one the documents are written in."""
    if language not in LANGUAGES:
        raise InvalidInput(
            f"{language!r} is not a language of the documents; choose nl or en", field="language"
        )
    return language


def translator(language: str) -> Translate:
    """`_(text, **facts)`: the text in `language`, its {facts} filled in."""

    def translate(text: str, **facts: Any) -> str:
        words = NL[text] if language == "nl" else text
        return words.format(**facts) if facts else words

    return translate


def euros(cents: int | None, language: str) -> str:
    """`€ 1.234.389,00` (nl, Babel's nl_NL) or `EUR 1,234,389.00` (en); `-` for none."""
    if cents is None:
        return "-"
    if language != "nl":
        return format_euros(cents)
    from babel.numbers import format_currency

    # Babel joins sign and amount with a no-break space; a plain one lets a narrow table cell
    # break after the sign rather than inside the number
    return format_currency(Decimal(cents) / 100, "EUR", locale=LOCALES["nl"]).replace("\xa0", " ")


def day(value: dt.date | str | None, language: str) -> str:
    """`13 december 2018` (nl) or `13 December 2018` (en); an ISO date is read first."""
    if value in (None, ""):
        return "-"
    from babel.dates import format_date

    when = dt.date.fromisoformat(value) if isinstance(value, str) else value
    assert isinstance(when, dt.date)
    return format_date(when, format="long", locale=LOCALES[language])


def number(value: Any, language: str) -> str:
    """A count, ratio or measured value: `8,5` (nl) or `8.5` (en); `-` for none."""
    if value in (None, ""):
        return "-"
    try:
        amount = Decimal(str(value))
    except ArithmeticError:
        return str(value)
    from babel.numbers import format_decimal

    return format_decimal(amount.normalize(), locale=LOCALES[language])


def percent(value: Any, language: str) -> str:
    """`12,5%` (nl) or `12.5%` (en); `-` for none."""
    return "-" if value is None else f"{number(value, language)}%"


def filters(language: str) -> dict[str, Callable[[Any], str]]:
    """The templates' filters for one language."""
    at = 0 if language == "nl" else 1
    translate = translator(language)
    return {
        "euros": lambda cents: euros(cents, language),
        "day": lambda value: day(value, language),
        "number": lambda value: number(value, language),
        "percent": lambda value: percent(value, language),
        "stage": lambda state: name(STAGES, state, language),
        "kind": lambda kind: name(BUDGET_KINDS, kind, language),
        "light": lambda value: LIGHTS[value][at] if value in LIGHTS else "-",
        "status": lambda value: STATUSES[value][at] if value in STATUSES else str(value),
        "line": lambda line: translate(POOL) if line in (None, POOL) else line,
    }
