"""Students in bulk files: CSV, NDJSON and JSON arrays, parsed and written chunk by chunk.

Parsers take byte chunks as they arrive and turn each chunk into a ``ParsedChunk``: the valid
students and the rows that are not, with their line numbers. Nothing holds the whole file, and
each byte is looked at a bounded number of times: a row longer than ``MAX_ROW_BYTES`` is refused
as soon as it passes that size, and reading stops there as at a file that breaks off.

Dates: JSON and NDJSON take ``YYYY-MM-DD``, as the API does. CSV also takes the day-first dates
that spreadsheets in France write, ``DD/MM/YYYY`` (or with ``-`` or ``.``), and ``YYYY/MM/DD``;
a date like ``04/05/2009`` is therefore the 4th of May.

Guardians: NDJSON and JSON carry them all, as the API does. CSV carries two, in columns
``guardian1_name``, ``guardian1_relationship``, ``guardian1_phone``, ``guardian1_email``,
``guardian1_parental_authority`` and the same for 2; imports also take the French headers
(``Responsable 1 nom``, ``Responsable 1 lien``, ``Responsable 1 téléphone``, ``Responsable 1
courriel``, ``Responsable 1 autorité parentale``), French relationships (mère, père, tuteur,
autre) and oui/non. Exports write the English headers, which imports read back as they are.
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
from student_registry.domain.models import Guardian, Student, StudentCreate
from student_registry.domain.text import fold
from student_registry.domain.validation import parse
from student_registry.errors import FieldError, InvalidImport, InvalidStudent
from student_registry.messages import N_

Format = Literal["csv", "ndjson", "json"]
FORMATS: tuple[Format, ...] = ("csv", "ndjson", "json")
MEDIA_TYPES: dict[Format, str] = {
    # Litestar adds the charset to every text/ type.
    "csv": "text/csv",
    "ndjson": "application/x-ndjson",
    "json": "application/json",
}
EXPORT_FIELDS = (
    "id",
    "first_name",
    "last_name",
    "birth_date",
    "course",
    "email",
    "status",
    "entry_date",
    "exit_date",
    "exit_reason",
)
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
    # Files without these columns import enrolled students, entered the day they are imported.
    "status": ("status", "enrolment status"),
    "entry_date": ("entry date", "date of entry", "enrolment date", "enrollment date"),
    "exit_date": ("exit date", "date of exit", "leaving date", "withdrawal date"),
    "exit_reason": ("exit reason", "reason for leaving", "withdrawal reason"),
}
# The registration fields French schools keep, written after those above.
REGISTRATION_FIELDS = ("sex", "ine", "birthplace")
COLUMN_NAMES |= {
    "sex": ("sex", "sexe", "gender", "genre"),
    "ine": ("ine", "national student id", "identifiant national eleve", "numero ine"),
    "birthplace": (
        "birthplace",
        "place of birth",
        "birth place",
        "lieu de naissance",
        "commune de naissance",
        "ville de naissance",
    ),
}
# A CSV row carries this many guardians, each in these columns: guardian<n>_<attribute>.
CSV_GUARDIANS = 2
GUARDIAN_ATTRIBUTES = ("name", "relationship", "phone", "email", "parental_authority")
_FRENCH_GUARDIAN_WORDS = {
    "name": ("nom",),
    "relationship": ("lien", "lien de parente", "qualite"),
    "phone": ("telephone", "tel", "portable"),
    "email": ("courriel", "email", "mail"),
    "parental_authority": ("autorite parentale",),
}
COLUMN_NAMES |= {
    f"guardian{n}.{attribute}": (
        f"guardian {n} {attribute.replace('_', ' ')}",
        *(f"responsable {n} {word}" for word in _FRENCH_GUARDIAN_WORDS[attribute]),
        *(f"responsable legal {n} {word}" for word in _FRENCH_GUARDIAN_WORDS[attribute]),
    )
    for n in range(1, CSV_GUARDIANS + 1)
    for attribute in GUARDIAN_ATTRIBUTES
}
GUARDIAN_COLUMNS = tuple(
    f"guardian{n}_{attribute}"
    for n in range(1, CSV_GUARDIANS + 1)
    for attribute in GUARDIAN_ATTRIBUTES
)
_COLUMNS = (
    {alias: field for field, aliases in COLUMN_NAMES.items() for alias in aliases}
    | {field.replace("_", " "): field for field in COLUMN_NAMES}
    | {
        # guardian1_name folds to "guardian1 name".
        column.replace("_", " "): column.replace("_", ".", 1)
        for column in GUARDIAN_COLUMNS
    }
)
# How a CSV cell may say a guardian's relationship and parental authority, folded.
_RELATIONSHIPS = {
    "mother": "mother",
    "father": "father",
    "guardian": "guardian",
    "other": "other",
    "mere": "mother",
    "pere": "father",
    "tuteur": "guardian",
    "tutrice": "guardian",
    "autre": "other",
}
_YES_NO = {"true": True, "yes": True, "oui": True, "1": True}
_YES_NO |= {"false": False, "no": False, "non": False, "0": False}
_DAY_FIRST = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_YEAR_FIRST = re.compile(r"(\d{4})[/.-](\d{1,2})[/.-](\d{1,2})")
_NOT_WORD = re.compile(r"[\W_]+")
# Spreadsheets run a cell that starts with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_JSON_TOKENS = re.compile(rb'["\\\[\]{},]')
# An item of a JSON array that is an object with no object or array inside, then `,` or `]`.
_FLAT_ITEM = re.compile(rb'\s*+\{(?:[^"{}\[\]]++|"(?:[^"\\]++|\\.)*+")*+\}\s*+([,\]])', re.DOTALL)
_CHUNK_ROWS = 1000
# The longest valid student is under 4 KiB in any format, the rest is room for columns that are
# not imported. A row longer than this is refused as soon as it passes it, never held whole.
MAX_ROW_BYTES = 64 * 1024
MAX_LISTED_UNKNOWN = 100
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


class _TooLong(Exception):
    """A row goes on past MAX_ROW_BYTES; it starts on this line."""

    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


def _too_long(line: int, hint: str = "") -> str:
    return (
        f"Line {line} is longer than {MAX_ROW_BYTES // 1024} KiB, which no student's row is"
        f"{hint}; reading stopped there."
    )


def _lines_then_more(text: str, *, final: bool) -> Iterator[str]:
    yield from io.StringIO(text, newline="\n")
    if not final:
        raise _NeedMore


class UnknownNames:
    """Columns or keys that are not student fields: each once, in the order first seen.

    Only the first MAX_LISTED_UNKNOWN are kept, each cut to a readable length: a file that
    makes up a new key on every row gets a short list, not one entry a row.
    """

    def __init__(self) -> None:
        self.names: dict[str, None] = {}

    def add(self, name: str) -> None:
        """Note a name, unless it is noted already or the list is full."""
        if len(self.names) < MAX_LISTED_UNKNOWN:
            self.names.setdefault(name if len(name) <= 64 else name[:61] + "...")

    def listed(self) -> list[str]:
        """The names noted, in the order first seen."""
        return list(self.names)


class _Utf8Text:
    """Bytes to text: UTF-8 with or without BOM, else Windows-1252.

    Older spreadsheets save "CSV" in the Windows code page. Up to its first byte that is not
    ASCII a file reads the same in both, so the choice waits for that byte wherever it comes:
    if it is not UTF-8, the rest is read as Windows-1252 and nothing read before changes. A
    file that was UTF-8 up to a byte that is not stops there.
    """

    def __init__(self) -> None:
        self.encoding = "utf-8"
        self.decoder = codecs.getincrementaldecoder(self.encoding)()
        self.undecided = True  # nothing beyond ASCII yet (a BOM decides for UTF-8)
        self.started = False

    def decode(self, data: bytes, *, final: bool) -> tuple[str, str | None]:
        """The text of these bytes, and what went wrong if they stop being text part way."""
        try:
            text, broken = self.decoder.decode(data, final), None
        except UnicodeDecodeError as exc:
            text = exc.object[: exc.start].decode(self.encoding)
            if self.undecided and text.isascii():
                # Whatever was read so far reads the same in Windows-1252: go on in it.
                self.encoding, self.undecided = "cp1252", False
                self.decoder = codecs.getincrementaldecoder(self.encoding)()
                rest, broken = self.decode(exc.object[exc.start :], final=final)
                text += rest
            else:
                neither = (
                    "neither UTF-8 nor Windows-1252" if self.encoding == "cp1252" else "not UTF-8"
                )
                broken = f"is {neither} text ({exc.reason}); save the file as UTF-8"
        self.undecided = self.undecided and text.isascii()
        if not self.started and text:
            self.started, text = True, text.removeprefix("\ufeff")
        return text, broken


class CsvParser:
    """CSV with a header row; comma, semicolon or tab, guessed from the header.

    Text waits in `pending` until a line ends. A record that a quoted line break carries on
    is read again once more text has come, but only when the text waiting has doubled since,
    so that a long record costs time in proportion to its length; past MAX_ROW_BYTES it is
    refused.
    """

    def __init__(self) -> None:
        self.text = _Utf8Text()
        self.pending: list[str] = []  # text not read yet: where a record starts, and after
        self.size = 0  # characters in pending
        self.retry_at = 0  # read pending again once it holds this many characters
        self.unfinished: int | None = None  # where the record that goes on starts in the text
        self.line_ended = False  # a line ended in pending since it was last read
        self.line = 0  # lines before pending
        self.delimiter = ""
        self.fields: list[str | None] | None = None
        self.unknown = UnknownNames()

    @property
    def unknown_columns(self) -> list[str]:
        """Columns that are not student fields, in the order first seen."""
        return self.unknown.listed()

    def feed(self, data: bytes, *, final: bool = False) -> ParsedChunk:
        """The rows completed by this chunk."""
        decoded, broken = self.text.decode(data, final=final)
        final = final and not broken
        self.pending.append(decoded)
        self.size += len(decoded)
        self.line_ended = self.line_ended or "\n" in decoded
        chunk = _chunk([])
        if final or broken or (self.line_ended and self.size >= self.retry_at):
            chunk = self._read_pending(final=final)
        if broken:
            chunk.error = f"Line {self.line + 1} {broken}."
        elif self.size > MAX_ROW_BYTES and not chunk.error:
            # What waits is one record (no line ended in it, or reading found no end to it).
            chunk.error = _too_long(self.line + 1, ": is a quote left open?")
        elif final and self.fields is None and not chunk.error:
            raise InvalidImport(N_("The file is empty; a CSV import needs a header row."))
        return chunk

    def _read_pending(self, *, final: bool) -> ParsedChunk:
        text = "".join(self.pending)
        end = len(text) if final else text.rfind("\n") + 1
        carry, text = text[end:], text[:end]
        if not self.delimiter and text:
            header = text.split("\n", 1)[0]
            self.delimiter = max((",", ";", "\t"), key=header.count)
        self.unfinished = None
        results: list[tuple[int, StudentCreate | RowFailure]] = []
        try:
            self._records(text, results, final=final)
        except _TooLong as exc:
            chunk = _chunk(results)
            chunk.error = _too_long(exc.line)
            return chunk
        self.retry_at = 0
        if self.unfinished is not None:
            carry = text[self.unfinished :] + carry
            # Read this record again only when the text waiting has doubled since.
            self.retry_at = min(2 * len(carry), MAX_ROW_BYTES + 1)
        self.pending, self.size, self.line_ended = [carry], len(carry), False
        return _chunk(results)

    def _records(
        self, text: str, results: list[tuple[int, StudentCreate | RowFailure]], *, final: bool
    ) -> None:
        """Read the records of text into results, up to a record that goes on past it."""
        if not text:
            return
        reader = csv.reader(_lines_then_more(text, final=final), delimiter=self.delimiter)
        done = 0
        try:
            for record in reader:
                line, done = self.line + done + 1, reader.line_num
                if sum(map(len, record)) > MAX_ROW_BYTES:
                    raise _TooLong(line)
                if self.fields is None:
                    self._read_header(record)
                elif any(record):
                    results.append((line, self._student(record, line)))
        except _NeedMore:
            # A quoted field goes on past this text: its record starts after `done` lines.
            cut = len(text)
            for _ in range(text.count("\n") - done):
                cut = text.rfind("\n", 0, cut - 1) + 1
            self.unfinished = cut
        except csv.Error as exc:
            raise InvalidImport(f"Line {self.line + done + 1} cannot be read: {exc}.") from None
        self.line += done

    def _read_header(self, record: list[str]) -> None:
        fields = [column_field(name) for name in record]
        seen: dict[str, str] = {}
        for name, field in zip(record, fields, strict=True):
            if field is None:
                if name.strip():
                    self.unknown.add(name.strip())
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
        # Every date a CSV row writes is explained the same way, year first or day first.
        if birth_date := raw.get("birth_date"):
            written_date = birth_date
            raw["birth_date"] = to_iso_date(birth_date) or birth_date
        for name in ("entry_date", "exit_date"):
            if written := raw.get(name):
                raw[name] = to_iso_date(written) or written
        _registration_cells(raw)
        result = validate(raw, line, written_date=written_date)
        if len(record) > len(self.fields) and any(record[len(self.fields) :]):
            problem = FieldError("$", N_("has more cells than the header row has columns"))
            if isinstance(result, RowFailure):
                result.errors.append(problem)
            else:
                result = RowFailure(line=line, id=result.id, errors=[problem])
        return result


def _registration_cells(raw: dict[str, Any]) -> None:
    """Turn a CSV row's cells of sex and guardians into the values the API takes, in place.

    The guardians are those of the row's guardian columns that have any cell filled, in order.
    """
    if isinstance(sex := raw.get("sex"), str):
        raw["sex"] = sex.upper()
    guardians = []
    for n in range(1, CSV_GUARDIANS + 1):
        guardian = {
            attribute: raw.pop(f"guardian{n}.{attribute}")
            for attribute in GUARDIAN_ATTRIBUTES
            if f"guardian{n}.{attribute}" in raw
        }
        if not guardian:
            continue
        if isinstance(relationship := guardian.get("relationship"), str):
            guardian["relationship"] = _RELATIONSHIPS.get(fold(relationship), relationship)
        if isinstance(authority := guardian.get("parental_authority"), str):
            guardian["parental_authority"] = _YES_NO.get(fold(authority), authority)
        guardians.append(guardian)
    if guardians:
        raw["guardians"] = guardians


class _JsonRows:
    """Shared by the JSON parsers: one JSON value per row, unknown keys reported once."""

    def __init__(self) -> None:
        self.unknown = UnknownNames()
        self.known = {*EXPORT_FIELDS, *REGISTRATION_FIELDS, "guardians"}
        self.head = b""  # the first bytes, while they may be the start of a BOM
        self.bom_checked = False

    @property
    def unknown_columns(self) -> list[str]:
        """Keys that are not student fields, in the order first seen."""
        return self.unknown.listed()

    def after_bom(self, data: bytes, *, final: bool) -> bytes | None:
        """The data without the file's BOM; None while the first bytes may still be one."""
        if self.bom_checked:
            return data
        data = self.head + data
        if not final and len(data) < len(codecs.BOM_UTF8) and codecs.BOM_UTF8.startswith(data):
            self.head = data
            return None
        self.head, self.bom_checked = b"", True
        return data.removeprefix(codecs.BOM_UTF8)

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
                self.unknown.add(key)
                del raw[key]
        return validate(raw, line)


