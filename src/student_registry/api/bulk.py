"""Bulk routes: import a file of students, export them as CSV or NDJSON. Bodies are streamed."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import IO, Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import ClientException, HTTPException, ValidationException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    OpenAPIFormat,
    OpenAPIMediaType,
    OpenAPIType,
    Operation,
    RequestBody,
    Schema,
)
from litestar.params import QueryParameter
from litestar.response import Stream
from litestar.status_codes import (
    HTTP_200_OK,
    HTTP_207_MULTI_STATUS,
    HTTP_415_UNSUPPORTED_MEDIA_TYPE,
)

from student_registry.api.problems import problem_responses
from student_registry.domain.bulk import ImportReport, export_students
from student_registry.domain.bulk_formats import MEDIA_TYPES, Format, format_of_media_type
from student_registry.domain.export_import import (
    import_files,
    import_upload,
    is_export_media_type,
)
from student_registry.domain.models import STATUS_FILTER, StatusFilter
from student_registry.domain.service import Registry
from student_registry.domain.years import YEAR_FILTER
from student_registry.errors import ImportTooLarge
from student_registry.school_years import YEAR_PATTERN
from student_registry.security.guards import ROLE
from student_registry.settings import readable_size
from student_registry.store.redis_store import ConflictMode

# The option, set by the app from IMPORT_MAX_BYTES, that holds the largest file an upload takes.
IMPORT_LIMIT = "import_max_bytes"
# An export is every student's personal data at once: staff, like changing them.
EXPORT = {ROLE: "staff"}
_UNSAFE_IN_FILENAME = re.compile(r"[^A-Za-z0-9_-]+")

IMPORT_DESCRIPTION = """\
Register many students from one file, streamed: the body is read chunk by chunk, never whole.

Body, by `Content-Type`:
- `text/csv`: UTF-8 (with or without BOM), comma or semicolon, a header row naming the columns
  (`id, first_name, last_name, birth_date, course, email`, or names such as `Student ID`,
  `First name`, `Date of birth`); unknown columns are listed in `unknown_columns` (the first
  100). Dates are `YYYY-MM-DD`, or day first as spreadsheets in France write them: `DD/MM/YYYY`.
- `application/x-ndjson`: one JSON object a line; `application/json`: an array of objects.
  Both take the fields of a registration, dates `YYYY-MM-DD`.
- `application/zip`, `application/xml`, `text/xml`: a SIECLE students export
  (`ElevesSansAdresses.xml` or `ElevesAvecAdresses.xml`, in the encoding it declares, or the
  one-file zip SIECLE hands out); an ONDE `CSVExtraction.csv` may be sent as `text/csv`: exports
  are told from their content. An export always imports as with `on_conflict=update`: a
  student registered with the same INE, else the same id, is updated; a new SIECLE student
  takes its `ELENOET` as id, a new ONDE one its INE (without one: `onde-` and a digest of its
  names and birth date). A student the file would not change is counted as `unchanged`, and
  not written. Failed elements are listed by the line they start on. An export is kept in a
  temporary file while it arrives (a zip is read from its end), then read.
- `multipart/form-data`: the part `file` holds any of the files above, and the optional part
  `guardians` the guardians export that goes with a SIECLE or ONDE students export
  (`ResponsablesAvecAdresses.xml` or its zip, `CSVExtraction Parents.csv`): each student
  gets the legal guardians it names. A `file` that is not an export is read as CSV, NDJSON or
  JSON, told from its filename, else from its first bytes; with `guardians` it must be an
  export.

`withdraw_missing=true` takes the export as the school's full list: the enrolled students it
does not name (by id or INE) are withdrawn today, with the reason "Absent from the SIECLE
export" (or ONDE); none is deleted. `withdrawn` counts them (in a dry run: those it would
withdraw). Only a SIECLE or ONDE students export takes it: with any other file it is a **422**
problem naming `withdraw_missing`, and nothing is read further or written.

Each row is validated like a registration and written in one atomic step, in batches; ids and
emails stay unique across the file and the stored students. A row whose id is registered fails,
is skipped or updates the student, after `on_conflict`. Invalid rows never block valid ones,
unless `atomic` is set: then all rows are written, or none (at most 20,000 rows).

**200** when every row succeeded (or would, with `dry_run`); **207** when any row failed or the
file broke off part way: the body then lists each failed row with its line and its problems
(`failures`, the first 1,000), and `error` says where reading stopped (a row longer than 64 KiB
stops it too: no student's row is that long). A file that cannot be read from its start (no
header, not JSON, empty) is a **400** problem; nothing is written.

