"""Error pages for people: a friendly page instead of a traceback or a JSON document."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from litestar import Request
from litestar.exceptions import HTTPException, NotAuthorizedException, PermissionDeniedException
from litestar.response import Redirect, Template
from litestar.status_codes import (
    HTTP_303_SEE_OTHER,
    HTTP_403_FORBIDDEN,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)

from student_registry.api.problems import RETRY_AFTER_SECONDS, describe_domain_error
from student_registry.errors import (
    EmailTaken,
    Forbidden,
    InvalidAccount,
    InvalidCredentials,
    InvalidSearch,
    InvalidStudent,
    NotAuthenticated,
    OwnAdminRights,
    PossibleDuplicate,
    RegistryError,
    StaleCursor,
    StaleRevision,
    StoreUnavailable,
    StudentExists,
    StudentNotFound,
    TokenNotFound,
    TooManyAttempts,
    UserExists,
    UserNotFound,
)
from student_registry.web.i18n import ERROR_LABELS, translate, use_language
from student_registry.web.i18n import gettext as _
from student_registry.web.languages import choose_language

# Each error's message for people, from the values it carries; the API keeps its own words.
_MESSAGES: dict[type[RegistryError], Callable[[Any], str]] = {
    StudentNotFound: lambda e: _("No student has the ID {id}.").format(id=e.student_id),
    StudentExists: lambda e: _("A student with the ID {id} is already registered.").format(
        id=e.student_id
    ),
    EmailTaken: lambda e: _("Another student already has the email {email}.").format(email=e.email),
    PossibleDuplicate: lambda e: _(
        "A student with the same first name, last name and date of birth is already"
        " registered: {ids}."
    ).format(ids=", ".join(e.student_ids)),
    StaleRevision: lambda e: _(
        "The student {id} changed since you read it; reload the page and make your change again."
    ).format(id=e.student_id),
    UserExists: lambda e: _("A user with the email {email} exists.").format(email=e.email),
    UserNotFound: lambda e: _("No user has the email {email}.").format(email=e.email),
    TokenNotFound: lambda e: _("No token has the ID {id}.").format(id=e.token_id),
    InvalidCredentials: lambda e: _("Invalid email or password"),
    OwnAdminRights: lambda e: _(
        "You cannot take away your own admin role or disable yourself: another admin can."
    ),
    TooManyAttempts: lambda e: _("Too many failed sign-ins. Try again in {n} seconds.").format(
        n=e.retry_after
    ),
    StaleCursor: lambda e: _(
        "This page's starting point no longer exists: the student it started from was"
        " removed or renamed. Start again from the first page."
    ),
}


def explain_error(exc: RegistryError) -> str:
    """What a domain error says, in the page's language (the API keeps the English one)."""
    if isinstance(exc, InvalidStudent | InvalidSearch | InvalidAccount):
        return "; ".join(
            _("{label} {message}").format(
                label=translate(ERROR_LABELS.get(e.path, e.path)), message=translate(e.message)
            )
            for e in exc.errors
        )
    for kind, message in _MESSAGES.items():
        if isinstance(exc, kind):
            return message(exc)
    return translate(str(exc))


def error_page(
    request: Request[Any, Any, Any],
    *,
    status: int,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
) -> Template:
    """The error page with a status code."""
    if status == HTTP_503_SERVICE_UNAVAILABLE:
        headers = {**(headers or {}), "Retry-After": RETRY_AFTER_SECONDS}
    return Template(
        template_name="error.html",
        status_code=status,
        headers=headers,
        context={
            "status": status,
            "title": title,
            "detail": detail,
            # A GET is worth retrying where it failed (503); every other way out is the list.
            "retry_url": _own_address(request) if request.method == "GET" else "/",
        },
    )


def _speak(request: Request[Any, Any, Any]) -> None:
    """Answer in the page's language, also where no page route (and its middleware) ran."""
    use_language(choose_language(request).language)


def _own_address(request: Request[Any, Any, Any]) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def sign_in_redirect(request: Request[Any, Any, Any]) -> Redirect:
    """To the sign-in page, and back here afterwards (a GET's own address, else the list)."""
    target = request.url.path
    if request.method == "GET" and request.url.query:
        target += "?" + request.url.query
    if request.method != "GET":
        target = "/"
    return Redirect(path="/login?" + urlencode({"next": target}), status_code=HTTP_303_SEE_OTHER)


def domain_error_page(request: Request[Any, Any, Any], exc: RegistryError) -> Template | Redirect:
    """A domain error as a page; a page that needs a signed-in user sends to sign in."""
    _speak(request)
    if isinstance(exc, NotAuthenticated):
        return sign_in_redirect(request)
    if isinstance(exc, Forbidden):
        return error_page(
            request,
            status=HTTP_403_FORBIDDEN,
            title=_("Not allowed"),
            detail=_("Your role does not allow this. Ask an administrator if you need it."),
        )
    if isinstance(exc, StoreUnavailable):
        return error_page(
            request,
            status=HTTP_503_SERVICE_UNAVAILABLE,
            title=_("Service temporarily unavailable"),
            detail=_(
                "The student registry cannot reach its database right now. Nothing was lost; "
                "please try again in a few moments."
            ),
        )
    status, title, _slug = describe_domain_error(exc)
    return error_page(request, status=status, title=_(title), detail=explain_error(exc))


def http_error_page(request: Request[Any, Any, Any], exc: HTTPException) -> Template:
    """A framework error (404, 403 from the forgery check, ...) as a page."""
    _speak(request)
    if isinstance(exc, NotAuthorizedException | PermissionDeniedException):
        detail = _(
            "This form has expired or did not come from this site. Go back, reload the page "
            "and submit it again."
        )
        return error_page(request, status=exc.status_code, title=_("Form expired"), detail=detail)
    title = _("Page not found") if exc.status_code == 404 else str(exc.detail)
    detail = _("There is nothing at this address.") if exc.status_code == 404 else str(exc.detail)
    # The framework's headers stay: a 405's Allow (RFC 9110 §15.5.6), a 503's Retry-After.
    return error_page(
        request, status=exc.status_code, title=title, detail=detail, headers=exc.headers
    )


def unexpected_error_page(request: Request[Any, Any, Any], exc: Exception) -> Template:
    """An unexpected error as a page; the details go to the log only."""
    _speak(request)
    return error_page(
        request,
        status=HTTP_500_INTERNAL_SERVER_ERROR,
        title=_("Something went wrong"),
        detail=_("An unexpected error occurred. It has been logged."),
    )
