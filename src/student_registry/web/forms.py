"""HTML form fields to and from the student models, including the original app's form."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from student_registry.domain.dates import DateProblem, to_iso
from student_registry.domain.legacy import LEGACY_FIELDS
from student_registry.domain.models import Student
from student_registry.web.i18n import explain_date, format_date

FIELDS = ("id", "first_name", "last_name", "birth_date", "course", "email")
# The fields of the form that withdraws a student.
WITHDRAWAL_FIELDS = ("exit_date", "exit_reason")


def form_values(form: Mapping[str, Any], fields: tuple[str, ...] = FIELDS) -> dict[str, str]:
    """What the person typed, trimmed, for the known fields only."""
    return {name: str(form.get(name, "")).strip() for name in fields}


def legacy_values(form: Mapping[str, Any]) -> dict[str, str]:
    """The original app's form fields under the registry's field names."""
    return {new: str(form.get(old, "")).strip() for old, new in LEGACY_FIELDS.items()}


def to_raw(values: Mapping[str, str]) -> dict[str, str]:
    """A raw mapping for validation: blank fields are absent."""
    return {name: value for name, value in values.items() if value}


def read_dates(
    values: Mapping[str, str], names: tuple[str, ...] = ("birth_date",)
) -> tuple[dict[str, str], dict[str, str]]:
    """A raw mapping with the typed dates as YYYY-MM-DD, and what is wrong with a date that is
    not one (``31/02/2020``), by field. Day first and year first are both read."""
    raw = to_raw(values)
    problems: dict[str, str] = {}
    for name in names:
        if typed := raw.get(name):
            read = to_iso(typed)
            if isinstance(read, DateProblem):
                problems[name] = explain_date(read)
            else:
                raw[name] = read
    return raw, problems


def student_values(student: Student) -> dict[str, str]:
    """A stored student as form values, its date as the page writes dates."""
    return {
        "id": student.id,
        "first_name": student.first_name,
        "last_name": student.last_name,
        "birth_date": format_date(student.birth_date),
        "course": student.course,
        "email": student.email or "",
    }
