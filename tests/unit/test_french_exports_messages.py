"""The SIECLE and ONDE readers' messages: English as written, French on a French page."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from types import ModuleType

import pytest

from student_registry.domain import export_import
from student_registry.domain.french_exports import files, onde, records, safe_xml, siecle
from student_registry.errors import InvalidImport
from student_registry.web import i18n

NBSP = "\u00a0"
READERS: tuple[ModuleType, ...] = (files, onde, records, safe_xml, siecle, export_import)


@pytest.fixture(autouse=True)
def _english_after() -> Iterator[None]:
    yield
    i18n.use_language("en")


# Constants of the readers that are no messages: the ONDE headers they look for.
HEADERS = frozenset(
    {"STUDENT_REQUIRED", "GUARDIAN_REQUIRED", "CHILD_LAST_NAME", "CHILD_FIRST_NAME", "CHILD_CLASS"}
)


def _messages(module: ModuleType) -> list[str]:
    """The module's constants written in words (a dict of them counts each value)."""
    found: list[str] = []
    for name, value in vars(module).items():
        if name.isupper() and name not in HEADERS:
            values = value.values() if isinstance(value, dict) else [value]
            found += [v for v in values if isinstance(v, str) and " " in v]
    return found


MESSAGES = list(dict.fromkeys(m for module in READERS for m in _messages(module)))
TEMPLATES = [m for m in MESSAGES if re.search(r"\{\w+\}", m)]
PLAIN = [m for m in MESSAGES if not re.search(r"\{\w+\}", m)]


def _reading_error(data: bytes) -> str:
    with pytest.raises(InvalidImport) as raised:
        files.read_students_export(io.BytesIO(data))
    return str(raised.value)


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_message_the_readers_format_reads_in_french_with_its_values(template: str) -> None:
    names = re.findall(r"\{(\w+)\}", template)
    values = {name: f"v{at}x" for at, name in enumerate(names)}
    english = template.format(**values)
    i18n.use_language("fr")
    french = i18n.translate(english)
    assert french != english
    assert all(value in french for value in values.values())


@pytest.mark.parametrize("message", PLAIN)
def test_every_message_the_readers_give_as_is_has_its_french(message: str) -> None:
    assert i18n.catalog("fr").gettext(message) != message


def test_a_file_of_another_kind_is_named_in_french_too() -> None:
    english = _reading_error(b"id,first_name,last_name\n1,A,B\n")
    assert english == (
        "This file is a CSV file of the registry's own columns,"
        " not a SIECLE or ONDE students export."
    )
    i18n.use_language("fr")
    assert i18n.translate(english) == (
        "Ce fichier est un fichier CSV aux colonnes du registre,"
        " et non un export des élèves de SIECLE ou d’ONDE."
    )


def test_a_zip_of_two_files_is_refused_in_french_naming_them() -> None:
    body = io.BytesIO()
    with zipfile.ZipFile(body, "w") as archive:
        archive.writestr("a.xml", "<BEE_ELEVES/>")
        archive.writestr("b.xml", "<BEE_ELEVES/>")
    english = _reading_error(body.getvalue())
    assert english.startswith("The zip holds 2 files (a.xml, b.xml); an export's zip holds one")
    i18n.use_language("fr")
    assert i18n.translate(english).startswith("Le zip contient 2 fichiers (a.xml, b.xml)\u202f;")


def test_an_unreadable_xml_keeps_its_line_in_french() -> None:
    english = _reading_error(b'<?xml version="1.0"?>\n<BEE_ELEVES>\n<DONNEES>\n</BEE_ELEVES>')
    assert re.fullmatch(r"Line 4: the XML cannot be read \(.+\)\.", english), english
    i18n.use_language("fr")
    assert i18n.translate(english).startswith(f"Ligne 4{NBSP}: le XML ne peut pas être lu (")


def test_a_guardians_files_paths_read_in_french() -> None:
    i18n.use_language("fr")
    assert i18n.translate("guardians: child 2") == f"responsables{NBSP}: enfant 2"
    assert i18n.translate("guardians: RESPONSABLE_ELEVE/PERSONNE_ID") == (
        f"responsables{NBSP}: RESPONSABLE_ELEVE/PERSONNE_ID"
    )


def test_a_child_without_a_class_is_said_to_have_none_in_french() -> None:
    without = onde.NO_STUDENT_NO_CLASS.format(child="Nina ABSENT")
    within = onde.NO_STUDENT.format(child="Nina ABSENT", course="CE2 A")
    assert without == "Nina ABSENT (no class) matches no student"
    i18n.use_language("fr")
    assert i18n.translate(without) == "Nina ABSENT (sans classe) ne correspond à aucun élève"
    assert i18n.translate(within) == "Nina ABSENT (CE2 A) ne correspond à aucun élève"


def test_a_bad_date_reads_in_french_with_what_was_written() -> None:
    problems = records.Problems(67, "4104")
    records.read_date("31/02/2012", "ELEVE/DATE_NAISS", problems)
    failure = problems.failure()
    assert failure is not None
    [error] = failure.errors
    assert error.message == "must be a date written DD/MM/YYYY or YYYY-MM-DD (got '31/02/2012')"
    i18n.use_language("fr")
    assert i18n.translate(error.message) == (
        "doit être une date écrite JJ/MM/AAAA ou AAAA-MM-JJ (reçu '31/02/2012')"
    )
