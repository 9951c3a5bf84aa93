"""The administration's exports (SIECLE, ONDE) imported through the bulk import.

``french_exports`` reads a file into records; here each record becomes a registration, checked
like a row of the registry's own files, and the bulk import writes them. A student already
registered is found by INE first, then by id, and updated: the export is the school's
reference, so these files always import in ``update`` mode.

Ids: a SIECLE student is registered under its ``ELENOET``. ONDE gives no id: a student is
registered under its INE (national, unique, never reused), or without one under ``onde-`` and a
digest of its folded names and birth date, so that importing the same file again finds the same
students.
"""

from __future__ import annotations

import asyncio
import hashlib
import tempfile
from collections.abc import AsyncIterator, Callable
from typing import IO

from student_registry.domain.bulk import ImportReport, import_students, read_rows
from student_registry.domain.bulk_formats import (
    Format,
    ParsedChunk,
    RowFailure,
    guess_format,
    validate,
)
from student_registry.domain.french_exports.files import (
    DESCRIPTIONS,
    HEAD_BYTES,
    detect_format,
    read_guardians_export,
    read_students_export,
)
from student_registry.domain.french_exports.onde import (
    ParsedGuardianRows,
    match_children,
    student_refs,
)
from student_registry.domain.french_exports.records import (
    ImportedStudent,
    ParsedStudents,
    attach_guardians,
    registration_fields,
)
from student_registry.domain.models import StudentCreate, StudentPatch
from student_registry.domain.service import Registry, utc_now
from student_registry.domain.text import fold
from student_registry.errors import ExportOnlyOption, FieldError, InvalidStudent, StudentNotFound
from student_registry.messages import N_
from student_registry.store.redis_store import ConflictMode, RedisStore

# What an export file starts with; the registry's own files are none of these.
EXPORT_HEADS = frozenset(
    {"zip", "siecle_students", "siecle_guardians", "onde_students", "onde_guardians"}
)
EXPORT_MEDIA_TYPES = frozenset({"application/zip", "application/xml", "text/xml"})
EXPORT_MODE: ConflictMode = "update"
# A body is kept in memory up to this size while it is received, then on disk.
SPOOL_MEMORY = 8 * 1024 * 1024
CHUNK_BYTES = 64 * 1024
NO_LONGER_REGISTERED = N_("is no longer registered")
# The paths of the guardians file's failures, told from the students file's.
IN_GUARDIANS_FILE = N_("guardians: {path}")
WITHDRAW_MISSING_NEEDS_EXPORT = N_(
    "Only a full SIECLE or ONDE students export can withdraw the students it leaves out;"
    " this file is {description}."
)
# The registration's fields: an export's record has more (status and dates), left out until a
# registration takes them.
_STUDENT_FIELDS = frozenset(StudentCreate.__struct_fields__)


def is_export(head: bytes) -> bool:
    """Whether a file's first bytes (HEAD_BYTES of them) are those of an export or a zip."""
    return detect_format(head[:HEAD_BYTES]) in EXPORT_HEADS


def check_withdraw_missing(head: bytes, *, withdraw_missing: bool) -> None:
    """Refuse ``withdraw_missing`` for a file whose first bytes are not those of an export:
    only the school's full list says which students have left."""
    if withdraw_missing and not is_export(head):
        description = DESCRIPTIONS[detect_format(head[:HEAD_BYTES])]
        message = WITHDRAW_MISSING_NEEDS_EXPORT.format(description=description)
        raise ExportOnlyOption([FieldError("withdraw_missing", message)])


def is_export_media_type(content_type: str) -> bool:
    """Whether a Content-Type is one an export is sent as (zip or XML)."""
    return content_type.split(";")[0].strip().lower() in EXPORT_MEDIA_TYPES


async def peek(chunks: AsyncIterator[bytes]) -> tuple[bytes, AsyncIterator[bytes]]:
    """The first HEAD_BYTES (or fewer, if the body is shorter), and the chunks after them."""
    head = b""
    async for chunk in chunks:
        head += chunk
        if len(head) >= HEAD_BYTES:
            break
    return head, chunks


