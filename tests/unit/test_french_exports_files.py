"""Telling import files apart by content, and refusing hostile XML and zips."""

from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from student_registry.domain.french_exports import siecle
from student_registry.domain.french_exports.files import (
    detect_format,
    open_export,
    read_guardians_export,
    read_students_export,
)
from student_registry.domain.french_exports.safe_xml import MAX_ELEMENT_CHARS
from student_registry.errors import InvalidImport

FIXTURES = Path(__file__).parent.parent / "fixtures" / "french_exports"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ElevesSansAdresses.xml", "siecle_students"),
        ("ElevesSansAdresses-2015-utf8-bom.xml", "siecle_students"),
        ("ResponsablesAvecAdresses.xml", "siecle_guardians"),
        ("Responsables-2017-latin1.xml", "siecle_guardians"),
        ("CSVExtraction.csv", "onde_students"),
        ("CSVExtraction-utf8-bom.csv", "onde_students"),
        ("CSVExtraction Parents.csv", "onde_guardians"),
    ],
)
def test_each_export_is_told_from_its_first_bytes(name: str, expected: str) -> None:
    assert detect_format((FIXTURES / name).read_bytes()[:4096]) == expected


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"id,first_name,last_name,birth_date,course\n", "csv"),
        ("\ufeffprénom;nom;date de naissance;classe\r\n".encode(), "csv"),
        (b'{"first_name": "A"}\n', "ndjson"),
        (b'  [{"first_name": "A"}]', "json"),
        (b'<?xml version="1.0"?>\n<!-- a note -->\n<STS_EDT/>', "xml"),
        (b"", "csv"),
    ],
)
def test_the_registrys_own_files_and_other_xml_are_told_apart(head: bytes, expected: str) -> None:
    assert detect_format(head) == expected


