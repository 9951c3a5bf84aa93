"""Server-rendered pages: register, list, search, edit and delete students with plain forms."""

from __future__ import annotations

import math
import re
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, QueryParameter, URLEncodedBody
from litestar.response import Redirect, Template
from litestar.status_codes import (
    HTTP_303_SEE_OTHER,
    HTTP_409_CONFLICT,
    HTTP_412_PRECONDITION_FAILED,
    HTTP_422_UNPROCESSABLE_ENTITY,
)

from student_registry.domain import rules
from student_registry.domain.cursors import MAX_LENGTH as CURSOR_MAX_LENGTH
from student_registry.domain.models import StatusFilter, StoredStudent, StudentCreate, StudentPatch
from student_registry.domain.preconditions import exact_revision
from student_registry.domain.service import Registry
from student_registry.domain.validation import parse
from student_registry.errors import (
    EmailTaken,
    IneTaken,
    InvalidCursor,
    InvalidStudent,
    PossibleDuplicate,
    RegistryError,
    StaleRevision,
    StudentExists,
    StudentNotFound,
)
from student_registry.messages import N_
from student_registry.security.guards import ROLE, SAME_ORIGIN, shown_to
from student_registry.web import forms
from student_registry.web.errors import explain_error
from student_registry.web.i18n import form_labels, relationship_options
from student_registry.web.i18n import gettext as _

PAGE_SIZE = 50
# A student's page shows their newest trail entries; /audit?student= pages through all.
HISTORY_SHOWN = 50
# The course filter suggests this many courses, the most populated; any other can be typed.
COURSE_SUGGESTIONS = 200

FormData = URLEncodedBody[dict[str, str]]
# The original app's form: refused when a browser says it comes from another site.
LEGACY_FORM = {SAME_ORIGIN: True}


def _taken_message(name: str) -> str:
    if name == "id":
        return _("is already taken by a registered student")
    return _("is already used by another student")


def _errors_by_field(exc: RegistryError) -> dict[str, str]:
    if isinstance(exc, InvalidStudent):
        return {forms.form_error_name(e.path): e.message for e in exc.errors}
    if isinstance(exc, IneTaken):
        return {"ine": _taken_message("ine")}
    if isinstance(exc, StudentExists):
        return {"id": _taken_message("id")}
    if isinstance(exc, EmailTaken):
        return {"email": _taken_message("email")}
    if isinstance(exc, PossibleDuplicate):
        return {"$": _("A student with the same names and date of birth is already registered.")}
    return {"$": explain_error(exc)}


async def _taken(
    registry: Registry, values: dict[str, str], *, own_id: str | None = None
) -> dict[str, str]:
    """Errors for an id or email someone else has, found with the form's other errors."""
    taken = await registry.taken_fields(
        student_id=None if own_id else values.get("id"),
        email=values.get("email"),
        own_id=own_id,
        ine=values.get("ine"),
    )
    return {name: _taken_message(name) for name in taken}


def _in_form_order(errors: dict[str, str]) -> dict[str, str]:
    """Errors in the order of the form's fields, as the summary lists them."""
    names: tuple[str, ...] = ("$", *forms.FIELDS, *forms.REGISTRATION_FIELDS)
    names += tuple(
        forms.guardian_input(row, name)
        for row in range(rules.GUARDIANS_MAX)
        for name in forms.GUARDIAN_FIELDS
    )
    order = {name: at for at, name in enumerate(names)}
    return dict(sorted(errors.items(), key=lambda item: order.get(item[0], len(order))))


def _status_of(exc: RegistryError) -> int:
    if isinstance(exc, StaleRevision):
        return HTTP_412_PRECONDITION_FAILED
    if isinstance(exc, StudentExists | EmailTaken | IneTaken | PossibleDuplicate):
        return HTTP_409_CONFLICT
    return HTTP_422_UNPROCESSABLE_ENTITY


def _list_url(
    *,
    q: str,
    course: str,
    cursor: str | None = None,
    number: int = 1,
    status: StatusFilter = "enrolled",
) -> str:
    """A page of the list: one cursor and the page's number, never the pages before it."""
    params = {k: v for k, v in (("q", q), ("course", course)) if v}
    if status != "enrolled":
        params["status"] = status
    if cursor:
        params.update(cursor=cursor, page=str(number))
    return "/?" + urlencode(params) if params else "/"


# A withdrawal or reinstatement that found the student changed since the page was read.
CHANGED_MEANWHILE = N_("Someone changed this student meanwhile. Here is the current record.")


