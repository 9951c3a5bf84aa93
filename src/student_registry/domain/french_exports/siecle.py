"""SIECLE's XML exports: ``ElevesSansAdresses.xml`` (students) and ``ResponsablesAvecAdresses.xml``.

Students are the ``DONNEES/ELEVES/ELEVE`` elements; their class is the ``STRUCTURE`` of type
``D`` (a "division") under ``DONNEES/STRUCTURES/STRUCTURES_ELEVE``, which comes after all the
students, so students wait for it (a few hundred bytes each). A structure of type ``G`` is a
group, not a class. Guardians are ``DONNEES/PERSONNES/PERSONNE`` elements, tied to students by
``DONNEES/RESPONSABLES/RESPONSABLE_ELEVE``; a student's ``ELEVE_ID`` is the key between files.

Element names are those GEPI (``init_xml2/step1.php``, ``responsables.php``), SACoche and Pix
(``siecle-parser``) read, old and new: ``NOM`` before 2016, ``NOM_DE_FAMILLE`` and
``NOM_USAGE`` since; ``RESP_LEGAL`` before 2018, ``NIVEAU_RESPONSABILITE`` since.
"""

from __future__ import annotations

from collections.abc import Iterable
from xml.etree.ElementTree import Element

from student_registry.domain import rules
from student_registry.domain.bulk_formats import RowFailure
from student_registry.domain.french_exports.records import (
    MAX_GUARDIANS,
    Guardian,
    ImportedStudent,
    ParsedGuardians,
    ParsedStudents,
    Problems,
    Relationship,
    Sex,
    StudentGuardians,
    guardian_name,
    read_date,
)
from student_registry.domain.french_exports.safe_xml import read_elements
from student_registry.errors import FieldError
from student_registry.messages import N_

STUDENTS_ROOT = "BEE_ELEVES"
GUARDIANS_ROOT = "BEE_RESPONSABLES"
_STUDENT = f"{STUDENTS_ROOT}/DONNEES/ELEVES/ELEVE"
_STRUCTURES = f"{STUDENTS_ROOT}/DONNEES/STRUCTURES/STRUCTURES_ELEVE"
_PERSON = f"{GUARDIANS_ROOT}/DONNEES/PERSONNES/PERSONNE"
_LINK = f"{GUARDIANS_ROOT}/DONNEES/RESPONSABLES/RESPONSABLE_ELEVE"
CLASS_STRUCTURE = "D"
# The class SIECLE puts students in once they are no longer taught (Pix leaves it out too).
INACTIVE_CLASS = "Inactifs"
SEXES: dict[str, Sex] = {"1": "M", "2": "F"}
RELATIONSHIPS: dict[str, Relationship] = {"10": "mother", "20": "father", "50": "guardian"}
LEGAL_GUARDIAN = "1"  # NIVEAU_RESPONSABILITE of a legal guardian (2: in charge, 3: contact)
SEX_CODE = N_("must be 1 (M) or 2 (F) (got {value})")
SAME_ELEVE_ID = N_("is also the ELEVE_ID of the student on line {line}")
NO_PERSON = N_("names no PERSONNE with a name (PERSONNE_ID {value})")
LEGAL_ORDER = ("1", "2")  # RESP_LEGAL of the first and second legal guardian (0: contact)


def _text(element: Element, tag: str) -> str | None:
    child = element.find(tag)
    text = " ".join((child.text or "").split()) if child is not None else ""
    return text or None


def _student(line: int, element: Element) -> tuple[ImportedStudent | None, Problems]:
    source_id = element.get("ELEVE_ID", "").strip() or None
    number = element.get("ELENOET", "").strip() or _text(element, "ELENOET")
    problems = Problems(line, number or source_id)
    if source_id is None:
        problems.add("ELEVE/@ELEVE_ID", rules.REQUIRED)
    family = _text(element, "NOM_DE_FAMILLE") or _text(element, "NOM")
    usage = _text(element, "NOM_USAGE")
    first_name = _text(element, "PRENOM")
    if not (family or usage):
        problems.add("ELEVE/NOM_DE_FAMILLE", rules.REQUIRED)
    if first_name is None:
        problems.add("ELEVE/PRENOM", rules.REQUIRED)
    written_birth_date = _text(element, "DATE_NAISS")
    if written_birth_date is None:
        problems.add("ELEVE/DATE_NAISS", rules.REQUIRED)
    birth_date = read_date(written_birth_date, "ELEVE/DATE_NAISS", problems)
    sex_code = _text(element, "CODE_SEXE")
    if sex_code is not None and sex_code not in SEXES:
        problems.add("ELEVE/CODE_SEXE", SEX_CODE.format(value=repr(sex_code[:20])))
    entry_date = read_date(_text(element, "DATE_ENTREE"), "ELEVE/DATE_ENTREE", problems)
    exit_date = read_date(_text(element, "DATE_SORTIE"), "ELEVE/DATE_SORTIE", problems)
    if problems.errors or first_name is None or birth_date is None:
        return None, problems
    reason = _text(element, "CODE_MOTIF_SORTIE")
    ine = _text(element, "ID_NATIONAL") or _text(element, "INE_RNIE")
    return ImportedStudent(
        id=number,
        first_name=first_name,
        last_name=family or usage or "",
        birth_date=birth_date,
        course=None,
        sex=SEXES.get(sex_code or ""),
        ine=ine.upper() if ine else None,
        birthplace=_text(element, "VILLE_NAISS") or _text(element, "CODE_COMMUNE_INSEE_NAISS"),
        status="withdrawn" if exit_date else "enrolled",
        entry_date=entry_date,
        exit_date=exit_date,
        exit_reason=(f"SIECLE: sortie (motif {reason})" if reason else "SIECLE: sortie")
        if exit_date
        else None,
        source_id=source_id,
        usage_name=usage if usage and usage != family else None,
    ), problems


