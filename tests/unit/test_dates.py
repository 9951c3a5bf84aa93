"""Dates as people type them, and what is said of one that names no real day."""

from __future__ import annotations

from datetime import date

import pytest

from student_registry.domain.dates import DateProblem, read_date, to_iso


@pytest.mark.parametrize(
    "typed", ["2009-04-17", "17/04/2009", "17-04-2009", "17.04.2009", "2009/4/17"]
)
def test_year_first_and_day_first_dates_are_read(typed: str) -> None:
    assert read_date(typed) == date(2009, 4, 17)


def test_a_day_that_does_not_exist_is_named() -> None:
    assert str(read_date("31/02/2020")) == (
        "is 31 February 2020, a day that does not exist (February 2020 has 29 days)"
    )
    assert str(read_date("2021-02-29")).startswith("is 29 February 2021, a day that does not")


def test_a_month_first_date_is_told_to_put_the_day_first() -> None:
    problem = read_date("02/31/2020")
    assert isinstance(problem, DateProblem)
    assert problem.values == {"month": "31"}
    assert "write the day first, like 17/04/2009" in str(problem)


@pytest.mark.parametrize("typed", ["", "tomorrow", "17 April 2009", "2009-04", "0000-01-01"])
def test_text_that_is_no_date_asks_for_either_way_of_writing_one(typed: str) -> None:
    assert str(to_iso(typed)) == (
        "must be a date written YYYY-MM-DD or DD/MM/YYYY, like 2009-04-17 or 17/04/2009"
    )