async def prepended(head: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """The chunks a peek took, then the others."""
    if head:
        yield head
    async for chunk in rest:
        yield chunk


async def read_export_body(
    head: bytes, rest: AsyncIterator[bytes], *, max_bytes: int | None
) -> ReadExport:
    """Read an export received as chunks: kept in a temporary file (a zip is read from its
    end), then read in a worker thread, so that the event loop goes on serving."""
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY) as body:
        async for chunk in prepended(head, rest):
            await asyncio.to_thread(body.write, chunk)
        await asyncio.to_thread(body.seek, 0)
        return await asyncio.to_thread(read_export, body, max_bytes=max_bytes)


class ReadExport:
    """An export read: its students, and what failed in the students and guardians files."""

    def __init__(self, parsed: ParsedStudents, failures: list[RowFailure]) -> None:
        self.parsed = parsed
        self.failures = failures


def read_export(
    students: IO[bytes], *, guardians: IO[bytes] | None = None, max_bytes: int | None = None
) -> ReadExport:
    """Read a students export and, if given, its guardians file (CPU-bound: run in a thread).

    ``max_bytes`` caps each file's uncompressed size. Failures of the guardians file keep its
    lines, their paths marked ``guardians:``.
    """
    parsed = read_students_export(students, max_bytes=max_bytes)
    failures = list(parsed.failures)
    if guardians is not None:
        found = read_guardians_export(guardians, max_bytes=max_bytes)
        if isinstance(found, ParsedGuardianRows):
            refs = student_refs(parsed)
            matched = match_children(found, refs)
            attach_guardians(parsed.students, matched, keys=[ref.key for ref in refs])
        else:
            matched = found
            attach_guardians(parsed.students, matched)
        failures += [_in_guardians_file(failure) for failure in matched.failures]
    return ReadExport(parsed, failures)


def _in_guardians_file(failure: RowFailure) -> RowFailure:
    errors = [FieldError(IN_GUARDIANS_FILE.format(path=e.path), e.message) for e in failure.errors]
    return RowFailure(line=failure.line, id=failure.id, errors=errors)


def own_id(student: ImportedStudent) -> str:
    """The id a new student of an export is registered under (see the module's docstring)."""
    if student.id:
        return student.id
    if student.ine:
        return student.ine
    person = "\0".join((fold(student.last_name), fold(student.first_name)))
    digest = hashlib.sha256(f"{person}\0{student.birth_date.isoformat()}".encode()).hexdigest()
    return f"onde-{digest[:16]}"


async def export_rows(store: RedisStore, read: ReadExport) -> ParsedChunk:
    """The export's students as registrations for ``import_students``, each under the id of
    the registered student with its INE, else its own id; invalid ones fail on their line."""
    students = read.parsed.students
    owners = await store.ine_owners([student.ine or "" for student in students])
    chunk = ParsedChunk(students=[], lines=[], failures=list(read.failures))
    for student, line, owner in zip(students, read.parsed.lines, owners, strict=True):
        fields = {k: v for k, v in registration_fields(student).items() if k in _STUDENT_FIELDS}
        fields["id"] = owner or own_id(student)
        result = validate(fields, line)
        if isinstance(result, RowFailure):
            chunk.failures.append(result)
        else:
            chunk.students.append(result)
            chunk.lines.append(line)
    return chunk


async def import_export(
    target: Registry | RedisStore,
    read: ReadExport,
    *,
    dry_run: bool = False,
    atomic: bool = False,
    on_progress: Callable[[ImportReport], None] | None = None,
    allow_duplicates: bool = False,
    withdraw_missing: bool = False,
) -> ImportReport:
    """Register or update an export's students with the bulk import, in ``update`` mode.

    With ``withdraw_missing`` the export is taken as the school's full list: enrolled students
    it does not name are withdrawn (never deleted), as SACoche does.
    """
    registry = target if isinstance(target, Registry) else Registry(target)
    chunk = await export_rows(registry.store, read)
    report = await import_students(
        registry.store,
        [chunk],
        on_conflict=EXPORT_MODE,
        dry_run=dry_run,
        atomic=atomic,
        on_progress=on_progress,
        allow_duplicates=allow_duplicates,
    )
    if withdraw_missing and not report.aborted:
        named = {s.id for s in chunk.students} | {f.id for f in chunk.failures}
        named |= {s.ine for s in read.parsed.students}
        source = "ONDE" if read.parsed.format.startswith("onde") else "SIECLE"
        await _withdraw_missing(registry, named, report, source=source)
    return report