class PageController(Controller):
    """The registry's pages."""

    include_in_schema = False

    async def _render_index(
        self,
        registry: Registry,
        *,
        q: str = "",
        course: str = "",
        cursor: str = "",
        number: int = 1,
        status: StatusFilter = "enrolled",
        notice: str = "",
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        duplicates: list[str] | None = None,
        status_code: int = 200,
        guardian_rows: list[dict[str, str]] | None = None,
    ) -> Template:
        page = await registry.list_students(
            limit=PAGE_SIZE, cursor=cursor or None, course=course or None, q=q, status=status
        )
        # The number only labels the page; the first page is the one with nothing before it.
        number = number if page.previous_cursor else 1
        previous_url = next_url = None
        if page.previous_cursor:
            previous_url = _list_url(
                q=q,
                course=course,
                cursor=page.previous_cursor,
                number=max(1, number - 1),
                status=status,
            )
        if page.next_cursor:
            next_url = _list_url(
                q=q, course=course, cursor=page.next_cursor, number=number + 1, status=status
            )
        courses = await registry.popular_courses(limit=COURSE_SUGGESTIONS)
        return Template(
            template_name="index.html",
            status_code=status_code,
            context={
                "page": page,
                "q": q,
                "course": course,
                "status": status,
                "courses": courses,
                "page_number": number,
                "page_count": max(number, math.ceil(page.total / PAGE_SIZE)),
                "previous_url": previous_url,
                "next_url": next_url,
                "searching": bool(q or course or cursor or status != "enrolled"),
                "notice": notice,
                "values": values or {},
                "errors": errors or {},
                "duplicates": duplicates or [],
                "labels": form_labels(),
                "guardian_rows": forms.shown_guardian_rows(guardian_rows or []),
                "relationships": relationship_options(),
            },
        )

    @get("/", name="index")
    async def index(
        self,
        registry: NamedDependency[Registry],
        q: Annotated[str, QueryParameter(max_length=100)] = "",
        course: Annotated[str, QueryParameter(max_length=rules.TEXT_INPUT_MAX)] = "",
        cursor: Annotated[str, QueryParameter(max_length=CURSOR_MAX_LENGTH)] = "",
        page: Annotated[int, QueryParameter(ge=1, le=10**9)] = 1,
        restarted: FromQuery[bool] = False,
        registered: Annotated[str, QueryParameter(max_length=64)] = "",
        deleted: Annotated[str, QueryParameter(max_length=300)] = "",
        status: FromQuery[StatusFilter] = "enrolled",
    ) -> Template | Redirect:
        """The registration form and the list of students."""
        notice = ""
        if restarted:
            notice = _("This page's starting point no longer exists; here is the first page.")
        elif registered:
            try:
                student = (await registry.get_student(registered)).student
                notice = _("Registered {first} {last} ({id})").format(
                    first=student.first_name, last=student.last_name, id=student.id
                )
            except StudentNotFound:
                notice = ""
        elif re.fullmatch(rules.ID_PATTERN, deleted):
            # Only an id is shown from the URL, so a crafted link cannot say anything of its own.
            notice = _("Deleted the student {id}.").format(id=deleted)
        course = course.strip()
        try:
            return await self._render_index(
                registry,
                q=q.strip(),
                course=course,
                cursor=cursor,
                number=page,
                status=status,
                notice=notice,
            )
        except InvalidCursor:
            # A page whose first student was removed or renamed, or a link made by hand.
            params = {k: v for k, v in (("q", q), ("course", course)) if v}
            if status != "enrolled":
                params["status"] = status
            return Redirect(
                path="/?" + urlencode({**params, "restarted": "1"}),
                status_code=HTTP_303_SEE_OTHER,
            )

    async def _register(
        self,
        registry: Registry,
        values: dict[str, str],
        *,
        allow_duplicate: bool = False,
        guardian_rows: list[dict[str, str]] | None = None,
    ) -> Template | Redirect:
        raw, date_errors = forms.read_dates(values)
        raw |= forms.guardians_raw(guardian_rows or [])
        try:
            data = parse(raw, StudentCreate)
            if date_errors:
                raise InvalidStudent([])
            stored = await registry.register_student(data, allow_duplicate=allow_duplicate)
        except (InvalidStudent, StudentExists, EmailTaken, IneTaken, PossibleDuplicate) as exc:
            errors = _errors_by_field(exc)
            if isinstance(exc, InvalidStudent):
                errors |= date_errors | await _taken(registry, values)
            return await self._render_index(
                registry,
                values=values,
                errors=_in_form_order(errors),
                duplicates=exc.student_ids if isinstance(exc, PossibleDuplicate) else None,
                status_code=_status_of(exc),
                guardian_rows=guardian_rows,
            )
        return Redirect(
            path="/?" + urlencode({"registered": stored.student.id}), status_code=HTTP_303_SEE_OTHER
        )

    @post("/", name="register")
    async def register(
        self, registry: NamedDependency[Registry], data: FormData
    ) -> Template | Redirect:
        """Register from the page's form, then redirect (Post/Redirect/Get)."""
        allow_duplicate = data.get("allow_duplicate") == "true"
        return await self._register(
            registry,
            forms.form_values(data, forms.FIELDS + forms.REGISTRATION_FIELDS),
            allow_duplicate=allow_duplicate,
            guardian_rows=forms.guardian_rows(data),
        )

    # The original app's form has no token: this route, and only it, skips the token check, and
    # a browser's word that the post comes from this site (Origin, Sec-Fetch-Site) takes its
    # place. A path pattern would also match any address that merely contains the route's name.
    @post("/handle_data", name="legacy-register", exclude_from_csrf=True, opt=LEGACY_FORM)
    async def legacy_register(
        self, registry: NamedDependency[Registry], data: FormData
    ) -> Template | Redirect:
        """The original app's form: same fields, same rules, same result."""
        allow_duplicate = data.get("allow_duplicate") == "true"
        return await self._register(
            registry, forms.legacy_values(data), allow_duplicate=allow_duplicate
        )

    @get("/students/{student_id:str}", name="student")
    async def student(
        self,
        request: Request[Any, Any, Any],
        registry: NamedDependency[Registry],
        student_id: FromPath[str],
        saved: FromQuery[bool] = False,
        withdrawn: FromQuery[bool] = False,
        reinstated: FromQuery[bool] = False,
    ) -> Template:
        """One student's page with the edit form, and their history for staff."""
        stored = await registry.get_student(student_id)
        staff = shown_to(request, "staff")
        if withdrawn or reinstated:
            return await self._student_page(
                request,
                registry,
                stored,
                notice=_("Withdrawn.") if withdrawn else _("Reinstated."),
            )
        return Template(
            template_name="student.html",
            context={
                "student": stored.student,
                "revision": stored.revision,
                "values": forms.student_values(stored.student)
                | forms.registration_values(stored.student),
                "errors": {},
                "labels": form_labels(),
                "guardian_rows": forms.shown_guardian_rows(
                    forms.student_guardian_rows(stored.student)
                ),
                "relationships": relationship_options(),
                "notice": _("Saved.") if saved else "",
                "history": await registry.audit.history(student_id, limit=HISTORY_SHOWN)
                if staff
                else [],
            },
        )

    @post("/students/{student_id:str}", name="update")
    async def update(
        self, registry: NamedDependency[Registry], student_id: FromPath[str], data: FormData
    ) -> Template | Redirect:
        """Save the edit form; a change made meanwhile by someone else is not overwritten."""
        values = {
            **forms.form_values(data, forms.FIELDS + forms.REGISTRATION_FIELDS),
            "id": student_id,
        }
        guardian_rows = forms.guardian_rows(data)
        revision = exact_revision(str(data.get("revision", "")))
        raw, date_errors = forms.read_dates(values)
        raw |= forms.guardians_raw(guardian_rows)
        try:
            full = parse(raw, StudentCreate)
            if date_errors:
                raise InvalidStudent([])
            patch = StudentPatch(
                first_name=full.first_name,
                last_name=full.last_name,
                birth_date=full.birth_date,
                course=full.course,
                email=full.email,
                # The form shows every field: one left blank is removed.
                sex=full.sex,
                ine=full.ine,
                birthplace=full.birthplace,
                guardians=full.guardians,
            )
            await registry.update_student(student_id, patch, if_match=revision)
        except (InvalidStudent, EmailTaken, IneTaken, StaleRevision) as exc:
            stored = await registry.get_student(student_id)
            errors = _errors_by_field(exc)
            if isinstance(exc, InvalidStudent):
                errors |= date_errors | await _taken(registry, values, own_id=student_id)
                errors = _in_form_order(errors)
            if isinstance(exc, StaleRevision):
                errors = {
                    "$": _(
                        "Someone changed this student meanwhile. Here is the current record;"
                        " make your change again."
                    )
                }
                values = forms.student_values(stored.student) | forms.registration_values(
                    stored.student
                )
                guardian_rows = forms.student_guardian_rows(stored.student)
            return Template(
                template_name="student.html",
                status_code=_status_of(exc),
                context={
                    "student": stored.student,
                    "revision": stored.revision,
                    "values": values,
                    "errors": errors,
                    "labels": form_labels(),
                    "guardian_rows": forms.shown_guardian_rows(guardian_rows),
                    "relationships": relationship_options(),
                    "notice": "",
                },
            )
        return Redirect(path=f"/students/{student_id}?saved=true", status_code=HTTP_303_SEE_OTHER)

    @get("/students/{student_id:str}/delete", name="confirm-delete", opt={ROLE: "admin"})
    async def confirm_delete(
        self, registry: NamedDependency[Registry], student_id: FromPath[str]
    ) -> Template:
        """Ask before deleting."""
        stored = await registry.get_student(student_id)
        return Template(
            template_name="delete.html",
            context={"student": stored.student, "revision": stored.revision},
        )

    @post("/students/{student_id:str}/delete", name="delete", opt={ROLE: "admin"})
    async def delete(
        self, registry: NamedDependency[Registry], student_id: FromPath[str], data: FormData
    ) -> Redirect:
        """Delete after confirmation, then go back to the list."""
        revision = exact_revision(str(data.get("revision", "")))
        await registry.delete_student(student_id, if_match=revision)
        return Redirect(
            path="/?" + urlencode({"deleted": student_id}), status_code=HTTP_303_SEE_OTHER
        )

    async def _student_page(
        self,
        request: Request[Any, Any, Any],
        registry: Registry,
        stored: StoredStudent,
        *,
        notice: str = "",
        withdrawal_values: dict[str, str] | None = None,
        withdrawal_errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        """A student's page, with what the withdrawal form was sent with and its errors."""
        staff = shown_to(request, "staff")
        student_id = stored.student.id
        return Template(
            template_name="student.html",
            status_code=status_code,
            context={
                "student": stored.student,
                "revision": stored.revision,
                "values": forms.student_values(stored.student),
                "errors": {},
                "labels": form_labels(),
                "notice": notice,
                "withdrawal_values": withdrawal_values or {},
                "withdrawal_errors": withdrawal_errors or {},
                "history": await registry.audit.history(student_id, limit=HISTORY_SHOWN)
                if staff
                else [],
            },
        )

    @post("/students/{student_id:str}/withdraw", name="withdraw")
    async def withdraw(
        self,
        request: Request[Any, Any, Any],
        registry: NamedDependency[Registry],
        student_id: FromPath[str],
        data: FormData,
    ) -> Template | Redirect:
        """Withdraw a student (radiation): the exit date and reason from the form."""
        values = forms.form_values(data, forms.WITHDRAWAL_FIELDS)
        revision = exact_revision(str(data.get("revision", "")))
        raw, date_errors = forms.read_dates(values, ("exit_date",))
        try:
            patch = parse({**raw, "status": "withdrawn"}, StudentPatch)
            if date_errors:
                raise InvalidStudent([])
            await registry.update_student(student_id, patch, if_match=revision)
        except (InvalidStudent, StaleRevision) as exc:
            errors = _errors_by_field(exc) | date_errors
            if date_errors and not raw.get("exit_reason"):
                errors["exit_reason"] = rules.WITHDRAWAL_REQUIRES
            if isinstance(exc, StaleRevision):
                errors = {"$": _(CHANGED_MEANWHILE)}
            return await self._student_page(
                request,
                registry,
                await registry.get_student(student_id),
                withdrawal_values=values,
                withdrawal_errors=errors,
                status_code=_status_of(exc),
            )
        return Redirect(
            path=f"/students/{student_id}?withdrawn=true", status_code=HTTP_303_SEE_OTHER
        )

    @post("/students/{student_id:str}/reinstate", name="reinstate")
    async def reinstate(
        self,
        request: Request[Any, Any, Any],
        registry: NamedDependency[Registry],
        student_id: FromPath[str],
        data: FormData,
    ) -> Template | Redirect:
        """Enrol a withdrawn student again; its exit date and reason are cleared."""
        revision = exact_revision(str(data.get("revision", "")))
        try:
            patch = StudentPatch(status="enrolled")
            await registry.update_student(student_id, patch, if_match=revision)
        except StaleRevision as exc:
            return await self._student_page(
                request,
                registry,
                await registry.get_student(student_id),
                withdrawal_errors={"$": _(CHANGED_MEANWHILE)},
                status_code=_status_of(exc),
            )
        return Redirect(
            path=f"/students/{student_id}?reinstated=true", status_code=HTTP_303_SEE_OTHER
        )
