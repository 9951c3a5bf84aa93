"""School years: which year the registry shows, and the rollover that moves every class up.

The registry enrols students in its live year, the newest it holds; earlier years keep their
enrolments, lists and counts as they were. The current year is the one lists and students are
shown in: the live year unless an admin shows an earlier one. A rollover closes the live year
and opens the next: every enrolled student of a course gets an enrolment in the course the
mapping names (repeaters keep theirs), a course mapped to nothing leaves the school, and the
next year becomes the live and current one.
"""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta, Struct

from student_registry.domain.audit import AuditLog, current_trace
from student_registry.domain.rules import clean_text, is_valid_id
from student_registry.domain.text import compose
from student_registry.errors import (
    InvalidRollover,
    RolloverInProgress,
    UnknownYear,
)
from student_registry.school_years import (
    YEAR_PATTERN,
    YearStart,
    first_day,
    is_year_name,
    last_day,
)
from student_registry.store.redis_store import (
    RedisStore,
    RolloverPlan,
    RolloverRefused,
    Years,
)

YearName = Annotated[
    str,
    Meta(
        pattern=YEAR_PATTERN, description="A school year, like 2026-2027.", examples=["2026-2027"]
    ),
]
YEAR_FILTER = (
    "A school year the registry holds, like 2026-2027 (GET /api/v1/years): its enrolments"
    " instead of the current year's."
)
# Why a leaver's enrolment closed, in the registry's language: the pages translate it.
LEFT_AT_YEAR_END = "Left at the end of the school year"
REPEAT_MAX = 10_000


class YearsView(Struct, kw_only=True):
    """The registry's school years."""

    current: Annotated[str, Meta(description="The year lists and students are shown in.")]
    live: Annotated[str, Meta(description="The year students are registered and changed in.")]
    years: Annotated[list[str], Meta(description="Every year the registry holds, oldest first.")]


class CurrentYear(Struct, forbid_unknown_fields=True, kw_only=True):
    """The year to make current."""

    year: YearName


class RolloverRequest(
    Struct, forbid_unknown_fields=True, kw_only=True, rename={"from_year": "from", "to_year": "to"}
):
    """A rollover: every class of `from` moves to the class `mapping` names in `to`."""

    from_year: YearName
    to_year: YearName
    mapping: Annotated[
        dict[str, str | None],
        Meta(
            description="Each course of the from year and its course the next year; null when"
            " its students leave the school. Every course with enrolled students needs one."
        ),
    ]
    repeat: Annotated[
        list[str],
        Meta(max_length=REPEAT_MAX, description="Ids of students who keep their course."),
    ] = []
    dry_run: Annotated[bool, Meta(description="Count what it would do, change nothing.")] = False


class RolloverReport(Struct, kw_only=True):
    """What a rollover did, or would do."""

    promoted: Annotated[int, Meta(description="Students enrolled in their next course.")]
    repeating: Annotated[int, Meta(description="Students enrolled in their course again.")]
    left: Annotated[int, Meta(description="Students whose class left the school.")]
    unmapped_courses: Annotated[
        list[str], Meta(description="Courses without a mapping: nothing is changed while any.")
    ]
    dry_run: bool


def view_of(years: Years) -> YearsView:
    """The years as the API shows them."""
    return YearsView(current=years.current, live=years.live, years=list(years.known))