A body larger than the service's `IMPORT_MAX_BYTES` (50 MB unless set otherwise) is a **413**
problem, answered as soon as the limit is passed, without reading the rest; so is a zip whose
file passes the limit once unzipped. With a `Content-Length` above the limit nothing is read or
written; a body sent without one is counted as it arrives and stopped where it passes the limit:
the rows before it may have been imported, unless `atomic` or `dry_run` is set (an export is
imported once it is whole, so none of it is). A `multipart/form-data` body counts whole: both
files and their parts' headers. The command line imports larger files.
"""


@dataclass
class ImportOperation(Operation):
    """The import's OpenAPI operation, with its three body types."""

    def __post_init__(self) -> None:
        text = OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING))
        # Any array: an item that is not a valid student is a failed row of the report.
        rows = OpenAPIMediaType(
            schema=Schema(type=OpenAPIType.ARRAY, items=Schema(), description="One item a row.")
        )
        export = OpenAPIMediaType(
            schema=Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
        )
        form = OpenAPIMediaType(
            schema=Schema(
                type=OpenAPIType.OBJECT,
                properties={
                    "file": Schema(
                        type=OpenAPIType.STRING,
                        format=OpenAPIFormat.BINARY,
                        description="The students: an export, or a CSV, NDJSON or JSON file.",
                    ),
                    "guardians": Schema(
                        type=OpenAPIType.STRING,
                        format=OpenAPIFormat.BINARY,
                        description="The guardians export of that students export.",
                    ),
                },
                required=["file"],
            )
        )
        self.request_body = RequestBody(
            required=True,
            description="The students: CSV with a header row, NDJSON, or a JSON array; or a"
            " SIECLE students export (ElevesSansAdresses.xml, or the zip holding it), or an ONDE"
            " one (CSVExtraction.csv, sent as text/csv), told from its content; or a form with"
            " the students file and the export's guardians file.",
            content={
                "text/csv": text,
                "application/x-ndjson": text,
                "application/json": rows,
                "application/zip": export,
                "application/xml": export,
                "text/xml": export,
                "multipart/form-data": form,
            },
        )


def import_limit(request: Request[Any, Any, Any]) -> int:
    """The largest body the route of this request takes, from IMPORT_MAX_BYTES."""
    return int(request.route_handler.opt[IMPORT_LIMIT])


SEND = (
    "Send text/csv, application/x-ndjson, application/json, application/zip, application/xml,"
    " text/xml or multipart/form-data."
)


def _part(value: object) -> IO[bytes] | None:
    """A form part as a file: an upload, or a part sent without a filename (text)."""
    if isinstance(value, UploadFile):
        return value.file
    if isinstance(value, str) and value:
        return io.BytesIO(value.encode())
    return None


async def _import_form(
    request: Request[Any, Any, Any], registry: Registry, **options: Any
) -> ImportReport:
    """Import a multipart body: its part `file`, with the part `guardians` if given."""
    try:
        form = await request.form()
    except UnicodeDecodeError:
        raise ClientException(
            "A part of the form sent without a filename is not UTF-8 text; send files with one."
        ) from None
    try:
        students = _part(form.get("file"))
        if students is None:
            raise ValidationException(
                "The form has no file.",
                extra=[{"key": "file", "message": "is required: the students file or export"}],
            )
        upload = form.get("file")
        return await import_files(
            registry,
            students,
            filename=upload.filename if isinstance(upload, UploadFile) else "",
            guardians=_part(form.get("guardians")),
            max_bytes=import_limit(request),
            **options,
        )
    finally:
        for value in form.values():
            if isinstance(value, UploadFile):
                await value.close()


def too_large(limit: int) -> str:
    """Why an import was refused for its size, and what to do instead."""
    return (
        f"The file is larger than {readable_size(limit)}, the most an upload takes "
        "(IMPORT_MAX_BYTES). Split it, or import it with the command line: "
        "student-registry import reads files of any size."
    )


def _filename(fmt: Format, course: str | None) -> str:
    slug = _UNSAFE_IN_FILENAME.sub("-", course).strip("-") if course else ""
    return f"students-{slug}.{fmt}" if slug else f"students.{fmt}"


async def _export(
    registry: Registry,
    fmt: Format,
    course: str | None,
    q: str,
    status: StatusFilter,
    year: str | None,
) -> Stream:
    await registry.check_ready()  # a 503 now, rather than a download that breaks off
    await registry.years.check_known(year)  # and a 422 for a year the registry never held
    return Stream(
        export_students(registry, fmt, course=course, q=q, status=status, year=year),
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{_filename(fmt, course)}"'},
    )


EXPORT_PROBLEMS = problem_responses(
    401,
    403,
    400,
    422,
    503,
    when={
        400: "The request is malformed.",
        422: "`q` is longer than 100, or `year` names a year the registry does not hold.",
    },
)
Course = Annotated[str | None, QueryParameter(description="Only this course, exactly.")]
Status = Annotated[StatusFilter, QueryParameter(description=STATUS_FILTER)]
Year = Annotated[str | None, QueryParameter(pattern=YEAR_PATTERN, description=YEAR_FILTER)]
NamePrefix = Annotated[
    str, QueryParameter(max_length=100, description="Start of the first or last name.")
]


