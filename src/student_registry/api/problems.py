"""RFC 9457 problem details: the one place errors become HTTP responses."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, SerializationException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_401_UNAUTHORIZED,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_412_PRECONDITION_FAILED,
    HTTP_415_UNSUPPORTED_MEDIA_TYPE,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_429_TOO_MANY_REQUESTS,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)
from litestar.types import Empty
from litestar.utils.scope.state import ScopeState
from msgspec import Struct

from student_registry.domain.models import StudentCreate, StudentPatch
from student_registry.domain.validation import explain
from student_registry.errors import (
    Conflict,
    ExportOnlyOption,
    FieldError,
    Forbidden,
    IdempotencyKeyReused,
    InvalidAccount,
    InvalidCredentials,
    InvalidCursor,
    InvalidImport,
    InvalidRollover,
    InvalidSearch,
    InvalidStudent,
    NotAuthenticated,
    OutcomeUnknown,
    PossibleDuplicate,
    RegistryError,
    StaleCursor,
    StaleRevision,
    StoreUnavailable,
    StudentNotFound,
    TokenNotFound,
    TooManyAttempts,
    UnknownYear,
    UserNotFound,
)
from student_registry.messages import N_

PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_SECONDS = "5"
TYPE_BASE = "https://student-registry.dev/problems/"
NOT_JSON = "The body is not JSON. Send the student as a JSON object."
BODY_METHODS = frozenset({"POST", "PATCH"})
# Bodies explained field by field against the student models (others: msgspec's own words).
STUDENTS_PATH = "/api/v1/students"

log = logging.getLogger(__name__)


class InvalidField(Struct):
    """One invalid field in a 422 problem."""

    path: str
    message: str


class Problem(Struct, omit_defaults=True):
    """An RFC 9457 problem details document."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[InvalidField] | None = None
    duplicates: list[str] | None = None
    unmapped_courses: list[str] | None = None


_WHEN = {
    400: "The request is malformed; for a list, a cursor this service did not issue, or one"
    " whose starting student was removed or renamed since (start again without it).",
    401: "No valid API token: send Authorization: Bearer <token>.",
    403: "The token's owner does not have the role this needs, or the token is read-only.",
    404: "No student has this id.",
    409: "The id or the email is taken, or (type `possible-duplicate`) students with the same"
    " names and date of birth are registered: `duplicates` lists their ids; the stored"
    " students are unchanged.",
    412: "If-Match names no current revision of the student (a stale, weak or malformed tag).",
    413: "The body is too large.",
    415: "The body is not JSON.",
    422: "Some fields are invalid; `errors` lists each with its path and a message.",
    503: "The store cannot be reached; try again after Retry-After seconds.",
}


def problem_responses(
    *statuses: int, when: Mapping[int, str] | None = None
) -> dict[int, ResponseSpec]:
    """The OpenAPI description of a route's problem responses; `when` words some for it."""
    said = {**_WHEN, **(when or {})}
    return {
        status: ResponseSpec(
            data_container=Problem,
            media_type=PROBLEM_JSON,
            description=said[status],
            generate_examples=False,
        )
        for status in statuses
    }


def _slug(status: int, name: str) -> str:
    return f"{TYPE_BASE}{name}" if name else f"{TYPE_BASE}http-{status}"


