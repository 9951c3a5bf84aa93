"""Pages of students: the alphabetical list, a course, a name search; and their cursors.

A page is read by walking an index from a position (walk.lua): after the student a cursor
names, or before it for the previous page, so a page's links carry one cursor each, never the
pages before. A search walks in calls of bounded work; a page takes a few at most, and may then
come back short, with a cursor to go on from where it stopped.
"""

from __future__ import annotations

from typing import NamedTuple

from student_registry.domain.cursors import NOT_OURS, Cursor, CursorCodec, SignedCursor
from student_registry.domain.models import StudentPage, student_from_hash
from student_registry.domain.text import SEARCH_MAX_WORDS, search_words
from student_registry.errors import FieldError, InvalidCursor, InvalidSearch
from student_registry.messages import N_
from student_registry.store.redis_store import (
    WALK_BUDGET,
    Fields,
    RedisStore,
    StatusFilter,
    Walk,
    WalkStart,
    student_id_of,
)

SEARCH_WORDS_PROBLEM = N_("must have at most {n} words")

# Script calls one page may take. Each reads a bounded number of index members, so a search
# that matches little of what it reads costs Redis a bounded time a page, in short slices.
WALK_CALLS = 8


class Collected(NamedTuple):
    """What the walk calls of one page found, in the order they walked."""

    entries: list[tuple[str, Fields]]
    resume: str  # where the last call stopped on its budget; '' when it did not
    exhausted: bool
    plan: int
    total: int
    anchor_sort_key: str


class Lister:
    """Reads pages of students from the store and makes their cursors."""

    def __init__(self, store: RedisStore, codec: CursorCodec) -> None:
        self.store = store
        self.codec = codec
        self.budget = WALK_BUDGET
        self.calls = WALK_CALLS

    async def page(
        self,
        *,
        limit: int,
        cursor: str | None,
        course: str | None,
        q: str,
        status: StatusFilter = "enrolled",
        year: str = "",
    ) -> StudentPage:
        """One page of a year's students (the current year's by default): `limit` at most,
        from the cursor's place or the beginning."""
        words = search_words(q)
        if len(words) > SEARCH_MAX_WORDS:
            problem = SEARCH_WORDS_PROBLEM.format(n=SEARCH_MAX_WORDS)
            raise InvalidSearch([FieldError("q", problem)])
        context = f"{course if course is not None else chr(0)}\0{' '.join(words)}"
        if status != "enrolled":
            # A cursor belongs to its status's list; those of enrolled students stay as before.
            context = f"{status}\0{context}"
        if year:
            # A year named in the request: its cursors are its own.
            context = f"{year}\0{context}"
        signed = self.codec.decode(cursor) if cursor else None
        searching_all = bool(words) and course is None
        if signed is not None:
            plan = signed.cursor.plan
            if (searching_all and not 1 <= plan <= len(words)) or (
                not searching_all and (plan or signed.cursor.at_first)
            ):
                raise InvalidCursor(NOT_OURS)
        else:
            plan = -1 if searching_all else 0
        walk = _Walk(
            self,
            words=words,
            course=course,
            context=context,
            signed=signed,
            status=status,
            year=year,
        )
        return await walk.page(limit=limit, plan=plan)


class _Walk:
    """One page's walk: its list, where it starts, and what it makes of what it found."""

    def __init__(
        self,
        lister: Lister,
        *,
        words: list[str],
        course: str | None,
        context: str,
        signed: SignedCursor | None,
        status: StatusFilter = "enrolled",
        year: str = "",
    ) -> None:
        self.store, self.codec, self.lister = lister.store, lister.codec, lister
        self.words, self.course, self.context, self.signed = words, course, context, signed
        self.status, self.year = status, year

    async def collect(self, *, plan: int, wanted: int, cursor: Cursor | None) -> Collected:
        """Up to `wanted` students from the cursor's place (the beginning without one)."""
        start = None
        if cursor is not None:
            start = WalkStart(student_id=cursor.student_id, at_first=cursor.at_first)
        backward = cursor is not None and cursor.backward
        inclusive = cursor is not None and cursor.inclusive
        entries: list[tuple[str, Fields]] = []
        first: Walk | None = None
        for _ in range(self.lister.calls):
            walk = await self.store.walk(
                course=self.course,
                status=self.status,
                words=self.words,
                plan=plan,
                wanted=wanted - len(entries),
                backward=backward,
                inclusive=inclusive,
                start=start,
                budget=self.lister.budget,
                year=self.year,
            )
            first = first or walk
            entries += walk.entries
            plan, inclusive = walk.plan, False
            if not walk.resume:
                break
            start = WalkStart(position=walk.resume)
        assert first is not None
        return Collected(
            entries=entries,
            resume=walk.resume,
            exhausted=walk.exhausted,
            plan=plan,
            total=first.total,
            anchor_sort_key=first.anchor_sort_key,
        )

    def cursor_at(self, position: str, *, plan: int, backward: bool) -> str:
        """The cursor of the page after (or before) a position the walk reached."""
        sort_key = position.split("\0", 1)[1] if plan else position
        at_first = bool(plan) and position.split("\0", 1)[0] != sort_key.split("\0", 1)[0]
        cursor = Cursor(student_id_of(sort_key), backward=backward, at_first=at_first, plan=plan)
        return self.codec.encode(cursor, sort_key=sort_key, context=self.context)

    async def page(self, *, limit: int, plan: int) -> StudentPage:
        """The page from the cursor's place, with the cursors of the pages beside it."""
        cursor = self.signed.cursor if self.signed is not None else None
        found = await self.collect(plan=plan, wanted=limit + 1, cursor=cursor)
        if self.signed is not None:
            self.codec.verify(self.signed, sort_key=found.anchor_sort_key, context=self.context)
        entries, more = found.entries[:limit], len(found.entries) > limit
        backward = cursor is not None and cursor.backward
        if backward and not entries and not found.resume:
            # Nothing is left before the page: show the first page rather than none. (Back at
            # the beginning with less than a page, that is the first page, short: a longer one
            # would repeat students of the page after it.)
            self.signed = None
            return await self.page(limit=limit, plan=found.plan)
        if backward:
            entries.reverse()
        plan = found.plan

        def beside(position: str | None, *, backward: bool) -> str | None:
            return self.cursor_at(position, plan=plan, backward=backward) if position else None

        first, last = (entries[0][0], entries[-1][0]) if entries else (None, None)
        # An empty page's neighbour starts where it did, on the other side of its student.
        turned = None
        if cursor is not None:
            turned = self.codec.encode(
                cursor.turned(), sort_key=found.anchor_sort_key, context=self.context
            )
        if backward:
            next_cursor = beside(last, backward=False) or turned
            previous_cursor = beside(found.resume or (first if more else None), backward=True)
        else:
            next_cursor = beside(found.resume or (last if more else None), backward=False)
            previous_cursor = None if cursor is None else beside(first, backward=True) or turned
        exact = not self.words or (cursor is None and found.exhausted)
        return StudentPage(
            items=[student_from_hash(fields).student for _, fields in entries],
            next_cursor=next_cursor,
            previous_cursor=previous_cursor,
            total=len(found.entries) if exact and self.words else found.total,
            total_exact=exact,
        )
