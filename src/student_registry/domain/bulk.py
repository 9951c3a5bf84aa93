"""Importing and exporting students in bulk, under the same atomic rules as one registration.

Rows go to the store in batches; each row is one atomic step there (``import.lua``), so ids and
emails stay unique across a batch and against the data already stored. While Redis applies one
batch, the next one is parsed and validated. With ``atomic`` every row is checked first and the
whole file is applied in a single step, or nothing is.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable
from datetime import UTC, datetime
from typing import TypeVar

import msgspec
from msgspec import Struct

from student_registry.domain.audit import current_trace
from student_registry.domain.bulk_formats import (
    Format,
    ParsedChunk,
    RowFailure,
    encode_students,
    parser_for,
)
from student_registry.domain.models import StatusFilter, Student, StudentCreate, student_from_hash
from student_registry.domain.service import MAX_ATTEMPTS, Registry, generate_id, to_row
from student_registry.domain.text import fold, name_matches, search_words
from student_registry.errors import FieldError, InvalidImport
from student_registry.messages import N_
from student_registry.metrics import IMPORT_ROWS
from student_registry.store.redis_store import ConflictMode, RedisStore, StudentRow

# Rows per call to Redis: at least MIN_BATCH_ROWS when Redis is idle, BATCH_ROWS when busy.
BATCH_ROWS = 5000
MIN_BATCH_ROWS = 500
FEED_BYTES = 32 * 1024
MAX_LISTED_FAILURES = 1000
# An all-or-nothing import is one Redis script: every other client waits while it runs,
# about a second per 50,000 rows. Bigger files import in batches.
MAX_ATOMIC_ROWS = 20_000
ID_TAKEN = N_("is already registered")
EMAIL_TAKEN = N_("belongs to another student")
INE_TAKEN = N_("belongs to another student")
DUPLICATE = N_(
    "has the first name, last name and date of birth of the registered student {ids};"
    " import with allow_duplicates to register it anyway"
)
FAILED = frozenset({"exists", "email_taken", "duplicate", "ine_taken"})

T = TypeVar("T")


class ImportReport(Struct, kw_only=True):
    """What an import did, or in a dry run would do, with the rows that failed and why."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0  # with on_conflict update: registered with these values already
    skipped: int = 0
    failed: int = 0
    # Enrolled students an export's import withdrew (or would) for being absent from it.
    withdrawn: int = 0
    dry_run: bool = False
    atomic: bool = False
    aborted: bool = msgspec.field(default=False)
    unknown_columns: list[str] = msgspec.field(default_factory=list)
    failures: list[RowFailure] = msgspec.field(default_factory=list)
    error: str | None = None

    @property
    def succeeded(self) -> bool:
        """Whether every row went in (or would, in a dry run)."""
        return self.failed == 0 and self.error is None


async def _aiter(items: AsyncIterable[T] | Iterable[T]) -> AsyncIterator[T]:
    if isinstance(items, AsyncIterable):
        async for item in items:
            yield item
    else:
        for item in items:
            yield item


class RowReader:
    """Students parsed from a stream of byte chunks (sync or async) in one format."""

    def __init__(self, chunks: AsyncIterable[bytes] | Iterable[bytes], fmt: Format) -> None:
        self.chunks = chunks
        self.parser = parser_for(fmt)

    @property
    def unknown_columns(self) -> list[str]:
        """Columns (or JSON keys) that are not student fields, in the order first seen."""
        return self.parser.unknown_columns

    async def __aiter__(self) -> AsyncIterator[ParsedChunk]:
        async for data in _aiter(self.chunks):
            # Small slices keep parsing interleaved with the batches Redis is applying.
            for start in range(0, len(data), FEED_BYTES):
                chunk = self.parser.feed(data[start : start + FEED_BYTES])
                if chunk.students or chunk.failures or chunk.error:
                    yield chunk
                if chunk.error:
                    return
        yield self.parser.feed(b"", final=True)


