"""JSON routes over the audit trail (administrators) and a student's record (staff)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from student_registry.api.problems import problem_responses
from student_registry.domain.audit import MAX_PAGE, PAGE_SIZE, Action, AuditPage, StudentRecord
from student_registry.domain.service import Registry
from student_registry.security.guards import ROLE

CURSOR = "Opaque: a page's `next_cursor`, passed back unchanged with the same filters."


class AuditController(Controller):
    """Who changed, exported or read what, and when."""

    path = "/api/v1/audit"
    tags = ["audit"]  # noqa: RUF012  (the base class declares it as an instance attribute)

    @get(
        opt={ROLE: "admin"},
        summary="Read the audit trail",
        responses=problem_responses(401, 403, 400, 503),
    )
    async def read_trail(
        self,
        registry: NamedDependency[Registry],
        student: Annotated[
            str | None, QueryParameter(max_length=64, description="Only about this student id.")
        ] = None,
        actor: Annotated[
            str | None,
            QueryParameter(
                max_length=320, description="Only by this actor: an email or token:<id>."
            ),
        ] = None,
        action: Annotated[Action | None, QueryParameter(description="Only this action.")] = None,
        since: Annotated[date | None, QueryParameter(description="From this day on (UTC).")] = None,
        cursor: Annotated[str | None, QueryParameter(max_length=45, description=CURSOR)] = None,
        limit: Annotated[
            int, QueryParameter(ge=1, le=MAX_PAGE, description="Page size.")
        ] = PAGE_SIZE,
    ) -> AuditPage:
        """Entries newest first. Without a student, a page reads a bounded stretch of the
        trail: it may hold fewer than `limit` entries and still have a `next_cursor`."""
        return await registry.audit.page(
            student=student, actor=actor, action=action, since=since, cursor=cursor, limit=limit
        )


@get(
    "/api/v1/students/{student_id:str}/record",
    tags=["students"],
    opt={ROLE: "staff"},
    summary="Everything held about a student",
    responses=problem_responses(401, 403, 400, 404, 503),
)
async def student_record(
    student_id: FromPath[str], registry: NamedDependency[Registry]
) -> StudentRecord:
    """A family's access request: the student's data and every trail entry about them. The
    reading is itself trailed (record.access)."""
    return await registry.student_record(student_id)