class SchoolYears:
    """The school years of a store: showing, moving the current one, rolling over."""

    def __init__(self, store: RedisStore, audit: AuditLog) -> None:
        self.store = store
        self.audit = audit

    @property
    def start(self) -> YearStart:
        """The day every school year starts."""
        return self.store.year_start

    async def view(self) -> YearsView:
        """The current, live and known years."""
        return view_of(await self.store.years(fresh=True))

    async def check_known(self, year: str | None) -> str:
        """A year a request names, '' for the current one. Raises UnknownYear."""
        if not year:
            return ""
        years = await self.store.years()
        if year not in years.known:
            raise UnknownYear(year, years.live)
        return year

    async def set_current(self, year: str) -> YearsView:
        """Show another year the registry holds; a registry without students may take any
        year as its live one. Raises UnknownYear, RolloverInProgress."""
        years = await self.store.years(fresh=True)
        if years.rolling:
            raise RolloverInProgress()
        if not is_year_name(year):
            raise UnknownYear(year, years.live)
        if year in years.known:
            await self.store.set_years(current=year)
        elif not await self.store.course_counts("all", year=years.live):
            fields = {"current": year, "live": year, f"known:{year}": "1"}
            if years.base == years.live and len(years.known) == 1:
                fields["base"] = year
            await self.store.set_years(**fields)
        else:
            raise UnknownYear(year, years.live)
        await self.audit.record_current_year(year)
        return await self.view()

    async def rollover(self, request: RolloverRequest) -> RolloverReport:
        """Count (dry run) or apply a rollover. Raises InvalidRollover (with the courses left
        unmapped, which change nothing), RolloverInProgress."""
        years = await self.store.years(fresh=True)
        mapping = self._check_plan(request, years)
        counts = await self.store.course_counts("enrolled", year=request.from_year)
        unmapped = sorted(course for course in counts if course not in mapping)
        if unmapped:
            raise InvalidRollover(
                f"Say where these courses of {request.from_year} go (a course, or null when"
                f" they leave the school): {', '.join(unmapped)}. Nothing was changed.",
                unmapped_courses=unmapped,
            )
        repeaters = await self._repeaters(request)
        if request.dry_run:
            return self._forecast(counts, mapping, repeaters)
        plan = RolloverPlan(
            from_year=request.from_year,
            to_year=request.to_year,
            mapping=mapping,
            repeat=sorted(repeaters),
            entry_date=first_day(request.to_year, self.start).isoformat(),
            exit_date=last_day(request.from_year, self.start).isoformat(),
            reason=LEFT_AT_YEAR_END,
        )
        try:
            done = await self.store.rollover(plan, trace=current_trace())
        except RolloverRefused as exc:
            if exc.why == "busy":
                raise RolloverInProgress() from None
            raise InvalidRollover(
                f"Only the live year rolls over: {exc.values[0]}, not {request.from_year}."
            ) from None
        return RolloverReport(
            promoted=done["promoted"],
            repeating=done["repeating"],
            left=done["left"],
            unmapped_courses=[],
            dry_run=False,
        )

    def _check_plan(self, request: RolloverRequest, years: Years) -> dict[str, str | None]:
        """The mapping, its courses as stored. Raises InvalidRollover."""
        if not is_year_name(request.from_year) or not is_year_name(request.to_year):
            raise InvalidRollover("A school year is written like 2026-2027.")
        rolled_before = request.from_year in years.known and request.to_year in years.known
        if request.from_year != years.live and not (rolled_before and not years.rolling):
            raise InvalidRollover(
                f"Only the live year rolls over: {years.live}, not {request.from_year}."
            )
        if request.to_year <= request.from_year:
            raise InvalidRollover(f"{request.to_year} does not come after {request.from_year}.")
        mapping: dict[str, str | None] = {}
        problems = []
        for course, target in request.mapping.items():
            key = compose(course).strip()
            if target is None:
                mapping[key] = None
                continue
            text, problem = clean_text("course", target)
            if problem:
                problems.append(f"{course!r} -> {target!r}: {problem}")
            mapping[key] = text
        if problems:
            raise InvalidRollover("Some courses of the mapping are invalid: " + "; ".join(problems))
        return mapping

    async def _repeaters(self, request: RolloverRequest) -> dict[str, str]:
        """The repeaters' courses in the from year. Raises InvalidRollover naming any id
        that is no student enrolled in it."""
        ids = list(dict.fromkeys(request.repeat))
        wrong = [i for i in ids if not is_valid_id(i)]
        found = {
            fields["id"]: fields["course"]
            for fields in await self.store.get_many(
                [i for i in ids if i not in wrong], year=request.from_year
            )
            if fields["year"] == request.from_year and fields["status"] == "enrolled"
        }
        missing = [i for i in ids if i not in found]
        if missing:
            raise InvalidRollover(
                f"These students are not enrolled in {request.from_year}, so they cannot repeat"
                f" it: {', '.join(missing)}. Nothing was changed.",
                unknown_students=missing,
            )
        return found

    @staticmethod
    def _forecast(
        counts: dict[str, int], mapping: dict[str, str | None], repeaters: dict[str, str]
    ) -> RolloverReport:
        staying = dict.fromkeys(counts, 0)
        for course in repeaters.values():
            staying[course] = staying.get(course, 0) + 1
        promoted = sum(n - staying[c] for c, n in counts.items() if mapping[c] is not None)
        left = sum(n - staying[c] for c, n in counts.items() if mapping[c] is None)
        return RolloverReport(
            promoted=promoted,
            repeating=len(repeaters),
            left=left,
            unmapped_courses=[],
            dry_run=True,
        )
