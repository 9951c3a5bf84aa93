"""Students in bulk files: CSV, NDJSON and JSON arrays, parsed and written chunk by chunk.

Parsers take byte chunks as they arrive and turn each chunk into a ``ParsedChunk``: the valid
students and the rows that are not, with their line numbers. Nothing holds the whole file.

Dates: JSON and NDJSON take ``YYYY-MM-DD``, as the API does. CSV also takes the day-first dates
that spreadsheets in France write, ``DD/MM/YYYY`` (or with ``-`` or ``.``), and ``YYYY/MM/DD``;
a date like ``04/05/2009`` is therefore the 4th of May.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Literal

import msgspec
from msgspec import Struct

from student_registry.domain import rules
from student_registry.domain.models import Student, StudentCreate
from student_registry.domain.text import fold
from student_registry.domain.validation import parse
from student_registry.errors import FieldError, InvalidImport, InvalidStudent

Format = Literal["csv", "ndjson", "json"]
FORMATS: tuple[Format, ...] = ("csv", "ndjson", "json")
MEDIA_TYPES: dict[Format, str] = {
    "csv": "text/csv; charset=utf-8",
    "ndjson": "application/x-ndjson",
    "json": "application/json",
}
EXPORT_FIELDS = ("id", "first_name", "last_name", "birth_date", "course", "email")
REQUIRED_COLUMNS = ("first_name", "last_name", "birth_date", "course")
# Header names, folded and with punctuation as spaces, that name each field.
COLUMN_NAMES = {
    "id": ("id", "student id", "student number", "student no", "number", "identifiant", "numero"),
    "first_name": ("first name", "firstname", "given name", "forename", "prenom"),
    "last_name": ("last name", "lastname", "surname", "family name", "name", "nom"),
    "birth_date": (
        "birth date",
        "birthdate",
        "date of birth",
        "dob",
        "birthday",
        "date de naissance",
    ),
    "course": ("course", "class", "classe", "form", "group", "groupe", "cours"),
    "email": ("email", "e mail", "email address", "mail", "courriel"),
}
_COLUMNS = {alias: field for field, aliases in COLUMN_NAMES.items() for alias in aliases} | {
    field.replace("_", " "): field for field in COLUMN_NAMES
}
_DAY_FIRST = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_YEAR_FIRST = re.compile(r"(\d{4})[/.-](\d{1,2})[/.-](\d{1,2})")
_NOT_WORD = re.compile(r"[\W_]+")
# Spreadsheets run a cell that starts with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_JSON_TOKENS = re.compile(rb'["\\\[\]{},]')
_CHUNK_ROWS = 1000
DATE_FORMATS = "must be a date written YYYY-MM-DD or DD/MM/YYYY"


class RowFailure(Struct, kw_only=True):
    """A row that was not imported: where it is, its id if it has one, and what is wrong."""

    line: int | None
    id: str | None
    errors: list[FieldError]


class ParsedChunk(Struct, kw_only=True):
    """What one chunk of input held: valid students with their lines, and failed rows."""

    students: list[StudentCreate]
    lines: list[int]
    failures: list[RowFailure]
    error: str | None = None  # the input breaks off here: nothing after it can be read


def to_iso_date(text: str) -> str | None:
    """A numeric date, day first or year first, as ``YYYY-MM-DD``; None if it is neither."""
    if match := _DAY_FIRST.fullmatch(text):
        day, month, year = match.groups()
    elif match := _YEAR_FIRST.fullmatch(text):
        year, month, day = match.groups()
    else:
        return None
    return f"{year}-{month:0>2}-{day:0>2}"


def column_field(header: str) -> str | None:
    """The student field a CSV header names (``Date of birth`` -> birth_date), or None."""
    return _COLUMNS.get(_NOT_WORD.sub(" ", fold(header)).strip())


def validate(raw: Any, line: int, *, written_date: str = "") -> StudentCreate | RowFailure:
    """A student from one row's fields, or the row's failure naming every bad field.

    `written_date` is the birth date as the file wrote it, when it was not ``YYYY-MM-DD``.
    """
    try:
        return parse(raw, StudentCreate)
    except InvalidStudent as exc:
        errors = exc.errors
    if written_date:
        errors = [
            FieldError(e.path, f"{DATE_FORMATS} (got {_shorten(written_date)})")
            if e.path == "birth_date" and e.message == rules.MESSAGES["birth_date"]
            else e
            for e in errors
        ]
    student_id = raw.get("id") if isinstance(raw, dict) else None
    return RowFailure(
        line=line, id=student_id if isinstance(student_id, str) else None, errors=errors
    )


def _shorten(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _chunk(results: list[tuple[int, StudentCreate | RowFailure]]) -> ParsedChunk:
    chunk = ParsedChunk(students=[], lines=[], failures=[])
    for line, result in results:
        if isinstance(result, RowFailure):
            chunk.failures.append(result)
        else:
            chunk.students.append(result)
            chunk.lines.append(line)
    return chunk


class _NeedMore(Exception):
    """The CSV reader reached the end of the text it has so far."""


def _lines_then_more(text: str, *, final: bool) -> Iterator[str]:
    yield from io.StringIO(text, newline="\n")
    if not final:
        raise _NeedMore


class _Utf8Text:
    """Bytes to text: UTF-8 with or without BOM; Windows-1252 if the start is not UTF-8."""

    def __init__(self) -> None:
        self.decoder: codecs.IncrementalDecoder | None = None

    def decode(self, data: bytes, *, final: bool) -> tuple[str, str | None]:
        """The text of these bytes, and what went wrong if they stop being text part way."""
        if self.decoder is None:
            self.decoder = codecs.getincrementaldecoder("utf-8-sig")()
            if not data.startswith(codecs.BOM_UTF8):
                try:
                    return self.decoder.decode(data, final), None
                except UnicodeDecodeError:
                    # Older spreadsheets save "CSV" in the Windows code page.
                    self.decoder = codecs.getincrementaldecoder("cp1252")()
        try:
            return self.decoder.decode(data, final), None
        except UnicodeDecodeError as exc:
            valid = exc.object[: exc.start].decode(exc.encoding.replace("-sig", ""))
            return valid, f"is not UTF-8 text ({exc.reason}); save the file as UTF-8"


class CsvParser:
    """CSV with a header row; comma, semicolon or tab, guessed from the header."""

    def __init__(self) -> None:
        self.text = _Utf8Text()
        self.carry = ""
        self.line = 0  # lines before self.carry
        self.delimiter = ""
        self.fields: list[str | None] | None = None
        self.unknown_columns: list[str] = []

    def feed(self, data: bytes, *, final: bool = False) -> ParsedChunk:
        """The rows completed by this chunk."""
        decoded, broken = self.text.decode(data, final=final)
        final = final and not broken
        text = self.carry + decoded
        end = len(text) if final else text.rfind("\n") + 1
        self.carry, text = text[end:], text[:end]
        if not self.delimiter and text:
            header = text.split("\n", 1)[0]
            self.delimiter = max((",", ";", "\t"), key=header.count)
        chunk = _chunk(list(self._records(text, final=final)) if text else [])
        if broken:
            chunk.error = f"Line {self.line + 1} {broken}."
        elif final and self.fields is None:
            raise InvalidImport("The file is empty; a CSV import needs a header row.")
        return chunk

    def _records(
        self, text: str, *, final: bool
    ) -> Iterator[tuple[int, StudentCreate | RowFailure]]:
        reader = csv.reader(_lines_then_more(text, final=final), delimiter=self.delimiter)
        done = 0
        try:
            for record in reader:
                line, done = self.line + done + 1, reader.line_num
                if self.fields is None:
                    self._read_header(record)
                elif any(record):
                    yield line, self._student(record, line)
        except _NeedMore:
            # A quoted field goes on past this chunk: read its record again with the next one.
            cut = len(text)
            for _ in range(text.count("\n") - done):
                cut = text.rfind("\n", 0, cut - 1) + 1
            self.carry = text[cut:] + self.carry
        except csv.Error as exc:
            raise InvalidImport(f"Line {self.line + done + 1} cannot be read: {exc}.") from None
        self.line += done

    def _read_header(self, record: list[str]) -> None:
        fields = [column_field(name) for name in record]
        seen: dict[str, str] = {}
        for name, field in zip(record, fields, strict=True):
            if field is None:
                if name.strip():
                    self.unknown_columns.append(name.strip())
            elif field in seen:
                raise InvalidImport(
                    f"The columns {seen[field]!r} and {name!r} both give the {field}."
                )
            else:
                seen[field] = name
        missing = [field for field in REQUIRED_COLUMNS if field not in seen]
        if missing:
            expected = ", ".join(missing)
            raise InvalidImport(
                f"The header row has no column for: {expected}. It must name the columns, "
                f"e.g. id,first_name,last_name,birth_date,course,email (found: {','.join(record)})."
            )
        self.fields = fields

    def _student(self, record: list[str], line: int) -> StudentCreate | RowFailure:
        assert self.fields is not None
        raw: dict[str, Any] = {}
        for field, cell in zip(self.fields, record, strict=False):
            if field is not None and (value := cell.strip()):
                if value[0] == "'" and value[1:2] in _FORMULA_START:
                    value = value[1:]
                raw[field] = value
        written_date = ""
        if (birth_date := raw.get("birth_date")) and birth_date[4:5] != "-":
            written_date = birth_date
            raw["birth_date"] = to_iso_date(birth_date) or birth_date
        result = validate(raw, line, written_date=written_date)
        if len(record) > len(self.fields) and any(record[len(self.fields) :]):
            problem = FieldError("$", "has more cells than the header row has columns")
            if isinstance(result, RowFailure):
                result.errors.append(problem)
            else:
                result = RowFailure(line=line, id=result.id, errors=[problem])
        return result


class _JsonRows:
    """Shared by the JSON parsers: one JSON value per row, unknown keys reported once."""

    def __init__(self) -> None:
        self.unknown_columns: list[str] = []
        self.known = set(EXPORT_FIELDS)

    def convert(self, item: bytes, line: int) -> StudentCreate | RowFailure:
        try:
            return msgspec.json.decode(item, type=StudentCreate)
        except msgspec.ValidationError:
            pass
        except msgspec.DecodeError as exc:
            return RowFailure(
                line=line, id=None, errors=[FieldError("$", f"is not valid JSON ({exc})")]
            )
        raw = msgspec.json.decode(item)
        if isinstance(raw, dict):
            for key in [key for key in raw if key not in self.known]:
                if key not in self.unknown_columns:
                    self.unknown_columns.append(key)
                del raw[key]
        return validate(raw, line)


class NdjsonParser(_JsonRows):
    """One JSON object a line; blank lines are ignored."""

    def __init__(self) -> None:
        super().__init__()
        self.carry = b""
        self.line = 0
        self.started = False

    def feed(self, data: bytes, *, final: bool = False) -> ParsedChunk:
        """The rows completed by this chunk."""
        data = self.carry + data
        if not self.started and (len(data) >= 3 or final):
            data, self.started = data.removeprefix(codecs.BOM_UTF8), True
        end = len(data) if final else data.rfind(b"\n") + 1
        self.carry = data[end:]
        results = []
        for offset, item in enumerate(data[:end].split(b"\n")):
            if item.strip():
                line = self.line + offset + 1
                results.append((line, self.convert(item, line)))
        self.line += data.count(b"\n", 0, end)
        return _chunk(results)


class JsonArrayParser(_JsonRows):
    """A JSON array of objects, cut into its items without reading it whole."""

    def __init__(self) -> None:
        super().__init__()
        self.buffer = b""
        self.started = False
        self.ended = False
        self.depth = 0
        self.in_string = False
        self.skip = -1  # offset in buffer of an escaped character
        self.line = 1  # line number at offset 0 of buffer

    def feed(self, data: bytes, *, final: bool = False) -> ParsedChunk:
        """The items completed by this chunk."""
        buffer = self.buffer + data
        if not self.started:
            buffer = self._start(buffer, final=final)
            if not self.started:
                self.buffer = buffer
                return _chunk([])
        if self.ended:
            if buffer.strip():
                raise InvalidImport(self._not_an_array(self.line))
            self.buffer = b""
            return _chunk([])
        results: list[tuple[int, StudentCreate | RowFailure]] = []
        item, counted, line = 0, 0, self.line
        for match in _JSON_TOKENS.finditer(buffer, len(self.buffer)):
            at, token = match.start(), buffer[match.start()]
            if self.in_string:
                if token == 0x5C and at != self.skip:  # a backslash escapes what follows
                    self.skip = at + 1
                elif token == 0x22 and at != self.skip:
                    self.in_string = False
            elif token == 0x22:
                self.in_string = True
            elif token in b"[{":
                self.depth += 1
            elif self.depth > 1:
                self.depth -= token != 0x2C
            elif token == 0x7D:
                raise InvalidImport(self._not_an_array(line + buffer.count(b"\n", counted, at)))
            else:
                if stripped := buffer[item:at].strip():
                    start = buffer.index(stripped[:1], item)
                    line += buffer.count(b"\n", counted, start)
                    counted = start
                    results.append((line, self.convert(stripped, line)))
                item = at + 1
                if token == 0x5D:
                    self.depth, self.ended = 0, True
                    break
        if self.ended:
            if buffer[item:].strip():
                raise InvalidImport(self._not_an_array(line + buffer.count(b"\n", counted, item)))
            item = len(buffer)
        self.line = line + buffer.count(b"\n", counted, item)
        self.buffer = buffer[item:]
        self.skip -= item
        if final and not self.ended:
            raise InvalidImport(f"The JSON array is not closed with ']' by line {self.line}.")
        return _chunk(results)

    def _start(self, buffer: bytes, *, final: bool) -> bytes:
        body = buffer.removeprefix(codecs.BOM_UTF8).lstrip()
        if not body or (not final and len(buffer) < 3 and codecs.BOM_UTF8.startswith(buffer)):
            if final:
                raise InvalidImport("The file is empty; a JSON import needs an array of students.")
            return buffer
        self.line += buffer.count(b"\n", 0, len(buffer) - len(body))
        if body[:1] != b"[":
            raise InvalidImport(self._not_an_array(self.line))
        self.started, self.depth = True, 1
        self.buffer = b""
        return body[1:]

    @staticmethod
    def _not_an_array(line: int) -> str:
        return (
            f"Line {line}: a JSON import must be one array of student objects, "
            '[{"first_name": ...}, ...].'
        )


Parser = CsvParser | NdjsonParser | JsonArrayParser


def parser_for(fmt: Format) -> Parser:
    """A fresh parser for a format."""
    if fmt == "csv":
        return CsvParser()
    return NdjsonParser() if fmt == "ndjson" else JsonArrayParser()


def guess_format(name: str, head: bytes) -> Format:
    """The format of a file from its name, else from its first bytes."""
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix in {"ndjson", "jsonl"}:
        return "ndjson"
    if suffix in {"json", "csv"}:
        return "json" if suffix == "json" else "csv"
    start = head.lstrip(codecs.BOM_UTF8).lstrip()[:1]
    return "json" if start == b"[" else "ndjson" if start == b"{" else "csv"


def format_of_media_type(content_type: str) -> Format | None:
    """The format a Content-Type announces, or None."""
    media_type = content_type.split(";")[0].strip().lower()
    if media_type in {"text/csv", "application/csv"}:
        return "csv"
    if media_type in {"application/x-ndjson", "application/ndjson", "application/jsonl"}:
        return "ndjson"
    return "json" if media_type == "application/json" else None


class Exported(Struct, kw_only=True):
    """A student as exports write it: the fields a registration takes, nothing else."""

    id: str
    first_name: str
    last_name: str
    birth_date: str
    course: str
    email: str | None


def _exported(student: Student) -> Exported:
    return Exported(
        id=student.id,
        first_name=student.first_name,
        last_name=student.last_name,
        birth_date=student.birth_date.isoformat(),
        course=student.course,
        email=student.email,
    )


def _safe_cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


async def encode_students(
    students: AsyncIterator[Student],
    fmt: Format,
    *,
    on_progress: Callable[[int], None] | None = None,
) -> AsyncIterator[bytes]:
    """Students written in a format, a thousand at a time; on_progress gets the count so far."""
    count = 0
    encoder = msgspec.json.Encoder()
    batch: list[Student] = []
    first = True
    if fmt == "csv":
        yield codecs.BOM_UTF8 + (",".join(EXPORT_FIELDS) + "\r\n").encode()
    elif fmt == "json":
        yield b"["
    async for student in students:
        batch.append(student)
        if len(batch) == _CHUNK_ROWS:
            yield _encode_batch(batch, fmt, encoder, first=first)
            count += len(batch)
            batch, first = [], False
            if on_progress is not None:
                on_progress(count)
    if batch:
        yield _encode_batch(batch, fmt, encoder, first=first)
        if on_progress is not None:
            on_progress(count + len(batch))
    if fmt == "json":
        yield b"]\n" if first and not batch else b"\n]\n"


def _encode_batch(
    batch: list[Student], fmt: Format, encoder: msgspec.json.Encoder, *, first: bool
) -> bytes:
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerows(
            [
                _safe_cell(s.id),
                _safe_cell(s.first_name),
                _safe_cell(s.last_name),
                s.birth_date.isoformat(),
                _safe_cell(s.course),
                _safe_cell(s.email or ""),
            ]
            for s in batch
        )
        return out.getvalue().encode()
    lines = [encoder.encode(_exported(s)) for s in batch]
    if fmt == "ndjson":
        return b"\n".join(lines) + b"\n"
    return (b"\n" if first else b",\n") + b",\n".join(lines)