class NdjsonParser(_JsonRows):
    """One JSON object a line; blank lines are ignored.

    A line waits in pieces until it ends; past MAX_ROW_BYTES it is refused.
    """

    def __init__(self) -> None:
        super().__init__()
        self.pending: list[bytes] = []  # the start of a line that has not ended yet
        self.size = 0
        self.line = 0  # lines before pending

    def feed(self, data: bytes, *, final: bool = False) -> ParsedChunk:
        """The rows completed by this chunk."""
        if (after := self.after_bom(data, final=final)) is None:
            return _chunk([])
        data = after
        end = len(data) if final else data.rfind(b"\n") + 1
        if not end and not final:
            self.pending.append(data)
            self.size += len(data)
            if self.size > MAX_ROW_BYTES:
                return ParsedChunk(
                    students=[], lines=[], failures=[], error=_too_long(self.line + 1)
                )
            return _chunk([])
        text = b"".join([*self.pending, data[:end]]) if self.pending else data[:end]
        self.pending = [data[end:]] if end < len(data) else []
        self.size = len(data) - end
        results: list[tuple[int, StudentCreate | RowFailure]] = []
        for offset, item in enumerate(text.split(b"\n")):
            line = self.line + offset + 1
            if len(item) > MAX_ROW_BYTES:
                chunk = _chunk(results)
                chunk.error = _too_long(line)
                return chunk
            if item.strip():
                results.append((line, self.convert(item, line)))
        self.line += text.count(b"\n")
        return _chunk(results)


