"""Error pages for people: a friendly page instead of a traceback or a JSON document."""

from __future__ import annotations

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
from student_registry.errors import Forbidden, NotAuthenticated, RegistryError, StoreUnavailable
from student_registry.web.i18n import gettext as _


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
    return error_page(request, status=status, title=_(title), detail=str(exc))


def http_error_page(request: Request[Any, Any, Any], exc: HTTPException) -> Template:
    """A framework error (404, 403 from the forgery check, ...) as a page."""
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
    return error_page(
        request,
        status=HTTP_500_INTERNAL_SERVER_ERROR,
        title=_("Something went wrong"),
        detail=_("An unexpected error occurred. It has been logged."),
    )