_DOMAIN: dict[type[RegistryError], tuple[int, str, str]] = {
    StoreUnavailable: (
        HTTP_503_SERVICE_UNAVAILABLE,
        "Service temporarily unavailable",
        "unavailable",
    ),
    OutcomeUnknown: (HTTP_503_SERVICE_UNAVAILABLE, N_("Outcome unknown"), "outcome-unknown"),
    IdempotencyKeyReused: (
        HTTP_422_UNPROCESSABLE_ENTITY,
        N_("Idempotency-Key reused"),
        "idempotency-key-reused",
    ),
    InvalidStudent: (HTTP_422_UNPROCESSABLE_ENTITY, N_("Invalid student"), "invalid-student"),
    InvalidCursor: (HTTP_400_BAD_REQUEST, N_("Invalid cursor"), "invalid-cursor"),
    StaleCursor: (HTTP_400_BAD_REQUEST, N_("Page no longer available"), "stale-cursor"),
    InvalidSearch: (HTTP_422_UNPROCESSABLE_ENTITY, N_("Invalid request"), "invalid-request"),
    InvalidImport: (HTTP_400_BAD_REQUEST, N_("Unreadable import"), "invalid-import"),
    ExportOnlyOption: (HTTP_422_UNPROCESSABLE_ENTITY, N_("Invalid request"), "invalid-request"),
    StudentNotFound: (HTTP_404_NOT_FOUND, N_("Student not found"), "not-found"),
    StaleRevision: (HTTP_412_PRECONDITION_FAILED, N_("Precondition failed"), "stale-revision"),
    PossibleDuplicate: (HTTP_409_CONFLICT, N_("Possible duplicate"), "possible-duplicate"),
    Conflict: (HTTP_409_CONFLICT, N_("Conflict"), "conflict"),
    InvalidAccount: (HTTP_422_UNPROCESSABLE_ENTITY, N_("Invalid input"), "invalid-account"),
    InvalidRollover: (HTTP_422_UNPROCESSABLE_ENTITY, N_("Invalid rollover"), "invalid-rollover"),
    UnknownYear: (HTTP_422_UNPROCESSABLE_ENTITY, N_("Unknown school year"), "unknown-year"),
    UserNotFound: (HTTP_404_NOT_FOUND, N_("User not found"), "user-not-found"),
    TokenNotFound: (HTTP_404_NOT_FOUND, N_("Token not found"), "token-not-found"),
    InvalidCredentials: (HTTP_401_UNAUTHORIZED, N_("Unauthorized"), "invalid-credentials"),
    TooManyAttempts: (HTTP_429_TOO_MANY_REQUESTS, N_("Too many requests"), "too-many-attempts"),
    NotAuthenticated: (HTTP_401_UNAUTHORIZED, N_("Unauthorized"), "unauthenticated"),
    Forbidden: (HTTP_403_FORBIDDEN, N_("Forbidden"), "forbidden"),
}


def problem_response(
    request: Request[Any, Any, Any],
    *,
    status: int,
    title: str,
    detail: str,
    slug: str = "",
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
    duplicates: list[str] | None = None,
    unmapped_courses: list[str] | None = None,
) -> Response[Problem]:
    """A problem details response."""
    body = Problem(
        type=_slug(status, slug),
        title=title,
        status=status,
        detail=detail,
        instance=request.url.path,
        errors=[InvalidField(e.path, e.message) for e in errors] if errors is not None else None,
        duplicates=duplicates,
        unmapped_courses=unmapped_courses,
    )
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def describe_domain_error(exc: RegistryError) -> tuple[int, str, str]:
    """Status, title and type slug of a domain error."""
    for cls in type(exc).__mro__:
        if cls in _DOMAIN:
            return _DOMAIN[cls]
    return HTTP_500_INTERNAL_SERVER_ERROR, N_("Internal error"), "internal"


def handle_domain_error(request: Request[Any, Any, Any], exc: RegistryError) -> Response[Problem]:
    """Map a domain error to its problem."""
    status, title, slug = describe_domain_error(exc)
    if isinstance(exc, StoreUnavailable):
        log.warning("redis unavailable: %s", exc)
        detail = "The student store cannot be reached right now. Try again in a few seconds."
        if isinstance(exc, OutcomeUnknown):
            detail = (
                "The write was made but no replica confirmed it in time: it may be kept or"
                " lost. Read it back, or send the request again with its Idempotency-Key."
            )
        headers = {"Retry-After": RETRY_AFTER_SECONDS}
        return problem_response(
            request, status=status, title=title, detail=detail, slug=slug, headers=headers
        )
    errors = (
        exc.errors
        if isinstance(exc, InvalidStudent | InvalidAccount | InvalidSearch | ExportOnlyOption)
        else None
    )
    detail = "Some fields are invalid; see errors." if errors else str(exc)
    return problem_response(
        request,
        status=status,
        title=title,
        detail=detail,
        slug=slug,
        errors=errors,
        headers=auth_headers(request, exc),
        duplicates=exc.student_ids if isinstance(exc, PossibleDuplicate) else None,
        unmapped_courses=(
            exc.unmapped_courses or None if isinstance(exc, InvalidRollover) else None
        ),
    )