class JsonArrayParser(_JsonRows):
    """A JSON array of objects, cut into its items without reading it whole.

    Each chunk is scanned once for the bytes that open or close strings, objects and arrays;
    an item waits in pieces until its end is found, and past MAX_ROW_BYTES it is refused.
    """

    def __init__(self) -> None:
        super().__init__()
        self.started = False
        self.ended = False
        self.depth = 0
        self.in_string = False
        self.escaped = False  # the chunk ended with a backslash that escapes the next byte
        self.item: list[bytes] = []  # the bytes of the item read so far
        self.size = 0
        self.line = 1  # the line the item's bytes start on

    def feed(self, data: bytes, *, final: bool = False) -> ParsedChunk:
        """The items completed by this chunk."""
        if not self.started:
            data = self._start(data, final=final)
            if not self.started:
                return _chunk([])
        if self.ended:
            self._end(data)
            return _chunk([])
        results: list[tuple[int, StudentCreate | RowFailure]] = []
        try:
            self._scan(data, results)
        except _TooLong as exc:
            chunk = _chunk(results)
            chunk.error = _too_long(exc.line)
            return chunk
        if final and not self.ended:
            line = self.line + sum(piece.count(b"\n") for piece in self.item)
            raise InvalidImport(f"The JSON array is not closed with ']' by line {line}.")
        return _chunk(results)

    def _scan(self, data: bytes, results: list[tuple[int, StudentCreate | RowFailure]]) -> None:
        start = pos = 0  # where the item's bytes in data start; where scanning goes on
        skip = 0 if self.escaped else -1  # the offset of an escaped byte
        while True:
            # Most items are flat objects: one match takes the item and its separator.
            between_items = pos == start and self.depth == 1 and not self.item
            if between_items and not self.in_string and (flat := _FLAT_ITEM.match(data, pos)):
                at, token = flat.start(1), data[flat.start(1)]
                self._take(data[start:at], results)
                start = pos = at + 1
                if token == 0x5D:
                    self.depth, self.ended = 0, True
                    self._end(data[start:])
                    return
                continue
            if (match := _JSON_TOKENS.search(data, pos)) is None:
                break
            at = pos = match.start()
            pos += 1
            token = data[at]
            if self.in_string:
                if token == 0x5C and at != skip:  # a backslash escapes what follows
                    skip = at + 1
                elif token == 0x22 and at != skip:
                    self.in_string = False
            elif token == 0x22:
                self.in_string = True
            elif token in b"[{":
                self.depth += 1
            elif self.depth > 1:
                self.depth -= token != 0x2C
            elif token == 0x7D:
                line = self.line + sum(piece.count(b"\n") for piece in self.item)
                raise InvalidImport(self._not_an_array(line + data.count(b"\n", start, at)))
            else:
                self._take(data[start:at], results)
                start = at + 1
                if token == 0x5D:
                    self.depth, self.ended = 0, True
                    self._end(data[start:])
                    return
        self.escaped = skip == len(data)
        rest = data[start:]
        if not self.item:
            # Between items: only the line count of the white space before the next one matters.
            stripped = rest.lstrip()
            self.line += rest.count(b"\n", 0, len(rest) - len(stripped))
            rest = stripped
        if rest:
            self.item.append(rest)
            self.size += len(rest)
            if self.size > MAX_ROW_BYTES:
                raise _TooLong(self.line)

    def _take(self, end: bytes, results: list[tuple[int, StudentCreate | RowFailure]]) -> None:
        """Read the item that `end` completes."""
        item = b"".join([*self.item, end]) if self.item else end
        self.item, self.size = [], 0
        body = item.lstrip()
        line = self.line + item.count(b"\n", 0, len(item) - len(body))
        self.line += item.count(b"\n")
        body = body.rstrip()
        if len(body) > MAX_ROW_BYTES:
            raise _TooLong(line)
        if body:
            results.append((line, self.convert(body, line)))

    def _end(self, after: bytes) -> None:
        """Check that only white space follows the array."""
        rest = after.lstrip()
        self.line += after.count(b"\n", 0, len(after) - len(rest))
        if rest:
            raise InvalidImport(self._not_an_array(self.line))

    def _start(self, data: bytes, *, final: bool) -> bytes:
        after = self.after_bom(data, final=final)
        if after is None:
            return b""
        body = after.lstrip()
        self.line += after.count(b"\n", 0, len(after) - len(body))
        if not body:
            if final:
                raise InvalidImport(
                    N_("The file is empty; a JSON import needs an array of students.")
                )
            return b""
        if body[:1] != b"[":
            raise InvalidImport(self._not_an_array(self.line))
        self.started, self.depth = True, 1
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