class _Importer:
    """Sends batches to the store, one in flight while the next is parsed, and tallies."""

    def __init__(
        self,
        store: RedisStore,
        report: ImportReport,
        *,
        on_conflict: ConflictMode,
        on_progress: Callable[[ImportReport], None] | None,
        allow_duplicates: bool = False,
    ) -> None:
        self.store = store
        self.allow_duplicates = allow_duplicates
        self.report = report
        self.mode = on_conflict
        self.on_progress = on_progress
        self.students: list[StudentCreate] = []
        self.lines: list[int] = []
        self.in_flight: asyncio.Task[None] | None = None
        # Dry runs remember what earlier rows would have written.
        self.seen_ids: set[str] = set()
        self.seen_emails: dict[str, str] = {}
        self.seen_ines: dict[str, str] = {}
        self.seen_people: set[str] = set()
        self.trace = current_trace()

    def add(self, chunk: ParsedChunk) -> None:
        self.report.rows += len(chunk.students) + len(chunk.failures)
        for failure in chunk.failures:
            self.fail(failure)
        self.students += chunk.students
        self.lines += chunk.lines

    def fail(self, failure: RowFailure) -> None:
        self.report.failed += 1
        if len(self.report.failures) < MAX_LISTED_FAILURES:
            self.report.failures.append(failure)

    async def send_batches(self, *, final: bool = False) -> None:
        """Send what is parsed as soon as Redis is free, so that it never waits for Python."""
        await asyncio.sleep(0)  # take in the answer to the batch in flight, if it came
        while self.students:
            busy = self.in_flight is not None and not self.in_flight.done()
            wanted = BATCH_ROWS if busy else MIN_BATCH_ROWS
            if len(self.students) < wanted and not final:
                return
            students, lines = self.students[:BATCH_ROWS], self.lines[:BATCH_ROWS]
            del self.students[:BATCH_ROWS], self.lines[:BATCH_ROWS]
            rows = [to_row(s, s.id or generate_id()) for s in students]
            await self.wait()
            self.in_flight = asyncio.create_task(self.run_batch(students, rows, lines))
            await asyncio.sleep(0)  # let it write the batch to Redis before parsing goes on

    async def wait(self) -> None:
        if self.in_flight is not None:
            task, self.in_flight = self.in_flight, None
            await task

    def cancel(self) -> None:
        task, self.in_flight = self.in_flight, None
        if task is not None and not task.done():
            task.cancel()
        elif task is not None and not task.cancelled():
            task.exception()  # retrieved: the error that stopped the import is raised already

    async def run_batch(
        self, students: list[StudentCreate], rows: list[StudentRow], lines: list[int]
    ) -> None:
        if self.report.dry_run:
            statuses = await self.plan(rows)
        else:
            if self.mode == "update":
                await self.free_generated_ids(students, rows)
            _, statuses = await self.store.import_rows(
                rows,
                now=datetime.now(UTC),
                on_conflict=self.mode,
                atomic=False,
                allow_duplicates=self.allow_duplicates,
                trace=self.trace,
            )
            await self.retry_generated_ids(students, rows, statuses)
        self.tally(students, lines, statuses, await self.duplicates_of(rows, statuses))

    async def free_generated_ids(
        self, students: list[StudentCreate], rows: list[StudentRow]
    ) -> None:
        """Give rows without an id one nobody has, so that `update` cannot replace someone."""
        for _ in range(MAX_ATTEMPTS):
            generated = [i for i, s in enumerate(students) if s.id is None]
            found = await self.store.check_rows([(rows[i].id, "") for i in generated])
            taken = [i for i, (exists, _) in zip(generated, found, strict=True) if exists]
            if not taken:
                return
            for i in taken:
                rows[i] = to_row(students[i], generate_id())

    async def retry_generated_ids(
        self, students: list[StudentCreate], rows: list[StudentRow], statuses: list[str]
    ) -> None:
        for i, student in enumerate(students):
            attempts = 1
            while student.id is None and statuses[i] in {"exists", "skipped"}:
                if attempts == MAX_ATTEMPTS:
                    break
                rows[i] = to_row(student, generate_id())
                _, [statuses[i]] = await self.store.import_rows(
                    [rows[i]],
                    now=datetime.now(UTC),
                    on_conflict="fail",
                    atomic=False,
                    allow_duplicates=self.allow_duplicates,
                    trace=self.trace,
                )
                attempts += 1

    async def plan(self, rows: list[StudentRow]) -> list[str]:
        """What import.lua would answer for each row, read without writing."""
        found = await self.store.check_rows([(row.id, row.email_norm) for row in rows])
        ine_owners = await self.store.ine_owners([row.ine for row in rows])
        twins = (
            [[]] * len(rows) if self.allow_duplicates else await self.store.find_duplicates(rows)
        )
        statuses = []
        for row, (exists, owner), same, ine_owner in zip(
            rows, found, twins, ine_owners, strict=True
        ):
            exists = exists or row.id in self.seen_ids
            owner = self.seen_emails.get(row.email_norm, owner)
            ine_owner = self.seen_ines.get(row.ine, ine_owner)
            person = _person(row)
            if exists and self.mode != "update":
                status = "skipped" if self.mode == "skip" else "exists"
            elif owner and owner != row.id:
                status = "email_taken"
            elif ine_owner and ine_owner != row.id:
                status = "ine_taken"
            elif not exists and not self.allow_duplicates and (same or person in self.seen_people):
                status = "duplicate"
            else:
                status = "updated" if exists else "created"
                self.seen_ids.add(row.id)
                self.seen_people.add(person)
                if row.email_norm:
                    self.seen_emails[row.email_norm] = row.id
                if row.ine:
                    self.seen_ines[row.ine] = row.id
            statuses.append(status)
        return await self.unchanged(rows, statuses)

    async def unchanged(self, rows: list[StudentRow], statuses: list[str]) -> list[str]:
        """The statuses, with `unchanged` for an update that would write the stored values."""
        updated = [i for i, status in enumerate(statuses) if status == "updated"]
        if not updated:
            return statuses
        found = await self.store.get_many([rows[i].id for i in updated])
        stored = {fields["id"]: student_from_hash(fields).student for fields in found}
        for i in updated:
            if (student := stored.get(rows[i].id)) is not None and to_row(
                student, student.id
            ) == rows[i]:
                statuses[i] = "unchanged"
        return statuses

    async def duplicates_of(self, rows: list[StudentRow], statuses: list[str]) -> list[list[str]]:
        """For each row refused as a duplicate, the students it may be (read after the fact)."""
        refused = [i for i, status in enumerate(statuses) if status == "duplicate"]
        found = await self.store.find_duplicates([rows[i] for i in refused]) if refused else []
        twins: list[list[str]] = [[] for _ in rows]
        for i, ids in zip(refused, found, strict=True):
            twins[i] = ids
        return twins

    def tally(
        self,
        students: list[StudentCreate],
        lines: list[int],
        statuses: list[str],
        twins: list[list[str]],
    ) -> None:
        report = self.report
        for student, line, status, same in zip(students, lines, statuses, twins, strict=True):
            if status == "created":
                report.created += 1
            elif status == "updated":
                report.updated += 1
            elif status == "unchanged":
                report.unchanged += 1
            elif status == "skipped":
                report.skipped += 1
            elif status != "aborted":
                path, message = (
                    ("email", EMAIL_TAKEN) if status == "email_taken" else ("id", ID_TAKEN)
                )
                if status == "ine_taken":
                    path, message = "ine", INE_TAKEN
                if status == "duplicate":
                    path, message = "$", DUPLICATE.format(ids=", ".join(same) or "(in this file)")
                failure = RowFailure(
                    line=line or None, id=student.id, errors=[FieldError(path, message)]
                )
                self.fail(failure)
        if self.on_progress is not None:
            self.on_progress(report)

    async def apply_atomically(self) -> None:
        """All rows in one step, or none when any row is invalid or conflicts."""
        report, students = self.report, self.students
        if report.failed:
            report.aborted = True
            return
        rows = [to_row(s, s.id or generate_id()) for s in students]
        await self.free_generated_ids(students, rows)
        if report.dry_run:
            statuses = []
            for start in range(0, len(rows), BATCH_ROWS):
                statuses += await self.plan(rows[start : start + BATCH_ROWS])
        else:
            _, statuses = await self.store.import_rows(
                rows,
                now=datetime.now(UTC),
                on_conflict=self.mode,
                atomic=True,
                allow_duplicates=self.allow_duplicates,
                trace=self.trace,
            )
        if any(status in FAILED for status in statuses):
            statuses = [s if s in FAILED else "aborted" for s in statuses]
            report.aborted = True
        self.tally(students, self.lines, statuses, await self.duplicates_of(rows, statuses))