def auth_headers(request: Request[Any, Any, Any], exc: RegistryError) -> dict[str, str] | None:
    """WWW-Authenticate on a 401 (RFC 6750), Retry-After on a throttled sign-in."""
    if isinstance(exc, NotAuthenticated):
        given = request.headers.get("authorization", "").lower().startswith("bearer ")
        return {"WWW-Authenticate": 'Bearer error="invalid_token"' if given else "Bearer"}
    if isinstance(exc, TooManyAttempts):
        return {"Retry-After": str(exc.retry_after)}
    return None


def _body_errors(request: Request[Any, Any, Any]) -> list[FieldError] | None:
    body = ScopeState.from_scope(request.scope).json
    if request.method not in BODY_METHODS or body is Empty:
        return None
    if not request.url.path.startswith(STUDENTS_PATH):
        return None
    model = StudentCreate if request.method == "POST" else StudentPatch
    return explain(body, model) or None


# msgspec's words for a bad query parameter, and the same said for a person.
_PLAIN = [
    (re.compile(r"Expected `int`, got `\w+`"), "must be a whole number"),
    (re.compile(r"Expected `(?:int|float)` >= (\S+)"), r"must be at least \1"),
    (re.compile(r"Expected `(?:int|float)` <= (\S+)"), r"must be at most \1"),
    (re.compile(r"Expected `str` of length <= (\d+)"), r"must be at most \1 characters"),
    (re.compile(r"Expected `bool`, got `\w+`"), "must be true or false"),
]


def _plain(message: str) -> str:
    for pattern, replacement in _PLAIN:
        if pattern.fullmatch(message):
            return pattern.sub(replacement, message)
    return message


def _body_is_not_json(request: Request[Any, Any, Any], exc: HTTPException) -> bool:
    # RFC 9110 allows 415 on inspecting the content, not only on its declared type.
    if isinstance(exc.__cause__, SerializationException):
        return True
    body = ScopeState.from_scope(request.scope).body
    return isinstance(exc, ValidationException) and request.method in BODY_METHODS and body == b""


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def handle_http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Problem]:
    """Map the framework's HTTP errors (404, 405, 413, 415, bad parameters) to problems."""
    if _body_is_not_json(request, exc):
        status = HTTP_415_UNSUPPORTED_MEDIA_TYPE
        return problem_response(
            request, status=status, title=_phrase(status), detail=NOT_JSON, slug="not-json"
        )
    if isinstance(exc, ValidationException):
        errors = _body_errors(request) or [
            FieldError(
                path=str(e.get("key", "$")), message=_plain(str(e.get("message", "is invalid")))
            )
            for e in (exc.extra if isinstance(exc.extra, list) else [])
        ]
        status = HTTP_422_UNPROCESSABLE_ENTITY
        return problem_response(
            request,
            status=status,
            title="Invalid request",
            detail="Some fields are invalid; see errors.",
            slug="invalid-request",
            errors=errors,
        )
    title = _phrase(exc.status_code)
    return problem_response(
        request,
        status=exc.status_code,
        title=title,
        detail=exc.detail or title,
        headers=exc.headers,
    )


def handle_unexpected_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    """Log an unexpected error and answer 500 without leaking anything."""
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(
        request,
        status=HTTP_500_INTERNAL_SERVER_ERROR,
        title="Internal error",
        detail="Something went wrong on our side. It has been logged.",
        slug="internal",
    )


API_PATHS = ("/api/", "/healthz", "/readyz", "/openapi.json", "/docs")


def is_api_request(request: Request[Any, Any, Any]) -> bool:
    """Whether errors of this request are answered as problem JSON rather than a page."""
    if request.url.path.startswith(API_PATHS):
        return True
    # Elsewhere a browser gets a page, but a client that asks for JSON gets the problem.
    wanted = request.accept.best_match([MediaType.HTML, MediaType.JSON, PROBLEM_JSON])
    return wanted is not None and wanted != MediaType.HTML