# The registration fields a student does not have are left out (omit_defaults): they cost an
# export nothing, and an export of students without them reads as it did before they existed.
class Exported(Struct, kw_only=True, omit_defaults=True):
    """A student as exports write it: the fields a registration takes, nothing else."""

    id: str
    first_name: str
    last_name: str
    birth_date: str
    course: str
    email: str | None
    status: str
    entry_date: str
    exit_date: str | None
    exit_reason: str | None
    sex: str | None = None
    ine: str | None = None
    birthplace: str | None = None
    guardians: list[Guardian] | None = None


def _exported(student: Student) -> Exported:
    return Exported(
        id=student.id,
        first_name=student.first_name,
        last_name=student.last_name,
        birth_date=student.birth_date.isoformat(),
        course=student.course,
        email=student.email,
        status=student.status,
        entry_date=student.entry_date.isoformat(),
        exit_date=student.exit_date.isoformat() if student.exit_date else None,
        exit_reason=student.exit_reason,
        sex=student.sex,
        ine=student.ine,
        birthplace=student.birthplace,
        guardians=student.guardians,
    )


def _enrolment_cells(student: Student) -> list[str]:
    """A student's status, entry date, exit date and reason, as CSV cells."""
    return [
        student.status,
        student.entry_date.isoformat(),
        student.exit_date.isoformat() if student.exit_date else "",
        _safe_cell(student.exit_reason or ""),
    ]


