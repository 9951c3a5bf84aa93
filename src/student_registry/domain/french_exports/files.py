"""What an import file is, told from its content, and the reading of the administration's ones.

SIECLE hands out its XML zipped (``ExportXML_ElevesSansAdresses.zip``); GEPI and SACoche take
the zip or the XML. A zip must hold one file, and reading stops once that file has given more
than ``max_bytes`` (the declared size is checked first, then every byte read is counted, since a
zip can lie about it): a small zip cannot make the import read gigabytes.
"""

from __future__ import annotations

import codecs
import re
import zipfile
import zlib
from collections.abc import Iterator
from typing import IO, Literal

from student_registry.domain.bulk_formats import guess_format
from student_registry.domain.french_exports import onde, siecle
from student_registry.domain.french_exports.onde import ParsedGuardianRows, header_key
from student_registry.domain.french_exports.records import ParsedGuardians, ParsedStudents
from student_registry.errors import ImportTooLarge, InvalidImport

SourceFormat = Literal[
    "siecle_students",
    "siecle_guardians",
    "onde_students",
    "onde_guardians",
    "zip",
    "xml",
    "csv",
    "ndjson",
    "json",
]
DESCRIPTIONS: dict[SourceFormat, str] = {
    "siecle_students": "a SIECLE students export (BEE_ELEVES)",
    "siecle_guardians": "a SIECLE guardians export (BEE_RESPONSABLES)",
    "onde_students": "an ONDE students export",
    "onde_guardians": "an ONDE guardians export",
    "zip": "a zip inside the zip",
    "xml": "an XML file that is not a SIECLE export",
    "csv": "a CSV file of the registry's own columns",
    "ndjson": "an NDJSON file",
    "json": "a JSON file",
}
HEAD_BYTES = 4096  # enough for an XML prolog and root, or a CSV header row
CHUNK_BYTES = 64 * 1024
ZIP_MAGIC = b"PK\x03\x04"
_ROOT = re.compile(rb"<([A-Za-z_][\w.:-]*)")
_XML_ROOTS: dict[bytes, SourceFormat] = {
    siecle.STUDENTS_ROOT.encode(): "siecle_students",
    siecle.GUARDIANS_ROOT.encode(): "siecle_guardians",
}


def detect_format(head: bytes) -> SourceFormat:
    """What a file is, from its first bytes (a few KiB): an export, a zip, or the registry's own."""
    if head.startswith(ZIP_MAGIC):
        return "zip"
    body = head.removeprefix(codecs.BOM_UTF8).lstrip()
    if body.startswith(b"<"):
        root = _ROOT.search(body)
        return _XML_ROOTS.get(root.group(1), "xml") if root else "xml"
    first_line = body.split(b"\n", 1)[0]
    try:
        header = first_line.decode()
    except UnicodeDecodeError:
        header = first_line.decode("cp1252", errors="replace")
    keys = {header_key(cell.strip('"')) for cell in re.split("[;,\t]", header)}
    if all(key in keys for key in onde.STUDENT_HEADERS):
        return "onde_students"
    if all(key in keys for key in onde.GUARDIAN_HEADERS):
        return "onde_guardians"
    return guess_format("", head)


class OpenedExport:
    """A file opened for reading: what it is, whether it came zipped, and its bytes."""

    def __init__(self, fmt: SourceFormat, chunks: Iterator[bytes], entry: str | None) -> None:
        self.format = fmt
        self.chunks = chunks
        self.entry = entry  # the name of the file inside the zip
        self.zipped = entry is not None


def _counted(chunks: Iterator[bytes], limit: int | None, what: str) -> Iterator[bytes]:
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if limit is not None and size > limit:
            raise ImportTooLarge(f"{what} is larger than the {limit:,} bytes an import takes.")
        yield chunk


def _read(file: IO[bytes]) -> Iterator[bytes]:
    while chunk := file.read(CHUNK_BYTES):
        yield chunk


def _entry_chunks(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    try:
        with archive.open(info) as entry:
            yield from _read(entry)
    # A damaged header can also send zipfile to a negative offset (ValueError).
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
        raise InvalidImport(f"The zip's {info.filename} cannot be read ({exc}).") from None
    except (RuntimeError, NotImplementedError) as exc:  # encrypted, or an unknown compression
        raise InvalidImport(f"The zip's {info.filename} cannot be opened ({exc}).") from None


def open_export(file: IO[bytes], *, max_bytes: int | None = None) -> OpenedExport:
    """Open a file (seekable) as what its content says it is, unzipping a one-file zip."""
    head = file.read(HEAD_BYTES)
    fmt = detect_format(head)
    if fmt != "zip":
        file.seek(0)
        return OpenedExport(fmt, _counted(_read(file), max_bytes, "The file"), None)
    file.seek(0)
    try:
        archive = zipfile.ZipFile(file)
        files = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
        raise InvalidImport(f"The zip cannot be read ({exc}).") from None
    if len(files) != 1:
        names = ", ".join(info.filename for info in files[:5]) or "nothing"
        raise InvalidImport(
            f"The zip holds {len(files)} files ({names}); an export's zip holds one, "
            "such as ElevesSansAdresses.xml."
        )
    info = files[0]
    what = f"The zip's {info.filename}"
    if max_bytes is not None and info.file_size > max_bytes:
        raise ImportTooLarge(f"{what} is larger than the {max_bytes:,} bytes an import takes.")
    chunks = _counted(_entry_chunks(archive, info), max_bytes, what)
    first = next(chunks, b"")
    while len(first) < HEAD_BYTES and (more := next(chunks, b"")):
        first += more
    inner = detect_format(first)
    if inner == "zip":
        raise InvalidImport(f"{what} is itself a zip; give the file inside it.")
    return OpenedExport(inner, _prepend(first, chunks), info.filename)


def _prepend(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    if first:
        yield first
    yield from rest


def read_students_export(file: IO[bytes], *, max_bytes: int | None = None) -> ParsedStudents:
    """The students of a SIECLE (XML or zip) or ONDE (CSV) students export."""
    opened = open_export(file, max_bytes=max_bytes)
    if opened.format == "siecle_students":
        return siecle.read_students(opened.chunks)
    if opened.format == "onde_students":
        return onde.read_students(opened.chunks)
    raise InvalidImport(
        f"This file is {DESCRIPTIONS[opened.format]}, not a SIECLE or ONDE students export."
    )


def read_guardians_export(
    file: IO[bytes], *, max_bytes: int | None = None
) -> ParsedGuardians | ParsedGuardianRows:
    """The guardians of a SIECLE (XML or zip) or ONDE (CSV) guardians export.

    SIECLE's are linked to students by ELEVE_ID; ONDE's name their children, to be found among
    students with ``onde.match_children``.
    """
    opened = open_export(file, max_bytes=max_bytes)
    if opened.format == "siecle_guardians":
        return siecle.read_guardians(opened.chunks)
    if opened.format == "onde_guardians":
        return onde.read_guardian_rows(opened.chunks)
    raise InvalidImport(
        f"This file is {DESCRIPTIONS[opened.format]}, not a SIECLE or ONDE guardians export."
    )
