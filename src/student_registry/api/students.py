"""JSON routes over students: parse, call the service, shape the answer."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from student_registry.api.guards import require_json
from student_registry.api.problems import problem_responses
from student_registry.domain.accounts import Actor
from student_registry.domain.models import (
    STATUS_FILTER,
    StatusFilter,
    Student,
    StudentCreate,
    StudentPage,
    StudentPatch,
)
from student_registry.domain.preconditions import parse_if_match
from student_registry.domain.service import IdempotencyKey, Registry
from student_registry.domain.validation import decode
from student_registry.domain.years import YEAR_FILTER
from student_registry.school_years import YEAR_PATTERN
from student_registry.security.guards import ROLE

MAX_JSON_BODY = 64 * 1024
# The handler option that keeps a route's responses out of the compression middleware.
SKIP_COMPRESSION = "skip_compression"
# One student's JSON is far below the size worth compressing.
ONE_STUDENT = {SKIP_COMPRESSION: True}
ETAG_HEADER = ResponseHeader(
    name="ETag", description="The student's revision.", documentation_only=True
)


CURSOR = (
    "Opaque: a page's `next_cursor` or `previous_cursor`, passed back unchanged with the same "
    "`q` and `course`. Its content is the service's own and may change between versions; a "
    "cursor the service did not issue is a 400 problem (`invalid-cursor`), and one whose "
    "student was removed or renamed since a 400 problem (`stale-cursor`): start again without "
    "it."
)
IDEMPOTENCY_KEY = (
    "Any unique string (a UUID, say), kept 24 h: sending the same request again with it answers"
    " the outcome of the first (its 201), not a 409; the same key with another body is a 422"
    " (draft-ietf-httpapi-idempotency-key-header)."
)
IF_MATCH = (
    "Apply only if the student is still at this revision: the ETag a read returned, or `*` for "
    "any current revision (RFC 9110 13.1.1). Tags are compared strongly: a weak tag (`W/...`), "
    "an empty or a malformed one never matches. When none matches, the answer is 412 and "
    "nothing changes."
)


def etag(revision: str) -> str:
    """The ETag of a revision."""
    return f'"{revision}"'


BodyT = TypeVar("BodyT", StudentCreate, StudentPatch)


async def _strictly(request: Request[Actor, Any, Any], data: BodyT) -> BodyT:
    """The body decoded strictly when it has guardians: the framework converts a body's values
    leniently, and would take "true" or 1 for a guardian's parental_authority. Other fields are
    texts and dates, which it takes from JSON strings only."""
    if not data.guardians:
        return data
    return decode(await request.body(), type(data))


class StudentController(Controller):
    """Register, read, list, change and remove students."""

    path = "/api/v1/students"
    tags = ["students"]  # noqa: RUF012  (the base class declares it as an instance attribute)

    @post(
        status_code=HTTP_201_CREATED,
        opt=ONE_STUDENT,
        before_request=require_json,
        request_max_body_size=MAX_JSON_BODY,
        response_headers=[
            ETAG_HEADER,
            ResponseHeader(
                name="Location", description="The new student.", documentation_only=True
            ),
        ],
        summary="Register a student",
        responses=problem_responses(
            401,
            403,
            400,
            409,
            413,
            415,
            422,
            503,
            when={
                422: "Some fields are invalid, or the Idempotency-Key was used for another body.",
                503: "The store cannot be reached, or the write's outcome is unknown (no replica"
                " confirmed it): send it again, with its Idempotency-Key, after Retry-After.",
            },
        ),
    )
    async def register_student(
        self,
        request: Request[Actor, Any, Any],
        data: JSONBody[StudentCreate],
        registry: NamedDependency[Registry],
        allow_duplicate: Annotated[
            bool,
            QueryParameter(
                description="Register even if students with the same first name, last name"
                " (ignoring case and accents) and date of birth are registered."
            ),
        ] = False,
        idempotency_key: Annotated[
            str | None,
            HeaderParameter(
                name="Idempotency-Key",
                description=IDEMPOTENCY_KEY,
                min_length=1,
                max_length=255,
            ),
        ] = None,
    ) -> Response[Student]:
        """Register a student. 409 when the id, the email or the INE is taken, or
        (possible-duplicate) when the same person seems registered; the stored one is kept.
        Invalid fields are named by their path, guardians' by their place: guardians[1].phone."""
        key = IdempotencyKey(request.user.email, idempotency_key) if idempotency_key else None
        data = await _strictly(request, data)
        stored = await registry.register_student(
            data, allow_duplicate=allow_duplicate, idempotency=key
        )
        return Response(
            stored.student,
            status_code=HTTP_201_CREATED,
            headers={
                "Location": f"{self.path}/{stored.student.id}",
                "ETag": etag(stored.revision),
            },
        )

    @get(summary="List students", responses=problem_responses(401, 403, 400, 422, 503))
    async def list_students(
        self,
        registry: NamedDependency[Registry],
        limit: Annotated[int, QueryParameter(ge=1, le=500, description="Page size.")] = 50,
        cursor: Annotated[str | None, QueryParameter(description=CURSOR)] = None,
        course: Annotated[
            str | None, QueryParameter(description="Only this course, exactly.")
        ] = None,
        q: Annotated[
            str,
            QueryParameter(
                max_length=100,
                description="Up to 6 words, each the start of the first or last name, in any"
                " order (Dupont Marie, marie dup); case and accents do not matter.",
            ),
        ] = "",
        status: Annotated[StatusFilter, QueryParameter(description=STATUS_FILTER)] = "enrolled",
        year: Annotated[
            str | None, QueryParameter(pattern=YEAR_PATTERN, description=YEAR_FILTER)
        ] = None,
    ) -> StudentPage:
        """Students by last name, first name and id, ignoring case and accents; enrolled ones
        unless `status` asks for withdrawn ones, or all.

        A name search lists them by the name that matched, then in that order.
        """
        return await registry.list_students(
            limit=limit, cursor=cursor, course=course, q=q, status=status, year=year
        )

    @get(
        "/{student_id:str}",
        opt=ONE_STUDENT,
        response_headers=[ETAG_HEADER],
        summary="Get a student",
        responses=problem_responses(401, 403, 400, 404, 422, 503),
    )
    async def get_student(
        self,
        student_id: FromPath[str],
        registry: NamedDependency[Registry],
        year: Annotated[
            str | None, QueryParameter(pattern=YEAR_PATTERN, description=YEAR_FILTER)
        ] = None,
    ) -> Response[Student]:
        """One student, with its ETag: its course and status those of the current year (or of
        `year`), every enrolment in `enrolments`."""
        stored = await registry.get_student(student_id, year=await registry.years.check_known(year))
        return Response(stored.student, headers={"ETag": etag(stored.revision)})

    @patch(
        "/{student_id:str}",
        opt=ONE_STUDENT,
        before_request=require_json,
        request_max_body_size=MAX_JSON_BODY,
        response_headers=[ETAG_HEADER],
        summary="Change a student",
        responses=problem_responses(401, 403, 400, 404, 409, 412, 413, 415, 422, 503),
    )
    async def update_student(
        self,
        request: Request[Actor, Any, Any],
        student_id: FromPath[str],
        data: JSONBody[StudentPatch],
        registry: NamedDependency[Registry],
        if_match: Annotated[
            str | None, HeaderParameter(name="If-Match", description=IF_MATCH)
        ] = None,
    ) -> Response[Student]:
        """Change some fields; null removes an optional one, and guardians are replaced as a
        whole list. 409 when the email or the INE is another student's; 412 when If-Match names
        an older revision.

        Withdraw a student with `{"status": "withdrawn", "exit_date": ..., "exit_reason": ...}`
        (the exit date not in the future, nor before entry_date); reinstate it with
        `{"status": "enrolled"}`, which clears both. A withdrawn student keeps its record and
        its history; deleting is for erasure (administrators)."""
        data = await _strictly(request, data)
        stored = await registry.update_student(student_id, data, if_match=parse_if_match(if_match))
        return Response(stored.student, headers={"ETag": etag(stored.revision)})

    @delete(
        "/{student_id:str}",
        opt={**ONE_STUDENT, ROLE: "admin"},
        status_code=HTTP_204_NO_CONTENT,
        summary="Remove a student",
        responses=problem_responses(401, 403, 400, 404, 412, 503),
    )
    async def delete_student(
        self,
        student_id: FromPath[str],
        registry: NamedDependency[Registry],
        if_match: Annotated[
            str | None, HeaderParameter(name="If-Match", description=IF_MATCH)
        ] = None,
    ) -> None:
        """Remove a student and their index entries (administrators): a family's erasure
        request. The trail keeps the id and the action. 412 when If-Match names an older
        revision."""
        await registry.delete_student(student_id, if_match=parse_if_match(if_match))
