"""The school years' page (administrators): the current year, and the rollover to the next."""

from __future__ import annotations

import re

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import URLEncodedBody
from litestar.response import Template
from litestar.status_codes import HTTP_409_CONFLICT, HTTP_422_UNPROCESSABLE_ENTITY

from student_registry.domain.course_mapping import guess_next_course
from student_registry.domain.service import Registry
from student_registry.domain.years import REPEAT_MAX, RolloverReport, RolloverRequest
from student_registry.errors import (
    InvalidRollover,
    RegistryError,
    RolloverInProgress,
    UnknownYear,
)
from student_registry.messages import N_
from student_registry.school_years import next_year
from student_registry.security.guards import ROLE
from student_registry.web.errors import explain_error
from student_registry.web.i18n import gettext as _

FormData = URLEncodedBody[dict[str, str]]
ADMIN = {ROLE: "admin"}
# The rollover form's rows: course_0 and next_0 for the first course, and so on.
_ROW = re.compile(r"course_(\d{1,5})")
# The reason the rollover gives a leaver's enrolment (domain.years.LEFT_AT_YEAR_END), for
# the student's page to translate.
N_("Left at the end of the school year")


class MappingRow:
    """A course of the live year, its students, and the course the form sends them to."""

    def __init__(self, course: str, students: int, target: str) -> None:
        self.course = course
        self.students = students
        self.target = target


def repeater_ids(text: str) -> list[str]:
    """The ids a textarea lists, one a line or separated by spaces or commas."""
    return [part for part in re.split(r"[\s,;]+", text) if part]


def _sent_rows(data: dict[str, str]) -> dict[str, str]:
    """Each course the form was sent with, and the course written next to it."""
    rows = {}
    for key, course in data.items():
        if found := _ROW.fullmatch(key):
            rows[course] = data.get(f"next_{found[1]}", "").strip()
    return rows


def _explain(exc: RegistryError, year: str) -> str:
    """A rollover's refusal in the page's language."""
    if isinstance(exc, InvalidRollover) and exc.unmapped_courses:
        return _(
            "Say where these classes of {year} go next year (a class, or nothing when they"
            " leave the school): {courses}. Nothing was changed."
        ).format(year=year, courses=", ".join(exc.unmapped_courses))
    if isinstance(exc, InvalidRollover) and exc.unknown_students:
        return _(
            "These students are not enrolled in {year}, so they cannot repeat it: {ids}."
            " Nothing was changed."
        ).format(year=year, ids=", ".join(exc.unknown_students))
    if isinstance(exc, RolloverInProgress):
        return _("A rollover to the next school year is under way; try again in a few seconds.")
    if isinstance(exc, UnknownYear):
        return _("The registry holds no school year {year}.").format(year=exc.year)
    return explain_error(exc)


class YearPageController(Controller):
    """The years the registry holds, the current one, and the rollover's preview and run."""

    include_in_schema = False

    async def _page(
        self,
        registry: Registry,
        *,
        sent: dict[str, str] | None = None,
        repeat: str = "",
        report: RolloverReport | None = None,
        notice: str = "",
        error: str = "",
        status_code: int = 200,
    ) -> Template:
        years = await registry.years.view()
        stats = await registry.course_stats(year=years.live)
        counts = {row.course: row.students for row in stats}
        sent = sent or {}
        rows = [
            MappingRow(
                course,
                counts.get(course, 0),
                sent[course] if course in sent else guess_next_course(course) or "",
            )
            for course in sorted(counts.keys() | sent.keys())
        ]
        return Template(
            template_name="years.html",
            status_code=status_code,
            context={
                "years": years,
                "next_year": next_year(years.live),
                "rows": rows,
                "repeat": repeat,
                "report": report,
                "notice": notice,
                "error": error,
            },
        )

    @get("/years", name="years", opt=ADMIN)
    async def years(self, registry: NamedDependency[Registry]) -> Template:
        """The years, the current one's control, and the rollover form pre-filled by guess."""
        return await self._page(registry)

    @post("/years/current", name="set-current-year", opt=ADMIN)
    async def set_current(self, registry: NamedDependency[Registry], data: FormData) -> Template:
        """Show another year the registry holds."""
        year = str(data.get("year", "")).strip()
        try:
            await registry.years.set_current(year)
        except (UnknownYear, RolloverInProgress) as exc:
            status = HTTP_409_CONFLICT if isinstance(exc, RolloverInProgress) else 422
            return await self._page(registry, error=_explain(exc, year), status_code=status)
        return await self._page(
            registry, notice=_("The current year is now {year}.").format(year=year)
        )

    @post("/years/rollover", name="rollover", opt=ADMIN)
    async def rollover(self, registry: NamedDependency[Registry], data: FormData) -> Template:
        """Preview (a dry run) or apply the rollover from the live year to the next."""
        from_year = str(data.get("from", "")).strip()
        sent = _sent_rows(data)
        repeat = str(data.get("repeat", ""))
        dry_run = data.get("action") != "apply"
        ids = repeater_ids(repeat)
        if len(ids) > REPEAT_MAX:
            return await self._page(
                registry,
                sent=sent,
                repeat=repeat,
                error=_("At most {n} students can repeat in one rollover.").format(n=REPEAT_MAX),
                status_code=HTTP_422_UNPROCESSABLE_ENTITY,
            )
        request = RolloverRequest(
            from_year=from_year,
            to_year=next_year(from_year) if from_year[:4].isdigit() else "",
            mapping={course: target or None for course, target in sent.items()},
            repeat=ids,
            dry_run=dry_run,
        )
        try:
            report = await registry.years.rollover(request)
        except (InvalidRollover, RolloverInProgress) as exc:
            status = HTTP_409_CONFLICT if isinstance(exc, RolloverInProgress) else 422
            return await self._page(
                registry,
                sent=sent,
                repeat=repeat,
                error=_explain(exc, from_year),
                status_code=status,
            )
        if dry_run:
            return await self._page(registry, sent=sent, repeat=repeat, report=report)
        return await self._page(
            registry,
            report=report,
            notice=_("The registry moved to {year}.").format(year=request.to_year),
        )
