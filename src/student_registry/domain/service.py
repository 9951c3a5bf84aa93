"""The registry's rules: registering, reading, listing, changing and removing students."""

from __future__ import annotations

import asyncio
import heapq
import re
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import NamedTuple

import msgspec

from student_registry.domain import rules
from student_registry.domain.audit import AuditLog, StudentRecord, current_trace
from student_registry.domain.cursors import CursorCodec
from student_registry.domain.listing import Lister
from student_registry.domain.models import (
    CourseCount,
    Enrolment,
    StoredStudent,
    Student,
    StudentCreate,
    StudentPage,
    StudentPatch,
    encode_guardians,
    student_from_hash,
)
from student_registry.domain.preconditions import Precondition
from student_registry.domain.text import compose, make_sort_key
from student_registry.domain.years import SchoolYears
from student_registry.errors import (
    Conflict,
    FieldError,
    InvalidStudent,
    StaleRevision,
    StudentExists,
    StudentNotFound,
    YearClosed,
)
from student_registry.store.audit_store import AuditTrail
from student_registry.store.redis_store import (
    Expected,
    RedisStore,
    StatusFilter,
    StudentRow,
    from_micros,
)

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


def _as_read(current: StoredStudent) -> Expected:
    """What a write expects to find: the student as it was read."""
    return Expected(
        revision=current.revision,
        course=current.student.course,
        withdrawn=current.student.status == "withdrawn",
    )


async def _back_off(attempt: int) -> None:
    """Spread the retries of writers that collided so they stop colliding."""
    await asyncio.sleep(secrets.randbelow(1000) * attempt / 1_000_000)


def _too_busy(student_id: str) -> Conflict:
    # Each lost round meant another write succeeded; without a precondition this is no 412.
    return Conflict(f"The student {student_id!r} is changing too often; try again.")


# The one-letter names (keys.STUDENT_FIELDS) a trail entry gives the fields a change touched.
TRAILED_FIELDS = {
    "first_name": "f",
    "last_name": "l",
    "birth_date": "b",
    "course": "c",
    "email": "e",
    "sex": "x",
    "ine": "i",
    "birthplace": "p",
    "guardians": "g",
    "entry_date": "n",
    "exit_date": "w",
    "exit_reason": "r",
}


def changed_fields(before: Student | None, after: Student | StudentCreate) -> str:
    """The one-letter names of the fields that differ (all those set, for a new student)."""
    return "".join(
        letter
        for name, letter in TRAILED_FIELDS.items()
        if getattr(after, name) != (getattr(before, name) if before else None)
    )


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
        **_registration_values(student),
        **_enrolment_of(student),
    )


def _registration_values(student: Student | StudentCreate) -> dict[str, str]:
    """The row's values of the registration fields French schools keep, '' when absent."""
    return {
        "sex": student.sex or "",
        "ine": student.ine or "",
        "birthplace": student.birthplace or "",
        "guardians": encode_guardians(student.guardians),
    }


def _enrolment_of(student: Student | StudentCreate) -> dict[str, str]:
    """The store's form of a student's status: its dates, and why it left."""
    return {
        "entry_date": student.entry_date.isoformat() if student.entry_date else "",
        "exit_date": student.exit_date.isoformat() if student.exit_date else "",
        "exit_reason": student.exit_reason or "",
    }


def _reinstating(changes: dict[str, object]) -> dict[str, object]:
    """A change's fields, with the exit date and reason cleared when it reinstates: an
    enrolled student has neither, whatever came along with the status."""
    if changes.get("status") == "enrolled":
        return {**changes, "exit_date": None, "exit_reason": None}
    return changes


def with_live_enrolment(student: Student, live: str) -> Student:
    """The student with its live year's enrolment as its fields say, shown (after a write)."""
    enrolment = Enrolment(
        year=live,
        course=student.course,
        status=student.status,
        entry_date=student.entry_date,
        exit_date=student.exit_date,
        exit_reason=student.exit_reason,
    )
    earlier = [e for e in student.enrolments if e.year != live]
    return msgspec.structs.replace(student, year=live, enrolments=[enrolment, *earlier])


_ENROLMENT_CHANGES = ("course", "status", "entry_date", "exit_date", "exit_reason")


def _enrolling_again(changes: dict[str, object], today: date) -> dict[str, object]:
    """The changes that enrol a student of an earlier year in the live one: enrolled (unless
    the change says otherwise), entered today (unless it says when)."""
    again = {"status": "enrolled", "entry_date": today, "exit_date": None, "exit_reason": None}
    return {**again, **changes}


def check_enrolment(student: Student) -> None:
    """Raise InvalidStudent when a student's status and dates do not go together."""
    problems = rules.enrolment_problems(
        status=student.status,
        entry_date=student.entry_date,
        exit_date=student.exit_date,
        exit_reason=student.exit_reason,
    )
    if problems:
        raise InvalidStudent([FieldError(path=name, message=text) for name, text in problems])