def zipped(entries: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    buffer.seek(0)
    return buffer


def test_a_zip_is_told_apart_and_opened_as_the_export_inside() -> None:
    data = (FIXTURES / "ResponsablesAvecAdresses.xml").read_bytes()
    archive = zipped({"ResponsablesAvecAdresses.xml": data})

    assert detect_format(archive.getvalue()[:4096]) == "zip"
    opened = open_export(archive)
    assert (opened.format, opened.zipped, opened.entry) == (
        "siecle_guardians",
        True,
        "ResponsablesAvecAdresses.xml",
    )
    assert b"".join(opened.chunks) == data


def test_a_file_of_the_other_kind_is_refused_naming_what_it_is() -> None:
    with (
        (FIXTURES / "ResponsablesAvecAdresses.xml").open("rb") as file,
        pytest.raises(InvalidImport, match=r"is a SIECLE guardians export .* not a SIECLE or ONDE"),
    ):
        read_students_export(file)
    with (
        (FIXTURES / "CSVExtraction.csv").open("rb") as file,
        pytest.raises(InvalidImport, match="is an ONDE students export, not"),
    ):
        read_guardians_export(file)


def test_a_zip_with_more_than_one_file_is_refused() -> None:
    archive = zipped({"ElevesSansAdresses.xml": b"<a/>", "Nomenclature.xml": b"<b/>"})

    with pytest.raises(InvalidImport, match="holds 2 files"):
        open_export(archive)


def test_a_zip_inside_the_zip_is_refused() -> None:
    inner = zipped({"ElevesSansAdresses.xml": b"<BEE_ELEVES/>"}).getvalue()

    with pytest.raises(InvalidImport, match="is itself a zip"):
        open_export(zipped({"ExportXML.zip": inner}))


def test_a_zip_bomb_is_refused_before_it_is_inflated() -> None:
    bomb = zipped({"ElevesSansAdresses.xml": b"<BEE_ELEVES>" + b" " * 20_000_000})
    assert len(bomb.getvalue()) < 100_000

    with pytest.raises(InvalidImport, match="larger than the 1,000,000 bytes"):
        open_export(bomb, max_bytes=1_000_000)


def test_a_zip_that_understates_its_size_is_still_stopped() -> None:
    data = b"<BEE_ELEVES>" + b" " * 2_000_000 + b"</BEE_ELEVES>"
    raw = bytearray(zipped({"ElevesSansAdresses.xml": data}).getvalue())
    # Write a small uncompressed size in the central directory's entry (offset 24).
    central = raw.rfind(b"PK\x01\x02")
    raw[central + 24 : central + 28] = struct.pack("<I", 100)

    with pytest.raises(InvalidImport):
        read_students_export(io.BytesIO(bytes(raw)), max_bytes=1_000_000)


@pytest.mark.parametrize(
    "data",
    [b"PK\x03\x04 this is no zip", b"PK\x03\x04" + bytes(range(256)) * 4],
)
def test_a_broken_zip_is_refused(data: bytes) -> None:
    with pytest.raises(InvalidImport, match="zip"):
        read_students_export(io.BytesIO(data))


def test_an_uncompressed_file_over_the_limit_is_refused() -> None:
    data = (FIXTURES / "ElevesSansAdresses.xml").read_bytes()

    with pytest.raises(InvalidImport, match="The file is larger than the 1,000 bytes"):
        read_students_export(io.BytesIO(data), max_bytes=1000)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE BEE_ELEVES [
  <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
]>
<BEE_ELEVES><DONNEES><ELEVES><ELEVE ELEVE_ID="1"><NOM>&c;</NOM></ELEVE></ELEVES></DONNEES>
</BEE_ELEVES>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE BEE_ELEVES [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<BEE_ELEVES><DONNEES><ELEVES><ELEVE ELEVE_ID="1"><NOM>&secret;</NOM></ELEVE></ELEVES></DONNEES>
</BEE_ELEVES>"""


@pytest.mark.parametrize("data", [BILLION_LAUGHS, EXTERNAL_ENTITY])
def test_xml_declaring_a_dtd_is_refused_so_no_entity_is_expanded(data: bytes) -> None:
    with pytest.raises(InvalidImport, match=r"^Line 2: the XML declares a document type"):
        read_students_export(io.BytesIO(data))


def test_an_undeclared_entity_is_a_syntax_error_with_its_line() -> None:
    data = b"<BEE_ELEVES>\n<DONNEES>&secret;</DONNEES></BEE_ELEVES>"

    with pytest.raises(
        InvalidImport, match=r"^Line 2: the XML cannot be read \(undefined entity\)"
    ):
        read_students_export(io.BytesIO(data))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"<BEE_ELEVES>\n<DONNEES>\n</BEE_ELEVES>",
            r"^Line 3: the XML cannot be read \(mismatched",
        ),
        (b"<BEE_ELEVES><DONNEES>", r"^Line 1: the XML cannot be read \(no element found\)"),
        (b'<?xml version="1.0" encoding="x-macthai"?><BEE_ELEVES/>', "encoding cannot be read"),
        (b"<BEE_RESPONSABLES/>", r"root element is <BEE_RESPONSABLES>, not <BEE_ELEVES>"),
        (b"<BEE_ELEVES>" + b"<A>" * 40, "nests elements more than 32 deep"),
    ],
)
def test_xml_that_cannot_be_read_is_refused_with_its_line(data: bytes, message: str) -> None:
    with pytest.raises(InvalidImport, match=message):
        siecle.read_students([data])


def test_an_overlong_element_is_refused_without_being_held() -> None:
    name = "A" * (MAX_ELEMENT_CHARS + 1)
    data = f"<BEE_ELEVES><DONNEES><ELEVES>\n<ELEVE><NOM>{name}</NOM></ELEVE>"

    with pytest.raises(InvalidImport, match=r"^Line 2: the <ELEVE> element goes on past 64 KiB"):
        siecle.read_students([data.encode()])


def test_what_no_student_element_holds_is_streamed_past_in_bounded_memory() -> None:
    student = (
        '<ELEVE ELEVE_ID="{n}"><NOM>N{n}</NOM><PRENOM>P</PRENOM>'
        "<DATE_NAISS>01/01/2012</DATE_NAISS></ELEVE>"
    )
    options = "<OPTION><OPTIONS_ELEVE><CODE_MATIERE>030201</CODE_MATIERE></OPTIONS_ELEVE></OPTION>"
    head = "<BEE_ELEVES><DONNEES><ELEVES>" + "".join(student.format(n=n) for n in range(3))
    size = 5_000_000
    repeats = size // len(options)

    def chunks() -> Iterator[bytes]:
        yield (head + "</ELEVES><OPTIONS>").encode()
        block = (options * 1000).encode()
        for _ in range(repeats // 1000):
            yield block
        yield b"</OPTIONS></DONNEES></BEE_ELEVES>"

    tracemalloc.start()
    try:
        parsed = siecle.read_students(chunks())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert len(parsed.students) == 3
    assert peak < 1_000_000  # a fifth of the 5 MB read
