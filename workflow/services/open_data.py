"""Open data: the awarded grants as a 360Giving Data Standard package (schema 1.4), and as its
flattened spreadsheet (CSV or XLSX, with the standard's column titles).

A grant is an application the steering committee awarded: approved with conditions, in
monitoring, or closed (a project withdrawn after its award is not published). Published per
grant, and nothing else: its id (the publisher's prefix and the application id), title and
description as entered, the amount awarded (euros, exact), the day of the decision, the recipient
organisation (NL-KVK-<number> when its Chamber of Commerce number is known, else an id under
the prefix) and its name, the funder (settings [open_data]), the programme's code and name, the
report schedule's period as planned dates, and when the application last changed. No person,
no e-mail address, no reason, motivation, score or condition text: those hold names and
deliberations, not what a programme publishes.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal
from typing import Any, NotRequired

from typing_extensions import TypedDict

from kracht.basics.actors import require
from kracht.basics.csv_safe import csv_line
from kracht.basics.errors import InvalidInput, NotFound
from kracht.basics.inputs import parse_count
from kracht.basics.roles import Role
from kracht.storage import extracts, repository
from kracht.storage.audit_format import canonical_time
from kracht.storage.clock import local_day
from kracht.workflow.unit import Unit, reads

VERSION = "1.4"  # the standard's major.minor, as the package's `version` gives it
AWARDED = ("approved_with_conditions", "monitoring", "closed")
AWARDING = ("approve", "approve_with_conditions")
FORMATS = ("json", "csv", "xlsx")
READERS = (Role.PROGRAMME_LEADER, Role.STEERING_MEMBER, Role.AUDITOR)
COLUMNS = (  # the flattened form's column titles (360Giving's, as flatten-tool writes them)
    "Identifier", "Title", "Description", "Currency", "Amount Awarded", "Award Date",
    "Recipient Org:Identifier", "Recipient Org:Name", "Funding Org:Identifier",
    "Funding Org:Name", "Grant Programme:Code", "Grant Programme:Title",
    "Planned Dates:Start Date", "Planned Dates:End Date", "Last Modified",
)  # fmt: skip


class Organisation360(TypedDict):
    id: str
    name: str


class Programme360(TypedDict):
    code: str
    title: str


class Dates360(TypedDict):
    startDate: str
    endDate: str


class Grant360(TypedDict):
    """One grant as the 360Giving schema names its fields; the amount in euros, exact."""

    id: str
    title: str
    description: str
    currency: str
    amountAwarded: Decimal
    awardDate: str
    recipientOrganization: list[Organisation360]
    fundingOrganization: list[Organisation360]
    grantProgramme: list[Programme360]
    plannedDates: NotRequired[list[Dates360]]
    dateModified: str


class Publisher360(TypedDict):
    identifier: str
    name: str


class Package360(TypedDict):
    """A 360Giving data package: the standard's version, its publisher and the grants."""

    version: str
    publisher: Publisher360
    grants: list[Grant360]


@reads
def grants_360(unit: Unit, programme: str | None = None, year: int | None = None) -> Package360:
    """The awarded grants (of `programme`, awarded in `year`) as a 360Giving package."""
    if year is not None:
        year = parse_count(year, "year", 1, 9999)
    db, actor = unit.db, unit.actor
    require(actor, READERS, "export the grants as open data")
    if programme is not None and repository.programme_by_code(db, programme) is None:
        raise NotFound("programme", programme, listing=True)
    settings = unit.settings.open_data
    funder: Organisation360 = {"id": settings.funder_id, "name": settings.publisher_name}
    days = _award_days(extracts.award_events(db, AWARDING))
    grants = []
    for row in extracts.awards(db, AWARDED, programme):
        day = days.get(row["id"])
        if day is None or (year is not None and day.year != year):
            continue  # a grant is published with the decision that awarded it
        grants.append(_grant(row, day, settings.prefix, funder))
    return {
        "version": VERSION,
        "publisher": {"identifier": funder["id"], "name": funder["name"]},
        "grants": grants,
    }


def _award_days(events: list[extracts.AwardEvent]) -> dict[int, dt.date]:
    """{application id: the day of the latest decision that awarded it}: the meeting day given
    with it (`decided_on`), else the programme day it was entered."""
    days = {}
    for event in events:
        given = event["values"].get("decided_on")
        days[event["application_id"]] = (
            dt.date.fromisoformat(str(given)) if given else local_day(_utc(event["at"]))
        )
    return days


