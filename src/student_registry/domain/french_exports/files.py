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
from student_registry.messages import N_

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
    "siecle_students": N_("a SIECLE students export (BEE_ELEVES)"),
    "siecle_guardians": N_("a SIECLE guardians export (BEE_RESPONSABLES)"),
    "onde_students": N_("an ONDE students export"),
    "onde_guardians": N_("an ONDE guardians export"),
    "zip": N_("a zip inside the zip"),
    "xml": N_("an XML file that is not a SIECLE export"),
    "csv": N_("a CSV file of the registry's own columns"),
    "ndjson": N_("an NDJSON file"),
    "json": N_("a JSON file"),
}
NOT_STUDENTS = N_("This file is {description}, not a SIECLE or ONDE students export.")
NOT_GUARDIANS = N_("This file is {description}, not a SIECLE or ONDE guardians export.")
FILE_TOO_LARGE = N_("The file is larger than the {limit} bytes an import takes.")
ENTRY_TOO_LARGE = N_("The zip's {name} is larger than the {limit} bytes an import takes.")
ENTRY_UNREADABLE = N_("The zip's {name} cannot be read ({reason}).")
ENTRY_UNOPENABLE = N_("The zip's {name} cannot be opened ({reason}).")
ZIP_UNREADABLE = N_("The zip cannot be read ({reason}).")
NOT_ONE_FILE = N_(
    "The zip holds {count} files ({names}); an export's zip holds one, such as {example}."
)
ZIP_IN_ZIP = N_("The zip's {name} is itself a zip; give the file inside it.")
STUDENTS_FILE = "ElevesSansAdresses.xml"
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


def _too_large(entry: str | None, limit: int) -> ImportTooLarge:
    if entry is None:
        return ImportTooLarge(FILE_TOO_LARGE.format(limit=f"{limit:,}"))
    return ImportTooLarge(ENTRY_TOO_LARGE.format(name=entry, limit=f"{limit:,}"))


def _counted(chunks: Iterator[bytes], limit: int | None, entry: str | None) -> Iterator[bytes]:
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if limit is not None and size > limit:
            raise _too_large(entry, limit)
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
        raise InvalidImport(ENTRY_UNREADABLE.format(name=info.filename, reason=exc)) from None
    except (RuntimeError, NotImplementedError) as exc:  # encrypted, or an unknown compression
        raise InvalidImport(ENTRY_UNOPENABLE.format(name=info.filename, reason=exc)) from None


def open_export(file: IO[bytes], *, max_bytes: int | None = None) -> OpenedExport:
    """Open a file (seekable) as what its content says it is, unzipping a one-file zip."""
    head = file.read(HEAD_BYTES)
    fmt = detect_format(head)
    if fmt != "zip":
        file.seek(0)
        return OpenedExport(fmt, _counted(_read(file), max_bytes, None), None)
    file.seek(0)
    try:
        archive = zipfile.ZipFile(file)
        files = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
        raise InvalidImport(ZIP_UNREADABLE.format(reason=exc)) from None
    if len(files) != 1:
        names = ", ".join(info.filename for info in files[:5]) or "nothing"
        raise InvalidImport(
            NOT_ONE_FILE.format(count=len(files), names=names, example=STUDENTS_FILE)
        )
    info = files[0]
    if max_bytes is not None and info.file_size > max_bytes:
        raise _too_large(info.filename, max_bytes)
    chunks = _counted(_entry_chunks(archive, info), max_bytes, info.filename)
    first = next(chunks, b"")
    while len(first) < HEAD_BYTES and (more := next(chunks, b"")):
        first += more
    inner = detect_format(first)
    if inner == "zip":
        raise InvalidImport(ZIP_IN_ZIP.format(name=info.filename))
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
    raise InvalidImport(NOT_STUDENTS.format(description=DESCRIPTIONS[opened.format]))


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
    raise InvalidImport(NOT_GUARDIANS.format(description=DESCRIPTIONS[opened.format]))