async def _withdraw_missing(
    registry: Registry, named: set[str | None], report: ImportReport, *, source: str
) -> None:
    """Withdraw the enrolled students neither the export's ids nor its INEs name, today."""
    missing = [
        student
        async for student in registry.export_students(status="enrolled")
        if student.id not in named and (student.ine is None or student.ine not in named)
    ]
    if report.dry_run:
        report.withdrawn = len(missing)
        return
    reason = f"Absent from the {source} export"
    for student in missing:
        try:
            patch = StudentPatch(status="withdrawn", exit_date=utc_now().date(), exit_reason=reason)
            await registry.update_student(student.id, patch)
        except (InvalidStudent, StudentNotFound) as exc:
            errors = (
                exc.errors
                if isinstance(exc, InvalidStudent)
                else [FieldError("$", NO_LONGER_REGISTERED)]
            )
            report.failures.append(RowFailure(line=None, id=student.id, errors=errors))
            report.failed += 1
            continue
        report.withdrawn += 1


async def import_upload(
    target: Registry | RedisStore,
    chunks: AsyncIterator[bytes],
    fmt: Format | None,
    *,
    max_bytes: int,
    on_conflict: ConflictMode = "fail",
    dry_run: bool = False,
    atomic: bool = False,
    allow_duplicates: bool = False,
    withdraw_missing: bool = False,
) -> ImportReport:
    """Import a body received in chunks: an export (zip, XML, or ONDE's CSV, told from its first
    bytes) through ``import_export``, else rows in ``fmt`` (None for an export's media type)."""
    head, rest = await peek(chunks)
    check_withdraw_missing(head, withdraw_missing=withdraw_missing)
    if fmt is None or is_export(head):
        read = await read_export_body(head, rest, max_bytes=max_bytes)
        return await import_export(
            target,
            read,
            dry_run=dry_run,
            atomic=atomic,
            allow_duplicates=allow_duplicates,
            withdraw_missing=withdraw_missing,
        )
    return await import_students(
        target,
        read_rows(prepended(head, rest), fmt),
        on_conflict=on_conflict,
        dry_run=dry_run,
        atomic=atomic,
        allow_duplicates=allow_duplicates,
    )


async def _file_chunks(file: IO[bytes]) -> AsyncIterator[bytes]:
    while chunk := await asyncio.to_thread(file.read, CHUNK_BYTES):
        yield chunk


async def import_files(
    target: Registry | RedisStore,
    file: IO[bytes],
    *,
    filename: str,
    guardians: IO[bytes] | None = None,
    max_bytes: int,
    on_conflict: ConflictMode = "fail",
    dry_run: bool = False,
    atomic: bool = False,
    allow_duplicates: bool = False,
    withdraw_missing: bool = False,
) -> ImportReport:
    """Import uploaded files, kept whole (a form's): an export with its guardians file, or rows
    in the format the file's name, else its first bytes, say. A guardians file makes the first
    file an export, as ``withdraw_missing`` needs one."""
    head = await asyncio.to_thread(file.read, HEAD_BYTES)
    await asyncio.to_thread(file.seek, 0)
    check_withdraw_missing(head, withdraw_missing=withdraw_missing)
    if is_export(head) or guardians is not None:
        read = await asyncio.to_thread(read_export, file, guardians=guardians, max_bytes=max_bytes)
        return await import_export(
            target,
            read,
            dry_run=dry_run,
            atomic=atomic,
            allow_duplicates=allow_duplicates,
            withdraw_missing=withdraw_missing,
        )
    return await import_students(
        target,
        read_rows(_file_chunks(file), guess_format(filename, head)),
        on_conflict=on_conflict,
        dry_run=dry_run,
        atomic=atomic,
        allow_duplicates=allow_duplicates,
    )