class BulkController(Controller):
    """Students in bulk: import from a file, export in alphabetical order."""

    path = "/api/v1"
    tags = ["students"]  # noqa: RUF012  (the base class declares it as an instance attribute)

    @post(
        "/students/import",
        status_code=HTTP_200_OK,
        operation_class=ImportOperation,
        description=IMPORT_DESCRIPTION,
        responses={
            HTTP_207_MULTI_STATUS: ResponseSpec(
                ImportReport,
                description="Some rows failed: each is listed with its problems.",
                generate_examples=False,
            ),
            **problem_responses(
                401,
                403,
                400,
                413,
                415,
                422,
                503,
                when={
                    400: "The file cannot be read from its start (no header, not JSON, empty); "
                    "nothing is written.",
                    413: "The body is larger than the service's IMPORT_MAX_BYTES.",
                    415: "The body is not text/csv, application/x-ndjson, application/json,"
                    " application/zip, application/xml, text/xml or multipart/form-data.",
                    422: "A query parameter is invalid, `withdraw_missing` is asked with a"
                    " file that is not a SIECLE or ONDE students export, or a form has no"
                    " `file`; `errors` names it.",
                },
            ),
        },
        summary="Import students from CSV, NDJSON, JSON, or a SIECLE or ONDE export",
    )
    async def import_students(
        self,
        request: Request[Any, Any, Any],
        registry: NamedDependency[Registry],
        on_conflict: Annotated[
            ConflictMode,
            QueryParameter(
                description="A row whose id is registered: fail, skip or update"
                " (a SIECLE or ONDE export always updates)."
            ),
        ] = "fail",
        dry_run: Annotated[
            bool, QueryParameter(description="Check every row against the data; write nothing.")
        ] = False,
        atomic: Annotated[
            bool, QueryParameter(description="All or nothing: any failed row writes none.")
        ] = False,
        allow_duplicates: Annotated[
            bool,
            QueryParameter(
                description="Register rows with the names and date of birth of a registered"
                " student (or of a row before); by default they fail, naming that student."
            ),
        ] = False,
        withdraw_missing: Annotated[
            bool,
            QueryParameter(
                description="With a full SIECLE or ONDE students export: withdraw the enrolled"
                " students it does not name (never deletes them)."
            ),
        ] = False,
    ) -> Response[ImportReport]:
        """Import students; the report says what was created, updated, skipped or failed."""
        content_type = request.headers.get("content-type", "")
        fmt = format_of_media_type(content_type)
        form = request.content_type[0] == RequestEncodingType.MULTI_PART
        if fmt is None and not form and not is_export_media_type(content_type):
            raise HTTPException(status_code=HTTP_415_UNSUPPORTED_MEDIA_TYPE, detail=SEND)
        options: dict[str, Any] = {
            "on_conflict": on_conflict,
            "dry_run": dry_run,
            "atomic": atomic,
            "allow_duplicates": allow_duplicates,
            "withdraw_missing": withdraw_missing,
        }
        try:
            if form:
                report = await _import_form(request, registry, **options)
            else:
                report = await import_upload(
                    registry, request.stream(), fmt, max_bytes=import_limit(request), **options
                )
        except (RequestEntityTooLarge, ImportTooLarge):
            # Raised by the body's stream before its first byte (Content-Length too large) or
            # at the chunk that passes the limit, the rest never read; or by the unzipping.
            raise RequestEntityTooLarge(detail=too_large(import_limit(request))) from None
        status = HTTP_200_OK if report.succeeded else HTTP_207_MULTI_STATUS
        return Response(report, status_code=status)

    @get(
        "/students.csv",
        media_type=MEDIA_TYPES["csv"],
        opt=EXPORT,
        summary="Export students as CSV",
        responses=EXPORT_PROBLEMS,
    )
    async def export_csv(
        self,
        registry: NamedDependency[Registry],
        course: Course = None,
        q: NamePrefix = "",
        status: Status = "enrolled",
        year: Year = None,
    ) -> Stream:
        """All enrolled students (or those of a course or name prefix, or of another status)
        as CSV: UTF-8 with BOM, header."""
        return await _export(registry, "csv", course, q, status, year)

    @get(
        "/students.ndjson",
        media_type=MEDIA_TYPES["ndjson"],
        opt=EXPORT,
        summary="Export students as NDJSON",
        responses=EXPORT_PROBLEMS,
    )
    async def export_ndjson(
        self,
        registry: NamedDependency[Registry],
        course: Course = None,
        q: NamePrefix = "",
        status: Status = "enrolled",
        year: Year = None,
    ) -> Stream:
        """All enrolled students (or those of a course or name prefix, or of another status)
        as NDJSON, one a line."""
        return await _export(registry, "ndjson", course, q, status, year)
