"""School years: their names, their first and last days, and the year a day falls in.

A school year is named by the calendar years it spans, ``2026-2027``, and starts on the same
day each year (SCHOOL_YEAR_START, ``MM-DD``, 1 September by default); it ends the day before
the next one starts.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import NamedTuple

YEAR_PATTERN = r"^\d{4}-\d{4}$"
START_PATTERN = r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"
DEFAULT_START = "09-01"


class YearStart(NamedTuple):
    """The month and day every school year starts on."""

    month: int
    day: int

    @classmethod
    def parse(cls, text: str) -> YearStart:
        """``MM-DD`` (a day every year has: no 29 February). Raises ValueError."""
        if not re.fullmatch(START_PATTERN, text):
            raise ValueError(f"{text!r} is not a day of the year written MM-DD, like 09-01")
        month, day = int(text[:2]), int(text[3:])
        try:
            date(2001, month, day)
        except ValueError:
            raise ValueError(f"{text!r} is not a day every year has") from None
        return cls(month, day)


def is_year_name(text: str) -> bool:
    """Whether a text names a school year: ``YYYY-YYYY``, the second the year after the first."""
    return bool(re.fullmatch(YEAR_PATTERN, text)) and int(text[5:]) == int(text[:4]) + 1


def check_year_name(text: str) -> str:
    """The name, or ValueError saying what a year's name looks like."""
    if not is_year_name(text):
        raise ValueError(
            f"{text!r} is not a school year: write the two calendar years it spans, like 2026-2027"
        )
    return text


def year_of(day: date, start: YearStart) -> str:
    """The school year a day falls in."""
    first = day.year if (day.month, day.day) >= start else day.year - 1
    return f"{first}-{first + 1}"


def first_day(year: str, start: YearStart) -> date:
    """The day a school year starts."""
    return date(int(year[:4]), start.month, start.day)


def last_day(year: str, start: YearStart) -> date:
    """The last day of a school year: the day before the next one starts."""
    return first_day(next_year(year), start) - timedelta(days=1)


def next_year(year: str) -> str:
    """The school year after this one."""
    first = int(year[:4]) + 1
    return f"{first}-{first + 1}"
