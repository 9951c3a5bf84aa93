"""The page's bulk controls: import a file of students from a form, with its report."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal

from litestar import Controller, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import MultipartBody
from litestar.response import Template
from litestar.status_codes import HTTP_200_OK, HTTP_207_MULTI_STATUS, HTTP_400_BAD_REQUEST

from student_registry.domain.bulk import import_students, read_rows
from student_registry.domain.bulk_formats import guess_format
from student_registry.domain.service import Registry
from student_registry.errors import InvalidImport

MAX_UPLOAD = 64 * 1024 * 1024
CHUNK = 64 * 1024
SHOWN_FAILURES = 100


@dataclass
class ImportForm:
    """The import form: a file and what to do with students already registered."""

    file: UploadFile
    on_conflict: Literal["fail", "skip", "update"] = "fail"
    dry_run: bool = False


async def _chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(CHUNK):
        yield chunk


class BulkPageController(Controller):
    """Import from the page; exports are plain links to the API's streamed downloads."""

    include_in_schema = False

    @get("/import", name="import-form")
    async def import_form(self) -> Template:
        """The import form."""
        return Template(template_name="import.html", context={"report": None, "error": ""})

    @post("/import", name="import", request_max_body_size=MAX_UPLOAD)
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