def _class_of(element: Element) -> str | None:
    for structure in element.iter("STRUCTURE"):
        code = _text(structure, "CODE_STRUCTURE")
        if _text(structure, "TYPE_STRUCTURE") == CLASS_STRUCTURE and code != INACTIVE_CLASS:
            return code
    return None


def read_students(chunks: Iterable[bytes]) -> ParsedStudents:
    """The students of a SIECLE students export, each in its class (``D`` structure)."""
    parsed = ParsedStudents(format="siecle_students")
    found: dict[str, int] = {}  # ELEVE_ID -> index in parsed.students
    courses: dict[str, str] = {}
    for line, element in read_elements(chunks, root=STUDENTS_ROOT, wanted=(_STUDENT, _STRUCTURES)):
        if element.tag == "STRUCTURES_ELEVE":
            source_id = element.get("ELEVE_ID", "").strip()
            if source_id not in courses and (course := _class_of(element)) is not None:
                courses[source_id] = course
            continue
        student, problems = _student(line, element)
        if student is not None and student.source_id in found:
            first = parsed.lines[found[student.source_id]]
            problems.add("ELEVE/@ELEVE_ID", SAME_ELEVE_ID.format(line=first))
        if (failure := problems.failure()) is not None:
            parsed.failures.append(failure)
        elif student is not None and student.source_id is not None:
            found[student.source_id] = len(parsed.students)
            parsed.students.append(student)
            parsed.lines.append(line)
    for student in parsed.students:
        student.course = courses.get(student.source_id or "")
    return parsed


class _Link:
    """One RESPONSABLE_ELEVE: which person answers for which student, and how."""

    def __init__(self, line: int, student: str, person: str, legal: int, relationship: str):
        self.line = line
        self.student = student
        self.person = person
        self.legal = legal  # 0, 1, 2: the order of legal guardians; 9 for the others
        self.relationship = relationship


def _link(line: int, element: Element) -> tuple[_Link | None, Problems]:
    student = _text(element, "ELEVE_ID")
    person = _text(element, "PERSONNE_ID")
    problems = Problems(line, student)
    if student is None:
        problems.add("RESPONSABLE_ELEVE/ELEVE_ID", rules.REQUIRED)
    if person is None:
        problems.add("RESPONSABLE_ELEVE/PERSONNE_ID", rules.REQUIRED)
    level = _text(element, "NIVEAU_RESPONSABILITE")
    order = _text(element, "RESP_LEGAL")
    if level is not None:
        legal = 0 if level == LEGAL_GUARDIAN else 9
    else:
        legal = LEGAL_ORDER.index(order) if order in LEGAL_ORDER else 9
    if student is None or person is None:
        return None, problems
    return _Link(line, student, person, legal, _text(element, "CODE_PARENTE") or ""), problems


def read_guardians(chunks: Iterable[bytes]) -> ParsedGuardians:
    """Each student's guardians in a SIECLE guardians export, legal guardians first.

    ``parental_authority`` is true for a legal guardian (``NIVEAU_RESPONSABILITE`` 1, or
    ``RESP_LEGAL`` 1 or 2 in older exports); ``CODE_PARENTE`` 10 is a mother, 20 a father, 50 a
    tutor (``guardian``), any other code ``other``. A student keeps at most MAX_GUARDIANS.
    """
    parsed = ParsedGuardians(format="siecle_guardians")
    people: dict[str, tuple[str, str | None, str | None]] = {}  # id -> name, phone, email
    links: list[_Link] = []
    for line, element in read_elements(chunks, root=GUARDIANS_ROOT, wanted=(_PERSON, _LINK)):
        if element.tag == "PERSONNE":
            name = guardian_name(
                _text(element, "PRENOM"),
                _text(element, "NOM_USAGE")
                or _text(element, "NOM_DE_FAMILLE")
                or _text(element, "NOM"),
            )
            phone = _text(element, "TEL_PORTABLE") or _text(element, "TEL_PERSONNEL")
            people[element.get("PERSONNE_ID", "").strip()] = (name, phone, _text(element, "MEL"))
            continue
        link, problems = _link(line, element)
        if (failure := problems.failure()) is not None:
            parsed.failures.append(failure)
        elif link is not None:
            links.append(link)
    by_student: dict[str, list[_Link]] = {}
    for link in links:
        name, _, _ = people.get(link.person, ("", None, None))
        if not name:
            unknown = NO_PERSON.format(value=repr(link.person[:20]))
            parsed.failures.append(
                RowFailure(
                    line=link.line,
                    id=link.student,
                    errors=[FieldError("RESPONSABLE_ELEVE/PERSONNE_ID", unknown)],
                )
            )
            continue
        by_student.setdefault(link.student, []).append(link)
    for student, student_links in by_student.items():
        student_links.sort(key=lambda link: link.legal)
        guardians = []
        for link in student_links[:MAX_GUARDIANS]:
            name, phone, email = people[link.person]
            guardians.append(
                Guardian(
                    name=name,
                    relationship=RELATIONSHIPS.get(link.relationship, "other"),
                    phone=phone,
                    email=email,
                    parental_authority=link.legal < 9,
                )
            )
        parsed.links.append(StudentGuardians(student=student, guardians=guardians))
    parsed.failures.sort(key=lambda failure: failure.line or 0)
    return parsed
