"""ONDE's CSV exports: ``CSVExtraction.csv`` (students) and ``CSVExtraction Parents.csv``.

Both are semicolon-separated with CRLF line ends, in Windows-1252 (or UTF-8 with a BOM), read
as the bulk CSV import reads text: UTF-8 until a byte says otherwise. Columns are found by their
header, compared without case, accents or extra spaces (`` Cycle`` has a leading space), as
SACoche finds them (``administrateur_fichier_user.ajax.step20.php``). The guardians file names
no student by id: each line gives a guardian, then ``Nom d'usage enfant``, ``Nom de famille
enfant``, ``Prénom enfant``, ``Classes enfants`` once per child; ``match_children`` finds those
children among students by name, and by class when names alone name several.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from msgspec import Struct

from student_registry.domain import rules
from student_registry.domain.bulk_formats import MAX_ROW_BYTES, RowFailure, _Utf8Text
from student_registry.domain.french_exports.records import (
    MAX_GUARDIANS,
    Guardian,
    ImportedStudent,
    ParsedGuardians,
    ParsedStudents,
    Problems,
    Sex,
    StudentGuardians,
    guardian_name,
    read_date,
    same_text,
)
from student_registry.domain.text import fold
from student_registry.errors import FieldError, InvalidImport
from student_registry.messages import N_

STUDENT_COLUMNS: dict[str, str] = {
    "nom eleve": "last_name",
    "nom d'usage eleve": "usage_name",
    "prenom eleve": "first_name",
    "date naissance": "birth_date",
    "date de naissance": "birth_date",
    "sexe": "sex",
    "ine": "ine",
    "libelle classe": "course",
}
GUARDIAN_COLUMNS: dict[str, str] = {
    "civilite responsable": "title",
    "nom usage responsable": "usage_name",
    "nom responsable": "last_name",
    "prenom responsable": "first_name",
    "courriel": "email",
    "telephone domicile": "home_phone",
    "telephone portable": "mobile_phone",
}
STUDENT_REQUIRED = {
    "last_name": "Nom élève",
    "first_name": "Prénom élève",
    "birth_date": "Date naissance",
}
GUARDIAN_REQUIRED = {"last_name": "Nom responsable", "first_name": "Prénom responsable"}
CHILD_LAST_NAME = "nom de famille enfant"
CHILD_FIRST_NAME = "prenom enfant"
CHILD_CLASS = "classes enfants"
STUDENT_HEADERS = ("nom eleve", "prenom eleve")
GUARDIAN_HEADERS = ("nom responsable", CHILD_LAST_NAME)
SEXES: dict[str, Sex] = {"M": "M", "F": "F"}
LINE_TOO_LONG = N_("Line {line} is longer than {size} KiB.")
LINE_UNREADABLE = N_("Line {line} cannot be read: {reason}.")
MISSING_COLUMNS = {
    "students": N_(
        "The header row of this ONDE students export has no column for: {columns}"
        " (found: {header})."
    ),
    "guardians": N_(
        "The header row of this ONDE guardians export has no column for: {columns}"
        " (found: {header})."
    ),
}
NO_CHILD_COLUMNS = N_(
    "The header row of this ONDE guardians export has no columns 'Nom de famille enfant' and"
    " 'Prénom enfant'."
)
NOT_A_SEX = N_("must be M or F (got {value})")
NAMES_NO_CHILD = N_("names no child")
CHILD = N_("child {number}")
# A child of the guardians file, with its class or without one, that names no single student.
SEVERAL_STUDENTS = N_("{child} ({course}) names several students: {ids}")
SEVERAL_STUDENTS_NO_CLASS = N_("{child} (no class) names several students: {ids}")
NO_STUDENT = N_("{child} ({course}) matches no student")
NO_STUDENT_NO_CLASS = N_("{child} (no class) matches no student")


def header_key(name: str) -> str:
    """A header as it is compared: ``" Prénom  Élève"`` -> ``"prenom eleve"``."""
    return " ".join(fold(name.replace("\u2019", "'")).split())


def _lines(chunks: Iterable[bytes]) -> Iterator[str]:
    """The text's lines, each with its end, decoded as the bulk CSV import decodes."""
    text = _Utf8Text()
    pending = ""
    line = 1
    for chunk in _then_end(chunks):
        decoded, broken = text.decode(chunk, final=not chunk)
        parts = (pending + decoded).split("\n")
        pending = parts.pop()
        for part in parts:
            yield part + "\n"
        line += len(parts)
        if broken:
            raise InvalidImport(f"Line {line} {broken}.")
        if len(pending) > MAX_ROW_BYTES:
            raise InvalidImport(LINE_TOO_LONG.format(line=line, size=MAX_ROW_BYTES // 1024))
    if pending:
        yield pending


def _then_end(chunks: Iterable[bytes]) -> Iterator[bytes]:
    for chunk in chunks:
        if chunk:
            yield chunk
    yield b""


def _records(chunks: Iterable[bytes]) -> Iterator[tuple[int, list[str]]]:
    """Each record of the CSV with the line it starts on; the header first."""
    lines = _lines(chunks)
    first = next(lines, "")
    delimiter = max((";", ",", "\t"), key=first.count)
    reader = csv.reader(_chain(first, lines), delimiter=delimiter)
    start = 1
    try:
        for record in reader:
            if any(cell.strip() for cell in record):
                yield start, record
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InvalidImport(LINE_UNREADABLE.format(line=start, reason=exc)) from None


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    if first:
        yield first
    yield from rest


def _columns(
    header: list[str], known: dict[str, str], required: dict[str, str], kind: str
) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, name in enumerate(header):
        field = known.get(header_key(name))
        if field is not None and field not in found:
            found[field] = index
    missing = [label for field, label in required.items() if field not in found]
    if missing:
        raise InvalidImport(
            MISSING_COLUMNS[kind].format(columns=", ".join(missing), header=";".join(header)[:200])
        )
    return found


def _cell(record: list[str], columns: dict[str, int], field: str) -> str | None:
    index = columns.get(field)
    value = record[index].strip() if index is not None and index < len(record) else ""
    return value or None


def read_students(chunks: Iterable[bytes]) -> ParsedStudents:
    """The students of an ONDE students export (``CSVExtraction.csv``)."""
    parsed = ParsedStudents(format="onde_students")
    records = _records(chunks)
    _, header = next(records, (1, []))
    columns = _columns(header, STUDENT_COLUMNS, STUDENT_REQUIRED, "students")
    names = {index: name.strip() for index, name in enumerate(header)}
    for line, record in records:
        cell = {field: _cell(record, columns, field) for field in columns}
        problems = Problems(line, cell.get("ine"))
        for field in ("last_name", "first_name", "birth_date"):
            if cell[field] is None:
                problems.add(names[columns[field]], rules.REQUIRED)
        birth_date = read_date(cell["birth_date"], names[columns["birth_date"]], problems)
        sex = (cell.get("sex") or "").upper()
        if sex and sex not in SEXES:
            problems.add(names[columns["sex"]], NOT_A_SEX.format(value=repr(sex[:20])))
        if (failure := problems.failure()) is not None:
            parsed.failures.append(failure)
            continue
        assert birth_date is not None
        family, usage = cell["last_name"] or "", cell.get("usage_name")
        parsed.students.append(
            ImportedStudent(
                id=None,
                first_name=cell["first_name"] or "",
                last_name=family,
                birth_date=birth_date,
                course=cell.get("course"),
                sex=SEXES.get(sex),
                ine=(cell.get("ine") or "").upper() or None,
                usage_name=usage if usage and usage != family else None,
            )
        )
        parsed.lines.append(line)
    return parsed


class Child(Struct, kw_only=True):
    """A child as a line of the guardians export names them."""

    last_name: str
    first_name: str
    course: str | None


class GuardianRow(Struct, kw_only=True):
    """One line of the guardians export: a guardian and the children they answer for."""

    line: int
    title: str | None
    guardian: Guardian
    children: list[Child]


class ParsedGuardianRows(Struct, kw_only=True):
    """An ONDE guardians export read, before its children are matched to students."""

    format: str = "onde_guardians"
    rows: list[GuardianRow]
    failures: list[RowFailure]


def read_guardian_rows(chunks: Iterable[bytes]) -> ParsedGuardianRows:
    """The lines of an ONDE guardians export (``CSVExtraction Parents.csv``).

    ONDE records no relationship, only a civility (kept as ``title``), so each guardian is
    ``other``; it lists the legal guardians ("responsables légaux"), so each has parental
    authority.
    """
    parsed = ParsedGuardianRows(rows=[], failures=[])
    records = _records(chunks)
    _, header = next(records, (1, []))
    columns = _columns(header, GUARDIAN_COLUMNS, GUARDIAN_REQUIRED, "guardians")
    keys = [header_key(name) for name in header]
    groups = list(
        zip(
            [i for i, key in enumerate(keys) if key == CHILD_LAST_NAME],
            [i for i, key in enumerate(keys) if key == CHILD_FIRST_NAME],
            [i for i, key in enumerate(keys) if key == CHILD_CLASS] + [-1] * len(keys),
            strict=False,
        )
    )
    if not groups:
        raise InvalidImport(NO_CHILD_COLUMNS)
    for line, record in records:
        cell = {field: _cell(record, columns, field) for field in columns}
        problems = Problems(line, None)
        for field in ("last_name", "first_name"):
            if cell[field] is None:
                problems.add(header[columns[field]].strip(), rules.REQUIRED)
        children = []
        for last, first, course in groups:
            child = [
                record[i].strip() if 0 <= i < len(record) else "" for i in (last, first, course)
            ]
            if child[0] and child[1]:
                children.append(
                    Child(last_name=child[0], first_name=child[1], course=child[2] or None)
                )
        if not children:
            problems.add("Nom de famille enfant", NAMES_NO_CHILD)
        if (failure := problems.failure()) is not None:
            parsed.failures.append(failure)
            continue
        guardian = Guardian(
            name=guardian_name(cell["first_name"], cell.get("usage_name") or cell["last_name"]),
            relationship="other",
            phone=cell.get("mobile_phone") or cell.get("home_phone"),
            email=cell.get("email"),
            parental_authority=True,
        )
        parsed.rows.append(
            GuardianRow(line=line, title=cell.get("title"), guardian=guardian, children=children)
        )
    return parsed


class StudentRef(Struct, kw_only=True):
    """What matching needs of a student: a key to report it by, its names and class."""

    key: str
    last_name: str
    first_name: str
    course: str | None = None


def student_refs(parsed: ParsedStudents) -> list[StudentRef]:
    """The students of an ONDE students export as matching takes them, keyed by their line."""
    return [
        StudentRef(key=str(line), last_name=s.last_name, first_name=s.first_name, course=s.course)
        for line, s in zip(parsed.lines, parsed.students, strict=True)
    ]


def match_children(parsed: ParsedGuardianRows, students: Iterable[StudentRef]) -> ParsedGuardians:
    """Each student's guardians, finding the children of each line among ``students``.

    A child is the one student with the same last and first names (ignoring case, accents and
    spacing); when several have them, the one in the child's class. Children matching none, or
    several, are reported on their line. A student keeps at most MAX_GUARDIANS.
    """
    result = ParsedGuardians(format=parsed.format, failures=list(parsed.failures))
    by_name: dict[tuple[str, str], list[StudentRef]] = {}
    for student in students:
        by_name.setdefault(_name_key(student.last_name, student.first_name), []).append(student)
    found: dict[str, list[Guardian]] = {}
    for row in parsed.rows:
        errors = []
        for number, child in enumerate(row.children, start=1):
            candidates = by_name.get(_name_key(child.last_name, child.first_name), [])
            if len(candidates) > 1 and child.course:
                in_class = [s for s in candidates if same_text(s.course, child.course)]
                candidates = in_class or candidates
            named = f"{child.first_name} {child.last_name}"
            path = CHILD.format(number=number)
            if len(candidates) == 1:
                guardians = found.setdefault(candidates[0].key, [])
                if len(guardians) < MAX_GUARDIANS and row.guardian not in guardians:
                    guardians.append(row.guardian)
            elif candidates:
                keys = ", ".join(s.key for s in candidates[:5])
                several = SEVERAL_STUDENTS if child.course else SEVERAL_STUDENTS_NO_CLASS
                message = several.format(child=named, course=child.course, ids=keys)
                errors.append(FieldError(path, message))
            else:
                missing = NO_STUDENT if child.course else NO_STUDENT_NO_CLASS
                errors.append(FieldError(path, missing.format(child=named, course=child.course)))
        if errors:
            result.failures.append(RowFailure(line=row.line, id=None, errors=errors))
    result.links = [StudentGuardians(student=key, guardians=g) for key, g in found.items()]
    return result


def _name_key(last: str, first: str) -> tuple[str, str]:
    return header_key(last), header_key(first)
