"""The rules of a student's status: enrolled, or withdrawn with an exit date and a reason."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import msgspec
import pytest

from student_registry.domain import rules
from student_registry.domain.bulk_formats import CsvParser
from student_registry.domain.models import StudentCreate, StudentPatch
from student_registry.domain.validation import decode
from student_registry.errors import InvalidStudent
from tests.builders import student_body

WITHDRAWN = {"status": "withdrawn", "exit_date": "2025-02-14", "exit_reason": " Moved "}


def errors_of(body: dict[str, Any], model: type[StudentCreate] | type[StudentPatch]) -> set[str]:
    with pytest.raises(InvalidStudent) as refused:
        decode(msgspec.json.encode(body), model)
    return {error.path for error in refused.value.errors}


def test_a_registration_is_enrolled_with_no_dates_by_default() -> None:
    student = decode(msgspec.json.encode(student_body()), StudentCreate)
    assert (student.status, student.entry_date, student.exit_date, student.exit_reason) == (
        "enrolled",
        None,
        None,
        None,
    )


def test_a_withdrawn_registration_keeps_its_dates_and_a_trimmed_reason() -> None:
    body = student_body(entry_date="2024-09-02") | WITHDRAWN
    student = decode(msgspec.json.encode(body), StudentCreate)
    assert student.exit_date == date(2025, 2, 14)
    assert student.exit_reason == "Moved"


@pytest.mark.parametrize(
    ("change", "paths"),
    [
        ({"status": "withdrawn"}, {"exit_date", "exit_reason"}),
        ({"status": "withdrawn", "exit_reason": "Moved"}, {"exit_date"}),
        ({"exit_date": "2025-02-14"}, {"exit_date"}),
        ({"exit_reason": "Moved"}, {"exit_reason"}),
        (WITHDRAWN | {"exit_date": "2024-09-01"}, {"exit_date"}),
        (WITHDRAWN | {"exit_reason": ""}, {"exit_reason"}),
        (WITHDRAWN | {"exit_reason": "\u200b"}, {"exit_reason"}),
        (WITHDRAWN | {"status": "left"}, {"status"}),
        ({"entry_date": "1899-01-01"}, {"entry_date"}),
        ({"entry_date": "17/04/2009"}, {"entry_date"}),
    ],
)
def test_a_registration_with_a_status_its_dates_do_not_fit_is_refused_naming_them(
    change: dict[str, Any], paths: set[str]
) -> None:
    body = student_body(entry_date="2024-09-02") | change
    assert errors_of(body, StudentCreate) == paths


def test_an_exit_date_in_the_future_or_an_entry_date_years_ahead_is_refused() -> None:
    tomorrow = (rules.utc_today() + timedelta(days=1)).isoformat()
    assert errors_of({"exit_date": tomorrow}, StudentPatch) == {"exit_date"}
    later = (rules.utc_today() + timedelta(days=400)).isoformat()
    assert errors_of({"entry_date": later}, StudentPatch) == {"entry_date"}
    soon = (rules.utc_today() + timedelta(days=200)).isoformat()
    assert decode(msgspec.json.encode({"entry_date": soon}), StudentPatch).entry_date


def test_an_exit_date_is_compared_with_today_when_the_entry_date_is_not_given() -> None:
    problems = rules.enrolment_problems(
        status="withdrawn", entry_date=None, exit_date=date(2025, 2, 14), exit_reason="Moved"
    )
    assert [name for name, _ in problems] == ["exit_date"]
    assert (
        rules.enrolment_problems(
            status="withdrawn",
            entry_date=date(2025, 2, 14),
            exit_date=date(2025, 2, 14),
            exit_reason="Moved",
        )
        == []
    )


def test_a_patch_takes_each_field_alone_and_a_null_exit_date() -> None:
    patch = decode(msgspec.json.encode({"status": "enrolled", "exit_date": None}), StudentPatch)
    assert (patch.status, patch.exit_date) == ("enrolled", None)


def test_csv_status_columns_are_read_with_day_first_dates() -> None:
    text = (
        "id,first_name,last_name,birth_date,course,status,entry_date,exit_date,exit_reason\n"
        "s1,Ada,Lovelace,17/04/2009,3eB,withdrawn,02/09/2024,14/02/2025,Moved\n"
        "s2,Ada,Byron,17/04/2009,3eB,,,,\n"
    )
    chunk = CsvParser().feed(text.encode(), final=True)
    assert chunk.failures == []
    withdrawn, enrolled = chunk.students
    assert (withdrawn.status, withdrawn.entry_date, withdrawn.exit_date) == (
        "withdrawn",
        date(2024, 9, 2),
        date(2025, 2, 14),
    )
    assert (enrolled.status, enrolled.entry_date, enrolled.exit_reason) == ("enrolled", None, None)


def test_a_csv_row_withdrawn_without_a_date_fails_naming_it() -> None:
    text = "first_name,last_name,birth_date,course,status\nAda,Lovelace,2009-04-17,3eB,withdrawn\n"
    chunk = CsvParser().feed(text.encode(), final=True)
    [failure] = chunk.failures
    assert {e.path for e in failure.errors} == {"exit_date", "exit_reason"}