async def import_students(
    target: Registry | RedisStore,
    rows: AsyncIterable[ParsedChunk] | Iterable[ParsedChunk],
    *,
    on_conflict: ConflictMode = "fail",
    dry_run: bool = False,
    atomic: bool = False,
    on_progress: Callable[[ImportReport], None] | None = None,
    allow_duplicates: bool = False,
) -> ImportReport:
    """Register parsed rows in batches; report what was created, updated, skipped or failed.

    A row with the folded names and birth date of a registered student (or of a row before it)
    fails, naming that student, unless `allow_duplicates`.

    Raises InvalidImport when the input cannot be read from its start (no header, not JSON);
    if it breaks later, the rows before are imported (unless atomic) and `error` says where.
    """
    store = target.store if isinstance(target, Registry) else target
    report = ImportReport(dry_run=dry_run, atomic=atomic)
    importer = _Importer(
        store,
        report,
        on_conflict=on_conflict,
        on_progress=on_progress,
        allow_duplicates=allow_duplicates,
    )
    try:
        try:
            async for chunk in _aiter(rows):
                importer.add(chunk)
                if chunk.error:
                    raise InvalidImport(chunk.error)
                if not atomic:
                    await importer.send_batches()
                elif report.rows > MAX_ATOMIC_ROWS:
                    raise InvalidImport(
                        f"An all-or-nothing import takes at most {MAX_ATOMIC_ROWS:,} rows; "
                        "split the file, or import it without all-or-nothing."
                    )
        except InvalidImport as exc:
            if not report.rows:
                raise
            report.error = str(exc)
            if atomic:
                report.aborted = True
        if not atomic:
            await importer.send_batches(final=True)
            await importer.wait()
        elif not report.error:
            await importer.apply_atomically()
    finally:
        importer.cancel()
    report.unknown_columns = list(getattr(rows, "unknown_columns", ()))
    report.failures.sort(key=lambda f: (f.line is None, f.line or 0, f.id or ""))
    if not dry_run:
        _count_rows(report)
    return report


