"""Reading SIECLE's XML exports: students, their classes, their guardians.

The fixtures under tests/fixtures/french_exports/ are invented people in the shape of real
exports; SOURCES.md there and a comment in each file name the code each element is taken from.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path

import pytest

from student_registry.domain.french_exports import siecle
from student_registry.domain.french_exports.files import (
    read_guardians_export,
    read_students_export,
)
from student_registry.domain.french_exports.records import (
    MAX_GUARDIANS,
    ImportedStudent,
    ParsedGuardians,
    ParsedStudents,
    attach_guardians,
    registration_fields,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "french_exports"
STUDENTS = FIXTURES / "ElevesSansAdresses.xml"
STUDENTS_2015 = FIXTURES / "ElevesSansAdresses-2015-utf8-bom.xml"
GUARDIANS = FIXTURES / "ResponsablesAvecAdresses.xml"
GUARDIANS_2017 = FIXTURES / "Responsables-2017-latin1.xml"


def chunked(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def students_of(path: Path) -> ParsedStudents:
    with path.open("rb") as file:
        return read_students_export(file)


def by_number(parsed: ParsedStudents) -> dict[str | None, ImportedStudent]:
    return {student.id: student for student in parsed.students}


def test_each_student_takes_its_elenoet_ine_sex_and_dates() -> None:
    eloise = by_number(students_of(STUDENTS))["4101"]

    assert eloise == ImportedStudent(
        id="4101",
        first_name="Éloïse",
        last_name="FICTIF",
        birth_date=date(2013, 4, 17),
        course="4A",
        sex="F",
        ine="123456789AB",
        birthplace="69123",
        status="enrolled",
        entry_date=date(2024, 9, 1),
        source_id="900001",
    )


def test_the_class_is_the_d_structure_and_a_g_structure_is_only_a_group() -> None:
    students = by_number(students_of(STUDENTS))

    assert students["4101"].course == "4A"  # a G structure comes first, the D one wins
    assert students["4105"].course is None  # only a G structure: in no class


def test_the_family_name_is_the_last_name_and_the_usage_name_is_kept_apart() -> None:
    noe = by_number(students_of(STUDENTS))["4102"]

    assert (noe.last_name, noe.usage_name, noe.sex) == ("EXEMPLE", "MODÈLE", "M")
    assert noe.birthplace == "LONDRES"  # VILLE_NAISS before the INSEE code
    assert noe.ine == "0123456789Z"


def test_a_date_sortie_withdraws_the_student_on_that_date_with_the_reason_code() -> None:
    zoe = by_number(students_of(STUDENTS))["4103"]

    assert zoe.status == "withdrawn"
    assert zoe.exit_date == date(2026, 10, 20)
    assert zoe.exit_reason == "SIECLE: sortie (motif 13)"


def test_an_invalid_student_is_reported_with_its_line_and_elements() -> None:
    parsed = students_of(STUDENTS)

    [failure] = parsed.failures
    assert (failure.line, failure.id) == (67, "4104")
    assert [e.path for e in failure.errors] == ["ELEVE/DATE_NAISS", "ELEVE/CODE_SEXE"]
    assert "31/02/2012" in failure.errors[0].message
    assert len(parsed.students) == len(parsed.lines) == 4
    assert "4104" not in by_number(parsed)


def test_the_pre_2016_nom_element_is_read_and_the_inactive_class_skipped() -> None:
    [loic] = students_of(STUDENTS_2015).students

    assert (loic.last_name, loic.first_name, loic.course) == ("ANCIEN", "Loïc", "TS2")


def test_iso_8859_15_letters_outside_latin_1_are_read() -> None:
    xml = (
        '<?xml version="1.0" encoding="ISO-8859-15"?><BEE_ELEVES><DONNEES><ELEVES>'
        '<ELEVE ELEVE_ID="1"><NOM_DE_FAMILLE>ŒUVRE</NOM_DE_FAMILLE><PRENOM>Šarlota</PRENOM>'
        "<DATE_NAISS>01/02/2010</DATE_NAISS></ELEVE></ELEVES></DONNEES></BEE_ELEVES>"
    ).encode("iso-8859-15")

    [student] = siecle.read_students([xml]).students

    assert (student.last_name, student.first_name, student.id) == ("ŒUVRE", "Šarlota", None)


@pytest.mark.parametrize("size", [1, 7, 100, 1 << 20])
def test_any_chunking_reads_the_same_students(size: int) -> None:
    data = STUDENTS.read_bytes()

    assert siecle.read_students(chunked(data, size)) == siecle.read_students([data])


def test_a_second_student_with_the_same_eleve_id_is_reported() -> None:
    student = (
        '<ELEVE ELEVE_ID="7"><NOM>A</NOM><PRENOM>B</PRENOM><DATE_NAISS>01/01/2010</DATE_NAISS>'
        "</ELEVE>\n"
    )
    xml = f"<BEE_ELEVES><DONNEES><ELEVES>\n{student}{student}</ELEVES></DONNEES></BEE_ELEVES>"

    parsed = siecle.read_students([xml.encode()])

    assert len(parsed.students) == 1
    [failure] = parsed.failures
    assert failure.line == 3
    assert failure.errors[0].message == "is also the ELEVE_ID of the student on line 2"


def test_missing_names_and_birth_date_are_each_named() -> None:
    xml = (
        b"<BEE_ELEVES><DONNEES><ELEVES><ELEVE><NOM_USAGE/></ELEVE></ELEVES></DONNEES></BEE_ELEVES>"
    )

    [failure] = siecle.read_students([xml]).failures

    assert [e.path for e in failure.errors] == [
        "ELEVE/@ELEVE_ID",
        "ELEVE/NOM_DE_FAMILLE",
        "ELEVE/PRENOM",
        "ELEVE/DATE_NAISS",
    ]


def zipped(entries: dict[str, bytes]) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    buffer.seek(0)
    return buffer


@pytest.mark.parametrize("entry", ["ElevesSansAdresses.xml", "ElevesAvecAdresses.xml"])
def test_the_zip_siecle_hands_out_reads_as_the_xml_inside(entry: str) -> None:
    archive = zipped({entry: STUDENTS.read_bytes()})

    assert read_students_export(archive) == students_of(STUDENTS)


def test_guardians_come_legal_first_with_their_relationship_and_authority() -> None:
    with GUARDIANS.open("rb") as file:
        parsed = read_guardians_export(file)
    assert isinstance(parsed, ParsedGuardians)

    links = {link.student: link.guardians for link in parsed.links}
    mother, father, neighbour = links["900001"]
    assert (mother.name, mother.relationship, mother.parental_authority) == (
        "Hélène FICTIF",
        "mother",
        True,
    )
    assert (mother.phone, mother.email) == ("+33600000001", "helene.fictif@example.org")
    assert (father.relationship, father.phone, father.email) == ("father", "0100000002", None)
    assert (neighbour.relationship, neighbour.parental_authority) == ("other", False)
    [tutor] = links["900002"]
    assert (tutor.name, tutor.relationship) == ("Anaïs ESSAI-TUTRICE", "guardian")


def test_guardian_links_that_cannot_be_read_are_reported_in_line_order() -> None:
    with GUARDIANS.open("rb") as file:
        parsed = read_guardians_export(file)

    assert [(f.line, f.id, f.errors[0].path) for f in parsed.failures] == [
        (75, "900002", "RESPONSABLE_ELEVE/PERSONNE_ID"),
        (81, None, "RESPONSABLE_ELEVE/ELEVE_ID"),
    ]


def test_pre_2018_resp_legal_marks_the_legal_guardians() -> None:
    with GUARDIANS_2017.open("rb") as file:
        parsed = read_guardians_export(file)
    assert isinstance(parsed, ParsedGuardians)

    [link] = parsed.links
    assert [(g.name, g.relationship, g.parental_authority) for g in link.guardians] == [
        ("Rémi ANCIEN", "father", True),
        ("Aude ANCIENNE", "other", False),
    ]


def test_a_student_keeps_at_most_the_guardians_the_model_takes() -> None:
    people = "".join(
        f'<PERSONNE PERSONNE_ID="{n}"><NOM>P{n}</NOM><PRENOM>X</PRENOM></PERSONNE>'
        for n in range(6)
    )
    links = "".join(
        f"<RESPONSABLE_ELEVE><ELEVE_ID>1</ELEVE_ID><PERSONNE_ID>{n}</PERSONNE_ID>"
        f"<NIVEAU_RESPONSABILITE>{3 if n < 3 else 1}</NIVEAU_RESPONSABILITE></RESPONSABLE_ELEVE>"
        for n in range(6)
    )
    xml = (
        f"<BEE_RESPONSABLES><DONNEES><PERSONNES>{people}</PERSONNES>"
        f"<RESPONSABLES>{links}</RESPONSABLES></DONNEES></BEE_RESPONSABLES>"
    )

    [link] = siecle.read_guardians([xml.encode()]).links

    assert len(link.guardians) == MAX_GUARDIANS
    assert [g.parental_authority for g in link.guardians] == [True, True, True, False]


def test_guardians_attach_to_the_students_of_the_students_export() -> None:
    students = students_of(STUDENTS).students
    with GUARDIANS.open("rb") as file:
        parsed = read_guardians_export(file)
    assert isinstance(parsed, ParsedGuardians)

    assert attach_guardians(students, parsed) == 2
    assert [len(s.guardians) for s in students] == [3, 1, 0, 0]


def test_registration_fields_are_the_models_names_without_the_exports_keys() -> None:
    students = students_of(STUDENTS).students
    with GUARDIANS.open("rb") as file:
        parsed = read_guardians_export(file)
    assert isinstance(parsed, ParsedGuardians)
    attach_guardians(students, parsed)

    eloise, noe, zoe, _ = (registration_fields(s) for s in students)

    assert eloise["birth_date"] == "2013-04-17"
    assert eloise["guardians"][0] == {
        "name": "Hélène FICTIF",
        "relationship": "mother",
        "phone": "+33600000001",
        "email": "helene.fictif@example.org",
        "parental_authority": True,
    }
    assert set(noe) == {
        "id", "first_name", "last_name", "birth_date", "course", "sex", "ine", "birthplace",
        "status", "entry_date", "guardians",
    }  # fmt: skip
    assert (zoe["status"], zoe["exit_date"], "guardians" in zoe) == (
        "withdrawn",
        "2026-10-20",
        False,
    )
