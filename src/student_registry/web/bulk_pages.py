"""The page's bulk controls: import a file of students from a form, with its report."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.params import FromQuery, MultipartBody, QueryParameter
from litestar.response import Stream, Template
from litestar.status_codes import (
    HTTP_200_OK,
    HTTP_207_MULTI_STATUS,
    HTTP_400_BAD_REQUEST,
    HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    HTTP_422_UNPROCESSABLE_ENTITY,
)

from student_registry.api.bulk import import_limit
from student_registry.domain.bulk import export_students
from student_registry.domain.bulk_formats import MEDIA_TYPES, Format
from student_registry.domain.export_import import import_files
from student_registry.domain.models import StatusFilter
from student_registry.domain.service import Registry
from student_registry.errors import ExportOnlyOption, ImportTooLarge, InvalidImport
from student_registry.security.guards import ROLE
from student_registry.settings import readable_size
from student_registry.web.i18n import FIELD_LABELS, translate
from student_registry.web.i18n import gettext as _

STAFF = {ROLE: "staff"}
Course = Annotated[str | None, QueryParameter(max_length=164)]
NamePrefix = Annotated[str, QueryParameter(max_length=100)]
Status = FromQuery[StatusFilter]
# What a multipart form adds around the file: its boundaries, headers and other fields.
FORM_OVERHEAD = 64 * 1024
SHOWN_FAILURES = 100


@dataclass
class ImportForm:
    """The import form: a file (and an export's guardians file), what to do with students
    already registered (an export always updates them), and whether a full export withdraws
    the students it leaves out."""

    file: UploadFile
    guardians: UploadFile | None = None
    on_conflict: Literal["fail", "skip", "update"] = "fail"
    dry_run: bool = False
    allow_duplicates: bool = False
    withdraw_missing: bool = False


async def _export(
    registry: Registry, fmt: Format, course: str | None, q: str, status: StatusFilter
) -> Stream:
    await registry.check_ready()
    name = f"students.{fmt}"
    return Stream(
        export_students(registry, fmt, course=course, q=q, status=status),
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _form(request: Request[Any, Any, Any], **context: Any) -> dict[str, Any]:
    limit = readable_size(import_limit(request))
    return {
        "report": None,
        "error": "",
        "error_title": "",
        "limit": limit,
        "labels": FIELD_LABELS,
        **context,
    }


def _file_too_large(request: Request[Any, Any, Any], exc: RequestEntityTooLarge) -> Template:
    """The form again, saying the file passed the limit (the rest of it was never read)."""
    return Template(
        template_name="import.html",
        status_code=HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        context=_form(
            request,
            error=_(
                "The file is larger than {limit}, the most this page takes. Split it into "
                "smaller files, or have it imported with the command line (student-registry "
                "import), which takes files of any size."
            ).format(limit=readable_size(import_limit(request))),
        ),
    )


class BulkPageController(Controller):
    """Import from the page; exports are plain links to the API's streamed downloads."""

    include_in_schema = False

    @get("/students.csv", name="export-csv", media_type=MEDIA_TYPES["csv"], opt=STAFF)
    async def export_csv(
        self,
        registry: NamedDependency[Registry],
        course: Course = None,
        q: NamePrefix = "",
        status: Status = "enrolled",
    ) -> Stream:
        """The page's CSV export link (the API's export needs a token, pages a session)."""
        return await _export(registry, "csv", course, q, status)

    @get("/students.ndjson", name="export-ndjson", media_type=MEDIA_TYPES["ndjson"], opt=STAFF)
    async def export_ndjson(
        self,
        registry: NamedDependency[Registry],
        course: Course = None,
        q: NamePrefix = "",
        status: Status = "enrolled",
    ) -> Stream:
        """The page's NDJSON export link."""
        return await _export(registry, "ndjson", course, q, status)

    @get("/import", name="import-form", opt=STAFF)
    async def import_form(self, request: Request[Any, Any, Any]) -> Template:
        """The import form."""
        return Template(template_name="import.html", context=_form(request))

    @post(
        "/import",
        name="import",
        opt=STAFF,
        exception_handlers={RequestEntityTooLarge: _file_too_large},
    )
    async def import_file(
        self,
        request: Request[Any, Any, Any],
        registry: NamedDependency[Registry],
        data: MultipartBody[ImportForm],
    ) -> Template:
        """Import the uploaded file and show what happened to each row."""
        guardians = data.guardians if data.guardians and data.guardians.filename else None
        try:
            report = await import_files(
                registry,
                data.file.file,
                filename=data.file.filename or "",
                guardians=guardians.file if guardians else None,
                max_bytes=import_limit(request),
                on_conflict=data.on_conflict,
                dry_run=data.dry_run,
                allow_duplicates=data.allow_duplicates,
                withdraw_missing=data.withdraw_missing,
            )
        except ImportTooLarge:
            return _file_too_large(request, RequestEntityTooLarge())
        except InvalidImport as exc:
            return Template(
                template_name="import.html",
                status_code=HTTP_400_BAD_REQUEST,
                context=_form(request, error=translate(str(exc))),
            )
        except ExportOnlyOption as exc:
            return Template(
                template_name="import.html",
                status_code=HTTP_422_UNPROCESSABLE_ENTITY,
                context=_form(
                    request,
                    error=" ".join(translate(e.message) for e in exc.errors),
                    error_title=_("The file was not imported:"),
                ),
            )
        finally:
            await data.file.close()
            if guardians is not None:
                await guardians.close()
        return Template(
            template_name="import.html",
            status_code=HTTP_200_OK if report.succeeded else HTTP_207_MULTI_STATUS,
            context=_form(
                request,
                report=report,
                failures=report.failures[:SHOWN_FAILURES],
                filename=data.file.filename,
            ),
        )
