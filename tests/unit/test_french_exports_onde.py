"""Reading ONDE's CSV exports and finding the children its guardians file names.

Fixtures: tests/fixtures/french_exports/CSVExtraction*.csv, in the shape SACoche reads
(``pages/administrateur_fichier_user.ajax.step20.php``, sections onde_eleves and onde_parents);
see SOURCES.md there. The repository keeps every CSV with LF line ends; ONDE writes CRLF, so the
tests give the readers the files with CRLF, as a school downloads them.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest

from student_registry.domain.french_exports import onde
from student_registry.domain.french_exports.files import (
    read_guardians_export,
    read_students_export,
)
from student_registry.domain.french_exports.onde import (
    ParsedGuardianRows,
    StudentRef,
    header_key,
    match_children,
    student_refs,
)
from student_registry.domain.french_exports.records import (
    MAX_GUARDIANS,
    Guardian,
    attach_guardians,
)
from student_registry.errors import InvalidImport

FIXTURES = Path(__file__).parent.parent / "fixtures" / "french_exports"
STUDENTS = FIXTURES / "CSVExtraction.csv"
STUDENTS_UTF8 = FIXTURES / "CSVExtraction-utf8-bom.csv"
GUARDIANS = FIXTURES / "CSVExtraction Parents.csv"


def as_downloaded(path: Path) -> io.BytesIO:
    """A fixture with the CRLF line ends ONDE writes."""
    return io.BytesIO(path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))


def guardian_rows() -> ParsedGuardianRows:
    parsed = read_guardians_export(as_downloaded(GUARDIANS))
    assert isinstance(parsed, ParsedGuardianRows)
    return parsed


def test_windows_1252_and_utf8_with_bom_read_alike() -> None:
    cp1252, utf8 = as_downloaded(STUDENTS), as_downloaded(STUDENTS_UTF8)

    assert read_students_export(cp1252) == read_students_export(utf8)


def test_crlf_and_lf_line_ends_read_alike() -> None:
    with STUDENTS.open("rb") as lf:
        assert read_students_export(lf) == read_students_export(as_downloaded(STUDENTS))


def test_each_student_has_names_sex_ine_and_class_label() -> None:
    parsed = read_students_export(as_downloaded(STUDENTS))

    maelys, jules, lina, _ = parsed.students
    assert (maelys.first_name, maelys.last_name, maelys.sex, maelys.ine) == (
        "Maëlys",
        "FICTIF",
        "F",
        "1234567890A",
    )
    assert (maelys.course, maelys.id, maelys.status) == ("CE2 Mme Modèle", None, "enrolled")
    assert maelys.birth_date == date(2017, 3, 14)  # day first
    assert jules.birth_date == date(2019, 7, 2)  # year first, as some exports write it
    assert (lina.last_name, lina.usage_name, lina.ine) == ("ESSAI", "MODÈLE", None)
    assert parsed.lines == [2, 3, 4, 5]


def test_a_row_that_cannot_be_read_is_reported_with_its_line_and_columns() -> None:
    [failure] = read_students_export(as_downloaded(STUDENTS)).failures

    assert failure.line == 6
    assert [(e.path, e.message) for e in failure.errors] == [
        ("Date naissance", "is required"),
        ("Sexe", "must be M or F (got 'X')"),
    ]


def test_a_header_without_the_name_columns_is_refused_naming_them() -> None:
    with pytest.raises(InvalidImport, match="no column for: Nom élève, Date naissance"):
        onde.read_students(["Prénom élève;INE;Libellé classe\r\nA;B;C\r\n".encode()])


def test_headers_compare_without_case_accents_or_extra_spaces() -> None:
    assert header_key(" Cycle") == "cycle"
    assert header_key("Nom d\u2019usage  Élève") == "nom d'usage eleve"


def test_a_quoted_line_break_stays_inside_its_cell() -> None:
    data = 'Nom élève;Prénom élève;Date naissance\r\n"A\r\nB";C;01/01/2015\r\nD;E;02/02/2015\r\n'

    parsed = onde.read_students([data.encode()])

    assert [s.last_name for s in parsed.students] == ["A\r\nB", "D"]
    assert parsed.lines == [2, 4]


def test_text_that_is_not_windows_1252_after_utf8_stops_with_its_line() -> None:
    data = "Nom élève;Prénom élève;Date naissance\r\n".encode() + b"A;\xff\xfe;01/01/2015\r\n"

    with pytest.raises(InvalidImport, match=r"^Line 2 is not UTF-8"):
        list(onde.read_students([data]).students)


def test_each_guardian_row_gives_the_guardian_and_its_children() -> None:
    parsed = guardian_rows()

    celine = parsed.rows[0]
    assert (celine.line, celine.title) == (2, "MME")
    assert celine.guardian == Guardian(
        name="Céline FICTIF",
        relationship="other",
        phone="0600000010",
        email="celine@example.org",
        parental_authority=True,
    )
    assert [(c.first_name, c.course) for c in celine.children] == [
        ("Maëlys", "CE2 Mme Modèle"),
        ("Jules", "GS-CP M. Essai"),
    ]
    assert parsed.rows[1].guardian.phone == "0100000011"  # home phone without a mobile one
    assert parsed.rows[2].guardian.name == "Agnès MODÈLE"  # the usage name
    [failure] = parsed.failures
    assert (failure.line, failure.errors[0].path) == (6, "Nom responsable")


def refs() -> list[StudentRef]:
    return [
        StudentRef(key="s1", last_name="Fictif", first_name="Maelys", course="CE2 Mme Modèle"),
        StudentRef(key="s2", last_name="FICTIF", first_name="Jules", course="GS-CP M. Essai"),
        StudentRef(key="s3", last_name="ESSAI", first_name="Lina", course="CM1-CM2 Mme Test"),
        StudentRef(key="s4", last_name="ESSAI", first_name="Lina", course="CM1-CM2 Mme Test"),
    ]


def test_children_are_found_by_name_whatever_the_class_label_says() -> None:
    matched = match_children(guardian_rows(), refs())

    links = {link.student: [g.name for g in link.guardians] for link in matched.links}
    # The second row writes the class "CLASSE  CE2": one Maëlys FICTIF, so it is hers.
    assert links == {"s1": ["Céline FICTIF", "Hervé FICTIF"], "s2": ["Céline FICTIF"]}


def test_children_matching_several_or_no_students_are_reported_on_their_line() -> None:
    matched = match_children(guardian_rows(), refs())

    assert [(f.line, [(e.path, e.message) for e in f.errors]) for f in matched.failures] == [
        (6, [("Nom responsable", "is required")]),
        (4, [("child 1", "Lina ESSAI (CM1-CM2 Mme Test) names several students: s3, s4")]),
        (5, [("child 1", "Nina ABSENT (CP) matches no student")]),
    ]


def test_the_class_tells_apart_children_of_the_same_name() -> None:
    students = [
        *refs()[:3],
        StudentRef(key="s4", last_name="ESSAI", first_name="Lina", course="CP"),
    ]

    matched = match_children(guardian_rows(), students)

    assert "s3" in {link.student for link in matched.links}
    assert "s4" not in {link.student for link in matched.links}


def test_a_student_keeps_at_most_the_guardians_the_model_takes() -> None:
    header = "Nom responsable;Prénom responsable;Nom de famille enfant;Prénom enfant\r\n"
    rows = "".join(f"P{n};X;FICTIF;Jules\r\n" for n in range(6))

    parsed = onde.read_guardian_rows([(header + rows).encode()])
    [link] = match_children(parsed, refs()).links

    assert len(link.guardians) == MAX_GUARDIANS


def test_guardians_attach_to_the_students_of_the_same_onde_extraction() -> None:
    parsed = read_students_export(as_downloaded(STUDENTS))
    refs = student_refs(parsed)

    matched = match_children(guardian_rows(), refs)
    attach_guardians(parsed.students, matched, keys=[ref.key for ref in refs])

    maelys, jules, lina, other_lina = parsed.students
    assert [g.name for g in maelys.guardians] == ["Céline FICTIF", "Hervé FICTIF"]
    assert [g.name for g in jules.guardians] == ["Céline FICTIF"]
    assert lina.guardians == other_lina.guardians == []  # two Lina ESSAI in one class