def _count_rows(report: ImportReport) -> None:
    outcomes = {
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "skipped": report.skipped,
        "failed": report.failed,
    }
    for outcome, rows in outcomes.items():
        IMPORT_ROWS.labels(outcome).inc(rows)


def read_rows(chunks: AsyncIterable[bytes] | Iterable[bytes], fmt: Format) -> RowReader:
    """Parsed rows from byte chunks in a format, ready for import_students."""
    return RowReader(chunks, fmt)


def _person(row: StudentRow) -> str:
    """What makes two rows look like the same person: folded names and birth date."""
    return f"{row.sort_key[: len(row.sort_key) - len(row.id)]}{row.birth_date}"


async def _named(students: AsyncIterator[Student], words: list[str]) -> AsyncIterator[Student]:
    async for student in students:
        if name_matches(words, last=fold(student.last_name), first=fold(student.first_name)):
            yield student


async def export_students(
    registry: Registry,
    fmt: Format,
    *,
    course: str | None = None,
    q: str = "",
    on_progress: Callable[[int], None] | None = None,
    status: StatusFilter = "enrolled",
    year: str | None = None,
) -> AsyncIterator[bytes]:
    """Every student (of a course, whose names match the search q; enrolled unless `status`
    says otherwise; of a year, the current one by default) encoded, streamed."""
    await registry.audit.record_export(course, searched=bool(q))
    students = registry.export_students(course=course, status=status, year=year)
    if words := search_words(q):
        students = _named(students, words)
    async for chunk in encode_students(students, fmt, on_progress=on_progress):
        yield chunk