class IdempotencyKey(NamedTuple):
    """A client's Idempotency-Key, and whose it is: keys of two owners never meet."""

    owner: str
    key: str


class Registry:
    """The service layer over a store; the API, the page and the CLI all go through it."""

    def __init__(self, store: RedisStore, *, cursor_secret: bytes | None = None) -> None:
        self.store = store
        self.audit = AuditLog(AuditTrail(store.client, retention_ms=store.retention_ms))
        # Cursors are checked with this key: it must be the same for every worker of a
        # service; a CLI, which hands no cursor out, may make its own.
        codec = CursorCodec(cursor_secret or secrets.token_bytes(32))
        self.lister = Lister(store, codec)
        self.years = SchoolYears(store, self.audit)

    async def _live_year(self) -> str:
        """The year writes go to. Raises YearClosed while an earlier year is shown (as read
        within the last second: the write scripts check it again)."""
        years = await self.store.years()
        if years.current != years.live:
            raise YearClosed(years.current, years.live)
        return years.live

    async def check_ready(self) -> None:
        """Raise StoreUnavailable unless the store answers."""
        await self.store.ping()

    async def register_student(
        self,
        data: StudentCreate,
        *,
        allow_duplicate: bool = False,
        idempotency: IdempotencyKey | None = None,
    ) -> StoredStudent:
        """Register a student; a missing id is generated. Raises StudentExists, EmailTaken,
        IneTaken, or PossibleDuplicate unless `allow_duplicate` (same folded names and birth
        date).

        With an idempotency key, the same request sent again within 24 h answers the student
        its first run registered; another request under the key raises IdempotencyKeyReused.
        """
        live = await self._live_year()
        # One operation for the whole call: only a write that changed nothing is tried again
        # (with another id), and that one left no outcome behind.
        if idempotency is None:
            op = self.store.new_operation()
        else:
            # The same body under another allow_duplicate is another request.
            request = f"register {allow_duplicate} ".encode() + msgspec.json.encode(data)
            op = await self.store.claim_idempotency_key(idempotency.owner, idempotency.key, request)
        for _ in range(MAX_ATTEMPTS):
            student_id = data.id or generate_id()
            try:
                revision, student_id = await self.store.create(
                    to_row(data, student_id),
                    now=utc_now(),
                    op=op,
                    allow_duplicate=allow_duplicate,
                    trace=current_trace(),
                    changed=changed_fields(None, data),
                )
            except StudentExists:
                if data.id is not None:
                    raise
                continue
            now = from_micros(revision)
            student = Student(
                id=student_id,
                first_name=data.first_name,
                last_name=data.last_name,
                birth_date=data.birth_date,
                course=data.course,
                email=data.email,
                sex=data.sex,
                ine=data.ine,
                birthplace=data.birthplace,
                guardians=data.guardians or None,
                created_at=now,
                updated_at=now,
                status=data.status,
                entry_date=data.entry_date or now.date(),
                exit_date=data.exit_date,
                exit_reason=data.exit_reason,
            )
            return StoredStudent(student=with_live_enrolment(student, live), revision=revision)
        raise StudentExists("(generated)")

    async def taken_fields(
        self,
        *,
        student_id: str | None,
        email: str | None,
        own_id: str | None = None,
        ine: str | None = None,
    ) -> list[str]:
        """Which of an id, an email and an INE other students already have ("id", "email",
        "ine").

        A form checks this with its other rules, so that one answer names every problem;
        the atomic write still decides between two people registering at once.
        """
        ine_taken = await self._taken_ine(ine, own_id=own_id)
        wanted_id = student_id if student_id and rules.is_valid_id(student_id) else ""
        email_norm = (email or "").strip().lower()
        if not wanted_id and not email_norm:
            return ine_taken
        [(id_taken, email_owner)] = await self.store.check_rows([(wanted_id, email_norm)])
        taken = ["id"] if wanted_id and id_taken else []
        if email_owner and email_owner != own_id:
            taken.append("email")
        return taken + ine_taken

    async def _taken_ine(self, ine: str | None, *, own_id: str | None) -> list[str]:
        """["ine"] when another student has this INE, else []."""
        wanted = (ine or "").strip().upper()
        if not re.fullmatch(rules.INE_PATTERN, wanted):
            return []
        [owner] = await self.store.ine_owners([wanted])
        return ["ine"] if owner and owner != own_id else []

    async def get_student(self, student_id: str, *, year: str = "") -> StoredStudent:
        """One student with its revision, shown in a year (the current one). Raises
        StudentNotFound."""
        fields = await self.store.get(student_id, year=year)
        if fields is None:
            raise StudentNotFound(student_id)
        return student_from_hash(fields)

    async def student_record(self, student_id: str) -> StudentRecord:
        """Everything held about a student, for their family; the reading is trailed.

        Raises StudentNotFound."""
        stored = await self.get_student(student_id)
        await self.audit.record_access(student_id)
        return StudentRecord(student=stored.student, history=await self.audit.history(student_id))

    async def list_students(
        self,
        *,
        limit: int,
        cursor: str | None = None,
        course: str | None = None,
        q: str = "",
        status: StatusFilter = "enrolled",
        year: str | None = None,
    ) -> StudentPage:
        """A page of students in alphabetical order, or of a course, or of a name search; of
        enrolled students unless `status` says otherwise.

        A search lists by the name that matched, then alphabetically (see walk.lua).
        Raises InvalidCursor (StaleCursor when the page's student is gone) or InvalidSearch.
        """
        course = compose(course) if course is not None else None
        return await self.lister.page(
            limit=limit,
            cursor=cursor,
            course=course,
            q=q,
            status=status,
            year=await self.years.check_known(year),
        )

    async def update_student(
        self, student_id: str, patch: StudentPatch, *, if_match: Precondition | None = None
    ) -> StoredStudent:
        """Apply a partial change. Raises StudentNotFound, StaleRevision, EmailTaken, IneTaken,
        or InvalidStudent when the status and its dates do not go together once merged.

        Setting `status` to withdrawn withdraws the student (with an exit date and reason);
        setting it to enrolled reinstates it, and clears them.
        """
        changes = _reinstating(
            {f: v for f in patch.__struct_fields__ if (v := getattr(patch, f)) is not msgspec.UNSET}
        )
        if "guardians" in changes:
            changes["guardians"] = changes["guardians"] or None
        live = await self._live_year()
        op = self.store.new_operation()
        for attempt in range(UPDATE_ATTEMPTS):
            current = await self._current(student_id, if_match, year=live)
            wanted = changes
            if current.student.year != live and any(f in changes for f in _ENROLMENT_CHANGES):
                wanted = _enrolling_again(changes, utc_now().date())
            merged = msgspec.structs.replace(current.student, **wanted)
            check_enrolment(merged)
            try:
                revision, updated_at = await self.store.replace(
                    to_row(merged, student_id),
                    now=utc_now(),
                    expected=_as_read(current),
                    op=op,
                    trace=current_trace(),
                    changed=changed_fields(current.student, merged),
                )
            except StaleRevision:
                await _back_off(attempt)
                continue
            merged.updated_at = updated_at
            if current.student.year == live or wanted is not changes:
                merged = with_live_enrolment(merged, live)
            return StoredStudent(student=merged, revision=revision)
        raise _too_busy(student_id)

    async def delete_student(
        self, student_id: str, *, if_match: Precondition | None = None
    ) -> None:
        """Remove a student. Raises StudentNotFound or StaleRevision."""
        live = (await self.store.years()).live
        op = self.store.new_operation()
        for attempt in range(UPDATE_ATTEMPTS):
            current = await self._current(student_id, if_match, year=live)
            try:
                await self.store.delete(
                    student_id, expected=_as_read(current), op=op, trace=current_trace()
                )
            except StaleRevision:
                await _back_off(attempt)
                continue
            return
        raise _too_busy(student_id)

    async def _current(
        self, student_id: str, if_match: Precondition | None, *, year: str = ""
    ) -> StoredStudent:
        """The student a write starts from, if the precondition accepts its revision.

        The write then applies only to that revision: when another write came in between, the
        caller reads again, and the precondition is checked against the newer revision.
        """
        current = await self.get_student(student_id, year=year)
        if if_match is not None and not if_match.accepts(current.revision):
            raise StaleRevision(student_id)
        return current

    async def export_students(
        self,
        *,
        course: str | None = None,
        status: StatusFilter = "enrolled",
        year: str | None = None,
    ) -> AsyncIterator[Student]:
        """Every student of a status (enrolled by default) in a year (the current one) in
        order, streamed."""
        course = compose(course) if course is not None else None
        year = await self.years.check_known(year)
        async for fields in self.store.iter_all(course=course, status=status, year=year):
            yield student_from_hash(fields).student

    async def course_stats(
        self, *, status: StatusFilter = "enrolled", year: str | None = None
    ) -> list[CourseCount]:
        """Students of a status (enrolled by default) per course in a year (the current one),
        by course name."""
        counts = await self.store.course_counts(status, year=await self.years.check_known(year))
        return [CourseCount(course=c, students=n) for c, n in sorted(counts.items())]

    async def popular_courses(self, *, limit: int) -> list[CourseCount]:
        """The courses with the most students, at most `limit`, by course name."""
        counts = await self.store.course_counts()
        top = heapq.nsmallest(limit, counts.items(), key=lambda item: (-item[1], item[0]))
        return [CourseCount(course=c, students=n) for c, n in sorted(top)]
