"""What the administration's exports hold, as records named like the student's fields.

Field names and values are those of the student model (``sex`` F|M, ``ine``, ``birthplace``,
``guardians``, ``status``, ``entry_date``, ``exit_date``, ``exit_reason``), so that an import
turns a record into a registration field by field. A few fields say where a record comes from
(``source_id``, ``usage_name``); they are not student fields and an import leaves them out.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, Literal

import msgspec
from msgspec import Struct

from student_registry.domain.bulk_formats import RowFailure, to_iso_date
from student_registry.domain.text import fold
from student_registry.errors import FieldError
from student_registry.messages import N_

Sex = Literal["F", "M"]
Relationship = Literal["mother", "father", "guardian", "other"]
Status = Literal["enrolled", "withdrawn"]
# The student model keeps up to this many guardians; the legal ones come first.
MAX_GUARDIANS = 4
# Fields that say where a record comes from, not what the student is.
EXPORT_ONLY = ("source_id", "usage_name")
NOT_A_DATE = N_("must be a date written DD/MM/YYYY or YYYY-MM-DD (got {value})")


class Guardian(Struct, kw_only=True):
    """A person responsible for a student, as the student model stores one."""

    name: str
    relationship: Relationship
    phone: str | None = None
    email: str | None = None
    parental_authority: bool


class ImportedStudent(Struct, kw_only=True):
    """A student as an export describes them.

    ``id`` is SIECLE's ELENOET (ONDE has none); ``source_id`` is the export's own key
    (SIECLE's ELEVE_ID), which its guardians file refers to. ``course`` is None when the export
    places the student in no class. ``last_name`` is the family name; ``usage_name`` the name in
    use when the export gives another one.
    """

    id: str | None
    first_name: str
    last_name: str
    birth_date: date
    course: str | None
    sex: Sex | None = None
    ine: str | None = None
    birthplace: str | None = None
    status: Status = "enrolled"
    entry_date: date | None = None
    exit_date: date | None = None
    exit_reason: str | None = None
    guardians: list[Guardian] = msgspec.field(default_factory=list)
    source_id: str | None = None
    usage_name: str | None = None


class ParsedStudents(Struct, kw_only=True):
    """A students export read: its students with the line each starts on, and what failed."""

    format: str
    students: list[ImportedStudent] = msgspec.field(default_factory=list)
    lines: list[int] = msgspec.field(default_factory=list)
    failures: list[RowFailure] = msgspec.field(default_factory=list)


class StudentGuardians(Struct, kw_only=True):
    """The guardians of one student, found by the key the export gives the student."""

    student: str
    guardians: list[Guardian]


class ParsedGuardians(Struct, kw_only=True):
    """A guardians export read: each student's guardians, and the links that failed."""

    format: str
    links: list[StudentGuardians] = msgspec.field(default_factory=list)
    failures: list[RowFailure] = msgspec.field(default_factory=list)


class Problems:
    """The field errors of one element or line, gathered before it becomes a failure."""

    def __init__(self, line: int, record_id: str | None) -> None:
        self.line = line
        self.id = record_id
        self.errors: list[FieldError] = []

    def add(self, path: str, message: str) -> None:
        """Note what is wrong with one field."""
        self.errors.append(FieldError(path, message))

    def failure(self) -> RowFailure | None:
        """The failure to report, or None if nothing was wrong."""
        if not self.errors:
            return None
        return RowFailure(line=self.line, id=self.id, errors=self.errors)


def read_date(text: str | None, path: str, problems: Problems) -> date | None:
    """A date written DD/MM/YYYY or YYYY-MM-DD; None if absent, noted in problems if invalid."""
    if not text:
        return None
    if iso := to_iso_date(text):
        try:
            return date.fromisoformat(iso)
        except ValueError:
            pass
    shown = text if len(text) <= 40 else text[:37] + "..."
    problems.add(path, NOT_A_DATE.format(value=repr(shown)))
    return None


def attach_guardians(
    students: list[ImportedStudent],
    parsed: ParsedGuardians,
    *,
    keys: Iterable[str | None] | None = None,
) -> int:
    """Give each student the guardians linked to its key; returns how many got some.

    The keys are the students' ``source_id`` (SIECLE's ELEVE_ID) unless given, one a student
    (for ONDE, the keys its ``StudentRef``s had). Links to students not in the list are left,
    as GEPI and SACoche leave the guardians of students no longer at the school.
    """
    found = {link.student: link.guardians for link in parsed.links}
    attached = 0
    for student, key in zip(students, keys or (s.source_id for s in students), strict=True):
        if key is not None and key in found:
            student.guardians = found[key]
            attached += 1
    return attached


def registration_fields(student: ImportedStudent) -> dict[str, Any]:
    """The student's fields as a registration takes them: named as the model names them, dates
    written YYYY-MM-DD, empty ones left out, and the export's own keys dropped."""
    fields = msgspec.to_builtins(student)
    for key in EXPORT_ONLY:
        fields.pop(key, None)
    return {key: value for key, value in fields.items() if value is not None and value != []}


def guardian_name(first: str | None, last: str | None) -> str:
    """A guardian's name as the student model keeps it: first name, then last name."""
    return " ".join(part for part in (first, last) if part)


def same_text(a: str | None, b: str | None) -> bool:
    """Whether two names or class labels are the same but for case, accents and spacing."""
    return " ".join(fold(a or "").split()) == " ".join(fold(b or "").split())
