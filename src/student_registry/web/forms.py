"""HTML form fields to and from the student models, including the original app's form."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from student_registry.domain import rules
from student_registry.domain.dates import DateProblem, to_iso
from student_registry.domain.legacy import LEGACY_FIELDS
from student_registry.domain.models import Student
from student_registry.domain.phones import display_phone
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


# The registration fields French schools keep, and the guardians' rows of the forms.
REGISTRATION_FIELDS = ("sex", "ine", "birthplace")
GUARDIAN_FIELDS = ("name", "relationship", "phone", "email", "parental_authority")
# Rows the forms show for guardians: those given, and empty ones to fill (without script too).
EMPTY_GUARDIAN_ROWS = 2
_GUARDIAN_PATH = re.compile(r"guardians\[(\d+)\](?:\.(\w+))?")


def guardian_input(row: int, name: str) -> str:
    """The name (and id) of a guardian row's input: ``guardian-0-phone``."""
    return f"guardian-{row}-{name}"


def guardian_rows(form: Mapping[str, Any]) -> list[dict[str, str]]:
    """What the person typed in each guardian row, trimmed; a checkbox as "true" or ""."""
    rows = []
    for row in range(rules.GUARDIANS_MAX):
        values = {
            name: str(form.get(guardian_input(row, name), "")).strip() for name in GUARDIAN_FIELDS
        }
        values["parental_authority"] = "true" if values["parental_authority"] else ""
        rows.append(values)
    return rows


def shown_guardian_rows(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The rows a form shows: the filled ones, then empty ones, at most GUARDIANS_MAX."""
    filled = [row for row in rows if any(row.values())]
    empty = dict.fromkeys(GUARDIAN_FIELDS, "")
    count = min(rules.GUARDIANS_MAX, len(filled) + EMPTY_GUARDIAN_ROWS)
    return filled + [dict(empty) for _ in range(count - len(filled))]


def guardians_raw(rows: list[dict[str, str]]) -> dict[str, Any]:
    """The guardians of the filled rows as the API takes them: {"guardians": [...]} or {}.

    The form shows the filled rows first (shown_guardian_rows): guardian k is then row k.
    """
    guardians = []
    for values in rows:
        if not any(values.values()):
            continue
        guardian: dict[str, Any] = {k: v for k, v in values.items() if v}
        guardian["parental_authority"] = values["parental_authority"] == "true"
        guardians.append(guardian)
    return {"guardians": guardians} if guardians else {}


def form_error_name(path: str) -> str:
    """The input an error's path names: ``guardians[1].phone`` -> ``guardian-1-phone``."""
    match = _GUARDIAN_PATH.fullmatch(path)
    if match is None:
        return path
    name = match.group(2) or "name"
    return guardian_input(int(match.group(1)), name if name in GUARDIAN_FIELDS else "name")


def student_guardian_rows(student: Student) -> list[dict[str, str]]:
    """A stored student's guardians as form rows, their phones as a reader writes them."""
    return [
        {
            "name": g.name,
            "relationship": g.relationship,
            "phone": display_phone(g.phone) if g.phone else "",
            "email": g.email or "",
            "parental_authority": "true" if g.parental_authority else "",
        }
        for g in student.guardians or []
    ]


def registration_values(student: Student) -> dict[str, str]:
    """A stored student's sex, INE and birthplace as form values."""
    return {
        "sex": student.sex or "",
        "ine": student.ine or "",
        "birthplace": student.birthplace or "",
    }