def _utc(at: dt.datetime) -> dt.datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)  # SQLite: naive UTC


def _grant(row: extracts.AwardRow, day: dt.date, prefix: str, funder: Organisation360) -> Grant360:
    kvk = row["kvk"]
    recipient = f"NL-KVK-{kvk}" if kvk else f"{prefix}-org-{row['organisation_id']}"
    grant: Grant360 = {
        "id": f"{prefix}-{row['id']}",
        "title": row["title"],
        "description": row["description"],
        "currency": "EUR",
        "amountAwarded": Decimal(row["granted_cents"]).scaleb(-2),
        "awardDate": day.isoformat(),
        "recipientOrganization": [{"id": recipient, "name": row["organisation"]}],
        "fundingOrganization": [dict(funder)],  # type: ignore[list-item]
        "grantProgramme": [{"code": row["programme"], "title": row["programme_name"]}],
    }
    if row["starts_on"] is not None and row["ends_on"] is not None:
        grant["plannedDates"] = [
            {"startDate": row["starts_on"].isoformat(), "endDate": row["ends_on"].isoformat()}
        ]
    grant["dateModified"] = canonical_time(row["updated_at"])
    return grant


@reads
def export_360(
    unit: Unit, programme: str | None = None, year: int | None = None, fmt: str = "json"
) -> tuple[bytes, int]:
    """The package in `fmt` (json, csv or xlsx) and its number of grants. A package holds at
    least one grant (the schema's rule): none to publish is refused, naming the selection."""
    if fmt not in FORMATS:
        raise InvalidInput(
            f"format {fmt!r} is not one of " + ", ".join(FORMATS), field="format", label="format"
        )
    package = grants_360(unit, programme, year)
    count = len(package["grants"])
    if not count:
        chosen = [f"of {programme}" if programme else "", f"in {year}" if year else ""]
        raise InvalidInput(
            " ".join(["no grant was awarded", *filter(None, chosen)])
            + "; a 360Giving file holds at least one grant"
        )
    if fmt == "json":
        return as_json(package).encode("utf-8"), count
    if fmt == "csv":
        lines = [csv_line(COLUMNS), *(csv_line(r) for r in flat_rows(package))]
        return "".join(line + "\r\n" for line in lines).encode("utf-8"), count
    return as_xlsx(package), count


def as_json(package: Package360) -> str:
    """The package as JSON text, each amount a JSON number written exactly (1234.5, 64389)."""
    return json.dumps(_plain(package), indent=2, ensure_ascii=False) + "\n"


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return euros(value)
    return value


def euros(amount: Decimal) -> int | float:
    """An amount as a JSON number: whole euros as an integer, else the float whose shortest
    form is the amount's digits (exact for every amount below ten trillion euros)."""
    if amount == amount.to_integral_value():
        return int(amount)
    number = float(amount)
    if Decimal(repr(number)) != amount:
        raise ValueError(f"{amount} has no exact JSON number")  # beyond any budget kracht holds
    return number


def flat_rows(package: Package360) -> list[list[Any]]:
    """The grants as the flattened form's rows, columns in COLUMNS' order (amounts exact)."""
    rows = []
    for grant in package["grants"]:
        recipient, funder = grant["recipientOrganization"][0], grant["fundingOrganization"][0]
        scheme = grant["grantProgramme"][0]
        dates = (grant.get("plannedDates") or [{"startDate": None, "endDate": None}])[0]
        rows.append(
            [grant["id"], grant["title"], grant["description"], grant["currency"],
             grant["amountAwarded"], grant["awardDate"], recipient["id"], recipient["name"],
             funder["id"], funder["name"], scheme["code"], scheme["title"], dates["startDate"],
             dates["endDate"], grant["dateModified"]]
        )  # fmt: skip
    return rows


def as_xlsx(package: Package360) -> bytes:
    """The flattened form as an XLSX workbook, one sheet `grants`: every text a text cell (a
    title that begins with = stays that title, never a formula), amounts numbers."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    book = Workbook()
    sheet = book.active
    assert sheet is not None, "a new workbook has a sheet"
    sheet.title = "grants"
    sheet.append(COLUMNS)
    for number, row in enumerate(flat_rows(package), start=2):
        for column, value in enumerate(row, start=1):
            if isinstance(value, Decimal):
                sheet.cell(number, column, euros(value))
            elif value is not None:
                cell = sheet.cell(number, column)
                cell.value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", str(value))
                cell.data_type = "s"  # assigned text that begins with = would be a formula
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
