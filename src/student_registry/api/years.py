"""JSON routes over school years: which one is current, and the rollover to the next."""

from __future__ import annotations

from litestar import Controller, get, post, put
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK

from student_registry.api.guards import require_json
from student_registry.api.problems import problem_responses
from student_registry.domain.service import Registry
from student_registry.domain.years import CurrentYear, RolloverReport, RolloverRequest, YearsView
from student_registry.security.guards import ROLE

ADMIN = {ROLE: "admin"}
MAX_JSON_BODY = 512 * 1024


class YearController(Controller):
    """The registry's school years."""

    path = "/api/v1"
    tags = ["years"]  # noqa: RUF012  (the base class declares it as an instance attribute)

    @get("/years", summary="List school years", responses=problem_responses(401, 403, 503))
    async def list_years(self, registry: NamedDependency[Registry]) -> YearsView:
        """The current year (lists and students are shown in it), the live one (students are
        registered and changed in it), and every year the registry holds."""
        return await registry.years.view()

    @put(
        "/years/current",
        opt=ADMIN,
        before_request=require_json,
        request_max_body_size=MAX_JSON_BODY,
        summary="Change the current school year",
        responses=problem_responses(
            401,
            403,
            409,
            415,
            422,
            503,
            when={
                409: "A rollover is under way.",
                422: "The year is not one the registry holds (a rollover opens the next one;"
                " a registry without students takes any year).",
            },
        ),
    )
    async def set_current_year(
        self, data: JSONBody[CurrentYear], registry: NamedDependency[Registry]
    ) -> YearsView:
        """Show another year the registry holds (administrators). While it is not the live
        year, its enrolments are history: students are registered and changed only when the
        live year is current again."""
        return await registry.years.set_current(data.year)

    @post(
        "/rollover",
        opt=ADMIN,
        status_code=HTTP_200_OK,
        before_request=require_json,
        request_max_body_size=MAX_JSON_BODY,
        summary="Roll the students over to the next school year",
        responses=problem_responses(
            401,
            403,
            409,
            413,
            415,
            422,
            503,
            when={
                409: "Another rollover is under way.",
                422: "Courses are left without a mapping (`unmapped_courses` names them),"
                " a student to repeat is not enrolled in the from year, or the years do not"
                " follow the live one. Nothing is changed.",
            },
        ),
    )
    async def rollover(
        self, data: JSONBody[RolloverRequest], registry: NamedDependency[Registry]
    ) -> RolloverReport:
        """Move every enrolled student of the live year (`from`) to the course `mapping` names
        in `to` (administrators); students in `repeat` keep their course, and a course mapped
        to null leaves the school (its enrolments close on the year's last day). `to` becomes
        the live and current year. Idempotent: run again, it answers the first run's counts;
        cut short, it completes. With `dry_run`, it counts and changes nothing."""
        return await registry.years.rollover(data)
