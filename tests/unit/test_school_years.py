"""School years: names, first and last days, the year a day falls in."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from student_registry.school_years import (
    YearStart,
    check_year_name,
    first_day,
    is_year_name,
    last_day,
    next_year,
    year_of,
)
from student_registry.settings import Settings, SettingsError

SEPTEMBER = YearStart.parse("09-01")


@pytest.mark.parametrize(
    ("day", "year"),
    [
        (date(2026, 8, 31), "2025-2026"),
        (date(2026, 9, 1), "2026-2027"),
        (date(2027, 1, 1), "2026-2027"),
        (date(2027, 8, 31), "2026-2027"),
    ],
)
def test_a_day_falls_in_the_year_that_started_last(day: date, year: str) -> None:
    assert year_of(day, SEPTEMBER) == year


def test_a_year_runs_from_its_first_day_to_the_day_before_the_next() -> None:
    assert first_day("2026-2027", SEPTEMBER) == date(2026, 9, 1)
    assert last_day("2026-2027", SEPTEMBER) == date(2027, 8, 31)
    august = YearStart.parse("08-20")
    assert last_day("2026-2027", august) == date(2027, 8, 19)
    assert next_year("2026-2027") == "2027-2028"


@given(st.dates(min_value=date(1901, 1, 1), max_value=date(9000, 1, 1)))
def test_every_day_is_within_its_year(day: date) -> None:
    year = year_of(day, SEPTEMBER)
    assert first_day(year, SEPTEMBER) <= day <= last_day(year, SEPTEMBER)
    assert last_day(year, SEPTEMBER) + timedelta(days=1) == first_day(next_year(year), SEPTEMBER)


@pytest.mark.parametrize("name", ["2026-2028", "2026/2027", "26-27", "2026-2025", ""])
def test_a_year_is_named_by_the_two_calendar_years_it_spans(name: str) -> None:
    assert not is_year_name(name)
    with pytest.raises(ValueError, match="like 2026-2027"):
        check_year_name(name)
    assert check_year_name("2026-2027") == "2026-2027"


@pytest.mark.parametrize(("value", "said"), [("02-29", "every year"), ("13-01", "MM-DD")])
def test_the_start_of_the_year_is_a_day_every_year_has(value: str, said: str) -> None:
    with pytest.raises(SettingsError, match=said):
        Settings.from_env({"SCHOOL_YEAR_START": value})
    assert Settings.from_env({"SCHOOL_YEAR_START": "08-25"}).year_start == YearStart(8, 25)
