"""Dates as people type them: year first (``2009-04-17``) or day first (``17/04/2009``).

A typed date that names no real day is explained (``31 February 2020 does not exist``) rather
than refused as unreadable. The messages are English, marked for the catalogues; pages
translate them, with their values.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date

from student_registry.messages import N_

_DAY_FIRST = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_YEAR_FIRST = re.compile(r"(\d{4})[/.-](\d{1,2})[/.-](\d{1,2})")

# Month names as messages show them; a catalog translates each like any other message.
MONTHS = (
    N_("January"),
    N_("February"),
    N_("March"),
    N_("April"),
    N_("May"),
    N_("June"),
    N_("July"),
    N_("August"),
    N_("September"),
    N_("October"),
    N_("November"),
    N_("December"),
)
UNREADABLE = N_("must be a date written YYYY-MM-DD or DD/MM/YYYY, like 2009-04-17 or 17/04/2009")
NO_SUCH_MONTH = N_(
    "names a month {month}, which does not exist: write the day first, like 17/04/2009"
)
NO_SUCH_DAY = N_(
    "is {day} {month} {year}, a day that does not exist ({month} {year} has {days} days)"
)


@dataclass(frozen=True, slots=True)
class DateProblem:
    """Why a typed date is not a date: an English message and the values it names."""

    message: str
    values: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message.format(**self.values)


def read_date(text: str) -> date | DateProblem:
    """The date a person typed, day first or year first, or what is wrong with it."""
    text = text.strip()
    if match := _DAY_FIRST.fullmatch(text):
        day, month, year = (int(part) for part in match.groups())
    elif match := _YEAR_FIRST.fullmatch(text):
        year, month, day = (int(part) for part in match.groups())
    else:
        return DateProblem(UNREADABLE)
    if year < 1:
        return DateProblem(UNREADABLE)
    if not 1 <= month <= 12:
        return DateProblem(NO_SUCH_MONTH, {"month": str(month)})
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        name = MONTHS[month - 1]
        values = {"day": str(day), "month": name, "year": str(year), "days": str(days)}
        return DateProblem(NO_SUCH_DAY, values)
    return date(year, month, day)


def to_iso(text: str) -> str | DateProblem:
    """A typed date as ``YYYY-MM-DD``, or what is wrong with it."""
    read = read_date(text)
    return read if isinstance(read, DateProblem) else read.isoformat()
