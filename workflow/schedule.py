"""When progress reports fall due: calendar periods, and due dates at month ends.

The rule, in full:

1. A project reports per calendar period of `every_months` months: 1 (monthly), 3 (quarterly,
   the default), 6 (half-yearly) or 12 (yearly). Quarters are January-March, April-June, and so
   on, so every project reports on the same periods and the programme can compare them.
2. The first report covers the day the project entered monitoring up to the end of that
   calendar period. A first period shorter than half a period is joined to the next one, so
   nobody writes a report about a week.
3. Each report is due on the **last day of the month** `due_months_after` months after its
   period ends (default 1). Month ends are real month ends: a grant on 31 January reports on
   January-March by 30 April, on April-June by 31 July, then 31 October and 31 January; February
   gives 28 or 29 as the year has it.
4. The last report covers the calendar period in which the project ends.

Labels name the period: 2019-Q1 (quarterly), 2019-H2 (half-yearly), 2019 (yearly), 2019-03
(monthly).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

EVERY = (1, 3, 6, 12)
ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Period:
    label: str
    start: dt.date
    end: dt.date
    due: dt.date


def month_end(year: int, month: int) -> dt.date:
    """The last day of a month: 28, 29, 30 or 31."""
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or that month's last day when it is shorter."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return dt.date(year, month + 1, min(day.day, month_end(year, month + 1).day))


def period_bounds(day: dt.date, every_months: int) -> tuple[dt.date, dt.date]:
    """The first and last day of the calendar period that contains `day`."""
    first_month = (day.month - 1) // every_months * every_months + 1
    last_month = first_month + every_months - 1
    return dt.date(day.year, first_month, 1), month_end(day.year, last_month)


def label(end: dt.date, every_months: int) -> str:
    """The name of the calendar period that ends on `end`."""
    number = (end.month - 1) // every_months + 1
    return {
        1: f"{end.year}-{end.month:02d}",
        3: f"{end.year}-Q{number}",
        6: f"{end.year}-H{number}",
        12: f"{end.year}",
    }[every_months]


def due_date(period_end: dt.date, due_months_after: int) -> dt.date:
    """The last day of the month `due_months_after` months after the period's last month."""
    later = add_months(period_end.replace(day=1), due_months_after)
    return month_end(later.year, later.month)


def plan(
    start: dt.date, end: dt.date, every_months: int = 3, due_months_after: int = 1
) -> list[Period]:
    """Every report from `start` to the period containing `end` (at least one report)."""
    if every_months not in EVERY:
        raise ValueError(f"every_months must be one of {EVERY}, not {every_months}")
    if due_months_after < 0:
        raise ValueError("due_months_after must not be negative")
    end = max(end, start)
    first, stop = period_bounds(start, every_months)
    stub_days, full_days = (stop - start).days + 1, (stop - first).days + 1
    if 2 * stub_days < full_days and stop < end:  # a short first period joins the next
        stop = period_bounds(stop + ONE_DAY, every_months)[1]
    periods, begin = [], start
    while True:
        due = due_date(stop, due_months_after)
        periods.append(Period(label(stop, every_months), begin, stop, due))
        if stop >= end:
            return periods
        begin = stop + ONE_DAY
        stop = period_bounds(begin, every_months)[1]