def csv_header() -> str:
    """The header row CSV exports write: English names, which imports read back."""
    return ",".join((*EXPORT_FIELDS, *REGISTRATION_FIELDS, *GUARDIAN_COLUMNS))


def _registration_row(student: Student) -> list[str]:
    """A student's CSV cells after the core ones: sex, INE, birthplace, two guardians."""
    cells = [student.sex or "", student.ine or "", _safe_cell(student.birthplace or "")]
    guardians: list[Guardian | None] = list((student.guardians or [])[:CSV_GUARDIANS])
    guardians += [None] * (CSV_GUARDIANS - len(guardians))
    for guardian in guardians:
        if guardian is None:
            cells += [""] * len(GUARDIAN_ATTRIBUTES)
            continue
        cells += [
            _safe_cell(guardian.name),
            guardian.relationship,
            # A spreadsheet runs a cell starting with + as a formula.
            _safe_cell(guardian.phone or ""),
            _safe_cell(guardian.email or ""),
            "true" if guardian.parental_authority else "false",
        ]
    return cells


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
        yield codecs.BOM_UTF8 + (csv_header() + "\r\n").encode()
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
                *_enrolment_cells(s),
                *_registration_row(s),
            ]
            for s in batch
        )
        return out.getvalue().encode()
    lines = [encoder.encode(_exported(s)) for s in batch]
    if fmt == "ndjson":
        return b"\n".join(lines) + b"\n"
    return (b"\n" if first else b",\n") + b",\n".join(lines)
