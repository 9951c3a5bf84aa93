"""The page's bulk controls: import a file of students from a form, with its report."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Literal

from litestar import Controller, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import MultipartBody, QueryParameter
from litestar.response import Stream, Template
from litestar.status_codes import HTTP_200_OK, HTTP_207_MULTI_STATUS, HTTP_400_BAD_REQUEST

from student_registry.domain.bulk import export_students, import_students, read_rows
from student_registry.domain.bulk_formats import MEDIA_TYPES, Format, guess_format
from student_registry.domain.service import Registry
from student_registry.errors import InvalidImport
from student_registry.security.guards import ROLE

STAFF = {ROLE: "staff"}
Course = Annotated[str | None, QueryParameter(max_length=164)]
NamePrefix = Annotated[str, QueryParameter(max_length=100)]
MAX_UPLOAD = 64 * 1024 * 1024
CHUNK = 64 * 1024
SHOWN_FAILURES = 100


@dataclass
class ImportForm:
    """The import form: a file and what to do with students already registered."""

    file: UploadFile
    on_conflict: Literal["fail", "skip", "update"] = "fail"
    dry_run: bool = False


async def _export(registry: Registry, fmt: Format, course: str | None, q: str) -> Stream:
    await registry.check_ready()
    name = f"students.{fmt}"
    return Stream(
        export_students(registry, fmt, course=course, q=q),
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


async def _chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(CHUNK):
        yield chunk


class BulkPageController(Controller):
    """Import from the page; exports are plain links to the API's streamed downloads."""

    include_in_schema = False

    @get("/students.csv", name="export-csv", media_type=MEDIA_TYPES["csv"], opt=STAFF)
    async def export_csv(
        self, registry: NamedDependency[Registry], course: Course = None, q: NamePrefix = ""
    ) -> Stream:
        """The page's CSV export link (the API's export needs a token, pages a session)."""
        return await _export(registry, "csv", course, q)

    @get("/students.ndjson", name="export-ndjson", media_type=MEDIA_TYPES["ndjson"], opt=STAFF)
    async def export_ndjson(
        self, registry: NamedDependency[Registry], course: Course = None, q: NamePrefix = ""
    ) -> Stream:
        """The page's NDJSON export link."""
        return await _export(registry, "ndjson", course, q)

    @get("/import", name="import-form", opt=STAFF)
    async def import_form(self) -> Template:
        """The import form."""
        return Template(template_name="import.html", context={"report": None, "error": ""})

    @post("/import", name="import", request_max_body_size=MAX_UPLOAD, opt=STAFF)
    async def import_file(
        self, registry: NamedDependency[Registry], data: MultipartBody[ImportForm]
    ) -> Template:
        """Import the uploaded file and show what happened to each row."""
        head = await data.file.read(CHUNK)
        await data.file.seek(0)
        fmt = guess_format(data.file.filename or "", head)
        try:
            report = await import_students(
                registry,
                read_rows(_chunks(data.file), fmt),
                on_conflict=data.on_conflict,
                dry_run=data.dry_run,
            )
        except InvalidImport as exc:
            return Template(
                template_name="import.html",
                status_code=HTTP_400_BAD_REQUEST,
                context={"report": None, "error": str(exc)},
            )
        finally:
            await data.file.close()
        return Template(
            template_name="import.html",
            status_code=HTTP_200_OK if report.succeeded else HTTP_207_MULTI_STATUS,
            context={
                "report": report,
                "failures": report.failures[:SHOWN_FAILURES],
                "filename": data.file.filename,
                "error": "",
            },
        )
