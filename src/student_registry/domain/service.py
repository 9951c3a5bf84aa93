"""The registry's rules: registering, reading, listing, changing and removing students."""

from __future__ import annotations

import asyncio
import base64
import binascii
import heapq
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import msgspec

from student_registry.domain.models import (
    CourseCount,
    StoredStudent,
    Student,
    StudentCreate,
    StudentPage,
    StudentPatch,
    student_from_hash,
)
from student_registry.domain.preconditions import Precondition
from student_registry.domain.text import compose, fold, make_sort_key
from student_registry.errors import (
    Conflict,
    InvalidCursor,
    StaleRevision,
    StudentExists,
    StudentNotFound,
)
from student_registry.store.redis_store import Expected, RedisStore, StudentRow, student_id_of

ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32: no I, L, O, U
GENERATED_ID_LENGTH = 10
MAX_ATTEMPTS = 5
# A change reads, merges and writes if nobody wrote in between, else reads again: every lost
# round means another write succeeded, so a busy student still converges.
UPDATE_ATTEMPTS = 50


def utc_now() -> datetime:
    """The current time, UTC."""
    return datetime.now(UTC)


def generate_id() -> str:
    """A short, random, URL-safe student id."""
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(GENERATED_ID_LENGTH))


def encode_cursor(sort_key: str) -> str:
    """An opaque cursor pointing just after a student in the order."""
    return base64.urlsafe_b64encode(sort_key.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    """The sort key inside a cursor; InvalidCursor when it is not one of ours."""
    try:
        sort_key = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidCursor("The cursor is not valid; start again without it.") from None
    if sort_key.count("\0") != 2:
        raise InvalidCursor("The cursor is not valid; start again without it.")
    return sort_key


def _as_read(current: StoredStudent) -> Expected:
    """What a write expects to find: the student as it was read."""
    return Expected(revision=current.revision, course=current.student.course)


async def _back_off(attempt: int) -> None:
    """Spread the retries of writers that collided so they stop colliding."""
    await asyncio.sleep(secrets.randbelow(1000) * attempt / 1_000_000)


def _too_busy(student_id: str) -> Conflict:
    # Each lost round meant another write succeeded; without a precondition this is no 412.
    return Conflict(f"The student {student_id!r} is changing too often; try again.")


def to_row(student: Student | StudentCreate, student_id: str) -> StudentRow:
    """The store's form of a student's values."""
    email = student.email or ""
    return StudentRow(
        id=student_id,
        first_name=student.first_name,
        last_name=student.last_name,
        birth_date=student.birth_date.isoformat(),
        course=student.course,
        email=email,
        email_norm=email.lower(),
        sort_key=make_sort_key(
            last_name=student.last_name, first_name=student.first_name, student_id=student_id
        ),
    )


class Registry:
    """The service layer over a store; the API, the page and the CLI all go through it."""

    def __init__(self, store: RedisStore) -> None:
        self.store = store

    async def check_ready(self) -> None:
        """Raise StoreUnavailable unless the store answers."""
        await self.store.ping()

    async def register_student(self, data: StudentCreate) -> StoredStudent:
        """Register a student; a missing id is generated. Raises StudentExists or EmailTaken."""
        # One operation for the whole call: only a write that changed nothing is tried again
        # (with another id), and that one left no outcome behind.
        op = self.store.new_operation()
        for _ in range(MAX_ATTEMPTS):
            student_id = data.id or generate_id()
            now = utc_now()
            try:
                revision = await self.store.create(to_row(data, student_id), now=now, op=op)
            except StudentExists:
                if data.id is not None:
                    raise
                continue
            student = Student(
                id=student_id,
                first_name=data.first_name,
                last_name=data.last_name,
                birth_date=data.birth_date,
                course=data.course,
                email=data.email,
                created_at=now,
                updated_at=now,
            )
            return StoredStudent(student=student, revision=revision)
        raise StudentExists("(generated)")

    async def get_student(self, student_id: str) -> StoredStudent:
        """One student with its revision. Raises StudentNotFound."""
        fields = await self.store.get(student_id)
        if fields is None:
            raise StudentNotFound(student_id)
        return student_from_hash(fields)

    async def list_students(
        self, *, limit: int, cursor: str | None = None, course: str | None = None, q: str = ""
    ) -> StudentPage:
        """A page of students in alphabetical order, optionally filtered by course and name."""
        after = decode_cursor(cursor) if cursor else None
        course = compose(course) if course is not None else None
        prefix = fold(q.strip())
        if prefix and course is None:
            candidates = await self.store.search_candidates(
                prefix=prefix, after=after, limit=limit + 1
            )
            ordered = sorted({sort_key for sort_key, _ in candidates.entries})[: limit + 1]
            page_keys = ordered[:limit]
            found = await self.store.get_many([student_id_of(k) for k in page_keys])
            # A student renamed or removed since the search is left out, and the cursor stays
            # at the search's place: the walk then neither skips nor repeats anyone else.
            current = {fields["sort_key"]: fields for fields in found}
            entries = [(k, current[k]) for k in page_keys if k in current]
            last_key = page_keys[-1] if page_keys else None
            total, more = candidates.total, len(ordered) > limit
        else:
            page = await self.store.page(course=course, after=after, limit=limit + 1, prefix=prefix)
            entries, total = page.entries[:limit], page.total
            last_key = entries[-1][0] if entries else None
            more = len(page.entries) > limit
        items = [student_from_hash(fields).student for _, fields in entries]
        next_cursor = encode_cursor(last_key) if more and last_key else None
        return StudentPage(items=items, next_cursor=next_cursor, total=total)

    async def update_student(
        self, student_id: str, patch: StudentPatch, *, if_match: Precondition | None = None
    ) -> StoredStudent:
        """Apply a partial change. Raises StudentNotFound, StaleRevision or EmailTaken."""
        changes = {
            f: v for f in patch.__struct_fields__ if (v := getattr(patch, f)) is not msgspec.UNSET
        }
        op = self.store.new_operation()
        for attempt in range(UPDATE_ATTEMPTS):
            current = await self._current(student_id, if_match)
            merged = msgspec.structs.replace(current.student, **changes)
            try:
                revision, updated_at = await self.store.replace(
                    to_row(merged, student_id), now=utc_now(), expected=_as_read(current), op=op
                )
            except StaleRevision:
                await _back_off(attempt)
                continue
            merged.updated_at = updated_at
            return StoredStudent(student=merged, revision=revision)
        raise _too_busy(student_id)

    async def delete_student(
        self, student_id: str, *, if_match: Precondition | None = None
    ) -> None:
        """Remove a student. Raises StudentNotFound or StaleRevision."""
        op = self.store.new_operation()
        for attempt in range(UPDATE_ATTEMPTS):
            current = await self._current(student_id, if_match)
            try:
                await self.store.delete(student_id, expected=_as_read(current), op=op)
            except StaleRevision:
                await _back_off(attempt)
                continue
            return
        raise _too_busy(student_id)

    async def _current(self, student_id: str, if_match: Precondition | None) -> StoredStudent:
        """The student a write starts from, if the precondition accepts its revision.

        The write then applies only to that revision: when another write came in between, the
        caller reads again, and the precondition is checked against the newer revision.
        """
        current = await self.get_student(student_id)
        if if_match is not None and not if_match.accepts(current.revision):
            raise StaleRevision(student_id)
        return current

    async def export_students(self, *, course: str | None = None) -> AsyncIterator[Student]:
        """Every student in order, streamed."""
        course = compose(course) if course is not None else None
        async for fields in self.store.iter_all(course=course):
            yield student_from_hash(fields).student

    async def course_stats(self) -> list[CourseCount]:
        """Students per course, by course name."""
        counts = await self.store.course_counts()
        return [CourseCount(course=c, students=n) for c, n in sorted(counts.items())]

    async def popular_courses(self, *, limit: int) -> list[CourseCount]:
        """The courses with the most students, at most `limit`, by course name."""
        counts = await self.store.course_counts()
        top = heapq.nsmallest(limit, counts.items(), key=lambda item: (-item[1], item[0]))
        return [CourseCount(course=c, students=n) for c, n in sorted(top)]
