"""Parsing and writing bulk files, chunk by chunk, without any I/O."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from typing import Any

import msgspec
import pytest

from student_registry.domain.bulk_formats import (
    MAX_LISTED_UNKNOWN,
    MAX_ROW_BYTES,
    Format,
    ParsedChunk,
    RowFailure,
    column_field,
    encode_students,
    format_of_media_type,
    guess_format,
    parser_for,
    to_iso_date,
)
from student_registry.domain.legacy import LegacyReader, read_legacy_date
from student_registry.domain.models import Student, StudentCreate
from student_registry.errors import InvalidImport

CHUNK_SIZES = [1, 2, 3, 7, 64, 1 << 20]
HEADER = "id,first_name,last_name,birth_date,course,email\n"


class Parsed(msgspec.Struct):
    students: list[tuple[int, StudentCreate]]
    failures: list[RowFailure]
    unknown_columns: list[str]

    def problems(self) -> dict[int | None, dict[str, str]]:
        return {f.line: {e.path: e.message for e in f.errors} for f in self.failures}


def parse(fmt: Format, data: bytes | str, chunk_size: int = 1 << 20) -> Parsed:
    raw = data.encode() if isinstance(data, str) else data
    parser = parser_for(fmt)
    students, failures = [], []
    pieces = [raw[i : i + chunk_size] for i in range(0, len(raw), chunk_size)]
    for piece, final in [*((p, False) for p in pieces), (b"", True)]:
        chunk = parser.feed(piece, final=final)
        students += list(zip(chunk.lines, chunk.students, strict=True))
        failures += chunk.failures
    return Parsed(students, failures, parser.unknown_columns)


def ids(parsed: Parsed) -> list[tuple[int, str | None]]:
    return [(line, s.id) for line, s in parsed.students]


@pytest.mark.parametrize("chunk_size", CHUNK_SIZES)
def test_csv_with_bom_semicolons_and_friendly_headers_is_read(chunk_size: int) -> None:
    data = (
        "\ufeffStudent ID;First name;Last name;Date of birth;Course;E-mail\r\n"
        "2024-0042;Éloïse;Durand;2009-04-17;3eB;eloise@example.org\r\n"
        "2024-0043;Zoé;Martin;2010-01-02;3eA;\r\n"
    )
    parsed = parse("csv", data, chunk_size)
    assert parsed.failures == []
    assert ids(parsed) == [(2, "2024-0042"), (3, "2024-0043")]
    first = parsed.students[0][1]
    assert (first.first_name, first.birth_date, first.email) == (
        "Éloïse",
        date(2009, 4, 17),
        "eloise@example.org",
    )
    assert parsed.students[1][1].email is None


@pytest.mark.parametrize("chunk_size", CHUNK_SIZES)
def test_quoted_fields_with_commas_quotes_and_newlines_keep_line_numbers(chunk_size: int) -> None:
    data = (
        HEADER + '1,"Anne, Marie","D""Alembert",2009-04-17,"3e B, option",\n'
        '2,"Jean\nPierre",Martin,2009-04-17,3eB,\n'
        "\n"
        "3,Zoé,,2009-04-17,3eB,\n"
    )
    parsed = parse("csv", data, chunk_size)
    assert ids(parsed) == [(2, "1")]
    student = parsed.students[0][1]
    assert (student.first_name, student.last_name, student.course) == (
        "Anne, Marie",
        'D"Alembert',
        "3e B, option",
    )
    # The name with a newline starts on line 3 and fails; the next row is on line 6.
    assert set(parsed.problems()) == {3, 6}
    assert "control characters" in parsed.problems()[3]["first_name"]
    assert parsed.problems()[6] == {"last_name": "is required"}


@pytest.mark.parametrize("written", ["17/04/2009", "17-04-2009", "17.04.2009", "2009/04/17"])
def test_csv_takes_day_first_dates_as_documented(written: str) -> None:
    parsed = parse("csv", HEADER + f"1,Léa,Durand,{written},3eB,\n")
    assert parsed.students[0][1].birth_date == date(2009, 4, 17)


def test_impossible_french_date_is_rejected_showing_what_was_written() -> None:
    parsed = parse("csv", HEADER + "1,Léa,Durand,31/02/2009,3eB,\n2,Léa,Durand,04/17/2009,3eB,\n")
    expected = "must be a date written YYYY-MM-DD or DD/MM/YYYY (got '{}')"
    assert parsed.problems() == {
        2: {"birth_date": expected.format("31/02/2009")},
        3: {"birth_date": expected.format("04/17/2009")},
    }


def test_unknown_columns_are_reported_once_and_their_cells_ignored() -> None:
    data = "id,first_name,last_name,birth_date,course,Notes,Phone\n"
    data += "1,Léa,Durand,2009-04-17,3eB,x,0600\n2,Zoé,Martin,2009-04-17,3eB,y,0601\n"
    parsed = parse("csv", data)
    assert parsed.unknown_columns == ["Notes", "Phone"]
    assert len(parsed.students) == 2


def test_empty_cells_mean_absent_for_id_and_email() -> None:
    parsed = parse("csv", HEADER + ",Léa,Durand,2009-04-17,3eB,  \n")
    student = parsed.students[0][1]
    assert (student.id, student.email) == (None, None)


def test_every_bad_field_of_a_row_is_named() -> None:
    parsed = parse("csv", HEADER + "a b,,Durand,2200-01-01,3eB,not-an-email\n")
    assert parsed.problems() == {
        2: {
            "id": "must be 1 to 64 characters, each a letter A-Z or a-z, a digit, '_' or '-'",
            "first_name": "is required",
            "birth_date": "must not be in the future",
            "email": "must be a valid email address, like name@example.org",
        }
    }
    assert parsed.failures[0].id == "a b"


def test_cells_beyond_the_header_fail_the_row_unless_empty() -> None:
    parsed = parse(
        "csv", HEADER + "1,Léa,Durand,2009-04-17,3eB,,\n2,Léa,Durand,2009-04-17,3eB,,x\n"
    )
    assert ids(parsed) == [(2, "1")]
    assert parsed.problems() == {3: {"$": "has more cells than the header row has columns"}}


def test_windows_1252_files_from_older_spreadsheets_are_read() -> None:
    data = ("prénom;nom;date de naissance;classe\nÉloïse;Lefèvre;17/04/2009;3eB\n").encode("cp1252")
    parsed = parse("csv", data)
    assert parsed.students[0][1].first_name == "Éloïse"
    assert parsed.students[0][1].last_name == "Lefèvre"


def late_accent_file(ascii_rows: int) -> bytes:
    """A CSV file whose first letter beyond ASCII comes after ascii_rows rows."""
    rows = "".join(f"{i},Lea,Durand,2009-04-17,3eB,\n" for i in range(ascii_rows))
    return (
        HEADER + rows + "A1,Éloïse,Lefèvre,2009-04-17,2nde Été,\nA2,Zoé,Œuvre,2009-04-17,3eB,\n"
    ).encode("cp1252")


@pytest.mark.parametrize("chunk_size", [7, 4096, 32 * 1024, 1 << 20])
def test_windows_1252_is_recognised_when_the_first_accent_comes_late(chunk_size: int) -> None:
    data = late_accent_file(1600)
    assert data.index(b"\xc9") > 32 * 1024
    parsed = parse("csv", data, chunk_size)
    assert parsed.failures == []
    assert [line for line, _ in parsed.students] == list(range(2, 1604))
    accented = [(s.first_name, s.last_name, s.course) for _, s in parsed.students[-2:]]
    assert accented == [("Éloïse", "Lefèvre", "2nde Été"), ("Zoé", "Œuvre", "3eB")]


@pytest.mark.parametrize("chunk_size", [7, 4096])
def test_a_utf8_file_with_a_foreign_byte_later_stops_at_its_line(chunk_size: int) -> None:
    rows = "".join(f"{i},Léa,Durand,2009-04-17,3eB,\n" for i in range(2000))
    data = (HEADER + rows).encode() + b"X,L\xe9a,D,2009-04-17,3eB,\nY,Lea,D,2009-04-17,3eB,\n"
    parser = parser_for("csv")
    pieces = [data[i : i + chunk_size] for i in range(0, len(data), chunk_size)]
    students, error = [], None
    for piece in pieces:
        chunk = parser.feed(piece)
        students += chunk.students
        if error := chunk.error:
            break
    assert len(students) == 2000
    assert error is not None
    assert error.startswith("Line 2002 is not UTF-8 text (")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (codecs.BOM_UTF8 + HEADER.encode() + b"1,L\xe9a,D,2009-04-17,3eB,\n", "is not UTF-8"),
        (HEADER.encode() + b"1,L\x81a,D,2009-04-17,3eB,\n", "is neither UTF-8 nor Windows-1252"),
        (HEADER.encode() + b"1,L\xe9a,D,2009-04-17,3eB,\n2,\x81,D,2009-04-17,3eB,\n", "neither"),
    ],
    ids=["bom-means-utf8", "undefined-in-1252", "1252-then-undefined"],
)
def test_text_in_no_encoding_the_import_reads_stops_at_its_line(data: bytes, message: str) -> None:
    chunk = parser_for("csv").feed(data, final=True)
    assert chunk.error is not None
    assert message in chunk.error
    assert chunk.error.startswith("Line 3" if b"\n2," in data else "Line 2")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("", "The file is empty"),
        ("first_name,last_name\nLéa,Durand\n", "no column for: birth_date, course"),
        ("1,Léa,Durand,2009-04-17,3eB\n", "no column for: first_name, last_name"),
        ("first name,First Name,last_name,birth_date,course\n", "both give the first_name"),
    ],
)
def test_unreadable_headers_stop_the_import_with_a_clear_message(data: str, message: str) -> None:
    with pytest.raises(InvalidImport, match=message):
        parse("csv", data)


def test_a_leading_quote_that_disarms_a_formula_is_removed() -> None:
    parsed = parse("csv", HEADER + "'-12,'=Léa,'t Hooft,2009-04-17,3eB,\n")
    student = parsed.students[0][1]
    assert (student.id, student.first_name, student.last_name) == ("-12", "=Léa", "'t Hooft")


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Student ID", "id"),
        ("Prénom", "first_name"),
        ("LAST_NAME", "last_name"),
        ("Date of Birth", "birth_date"),
        ("date-de-naissance", "birth_date"),
        ("Classe", "course"),
        ("E-mail", "email"),
        ("Notes", None),
    ],
)
def test_header_names_map_to_fields(header: str, field: str | None) -> None:
    assert column_field(header) == field


@pytest.mark.parametrize("chunk_size", CHUNK_SIZES)
def test_ndjson_reports_bad_lines_and_unknown_keys(chunk_size: int) -> None:
    good = b'{"id": "1", "first_name": "L\\u00e9a", "last_name": "Durand", '
    good += b'"birth_date": "2009-04-17", "course": "3eB", "created_at": "x"}'
    data = codecs.BOM_UTF8 + good + b'\n\n{"id": "2"}\nnot json\n[1]'
    parsed = parse("ndjson", data, chunk_size)
    assert ids(parsed) == [(1, "1")]
    assert parsed.students[0][1].first_name == "Léa"
    assert parsed.unknown_columns == ["created_at"]
    problems = parsed.problems()
    assert set(problems) == {3, 4, 5}
    assert problems[3]["course"] == "is required"
    assert problems[4]["$"].startswith("is not valid JSON")
    assert problems[5] == {"$": "must be a JSON object with the student's fields"}


@pytest.mark.parametrize("chunk_size", CHUNK_SIZES)
def test_json_array_items_are_cut_out_with_their_lines(chunk_size: int) -> None:
    data = (
        '\ufeff [\n  {"id": "1", "first_name": "A \\"q\\" \\\\", "last_name": "B]}",\n'
        '   "birth_date": "2009-04-17", "course": "3e{B},"},\n'
        '  {"id": "2", "extra": [1, {"a": "]"}]},\n'
        "  5\n]\n"
    )
    parsed = parse("json", data, chunk_size)
    assert ids(parsed) == [(2, "1")]
    student = parsed.students[0][1]
    assert (student.first_name, student.last_name, student.course) == ('A "q" \\', "B]}", "3e{B},")
    assert set(parsed.problems()) == {4, 5}
    assert parsed.unknown_columns == ["extra"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("", "The file is empty"),
        ('{"id": "1"}', "must be one array"),
        ('[{"id": "1"}', "not closed"),
        ('[{"id": "1"}] x', "must be one array"),
        ('[{"id": "1"}}', "must be one array"),
    ],
)
def test_json_that_is_not_one_array_is_refused(data: str, message: str) -> None:
    with pytest.raises(InvalidImport, match=message):
        parse("json", data)


def test_empty_json_array_has_no_rows() -> None:
    assert parse("json", " [ ] \n").students == []


def feed_until_refused(fmt: Format, pieces: Iterator[bytes]) -> tuple[ParsedChunk, int]:
    """Feed pieces until the parser gives up; its chunk then, and how many bytes it was fed."""
    parser = parser_for(fmt)
    fed = 0
    for piece in pieces:
        fed += len(piece)
        chunk = parser.feed(piece)
        if chunk.error:
            return chunk, fed
    raise AssertionError("the parser read every piece without refusing any")


def endless(start: bytes, filler: bytes, chunk_size: int) -> Iterator[bytes]:
    """`start`, then `filler` for ever (well, 64 MiB), in pieces of chunk_size."""
    yield start
    piece = (filler * (chunk_size // len(filler) + 1))[:chunk_size]
    for _ in range(64 * 1024 * 1024 // len(piece)):
        yield piece


@pytest.mark.parametrize("chunk_size", [7, 4096, 32 * 1024])
@pytest.mark.parametrize(
    ("fmt", "start", "filler", "line"),
    [
        ("csv", f'{HEADER}1,Léa,Durand,2009-04-17,3eB,\n2,"', "x", 3),
        ("csv", f'{HEADER}1,Léa,Durand,2009-04-17,3eB,\n\n2,"', "x" * 79 + "\n", 4),
        ("ndjson", '{"id": "1"}\n\n{"first_name": "', "x", 3),
        ("json", '[{"id": "1"},\n\n {"first_name": "', "x", 3),
        ("json", '[{"id": "1"},\n {"first_name": [', '"x", ', 2),
    ],
    ids=["csv-line", "csv-open-quote", "ndjson-line", "json-string", "json-nested"],
)
def test_a_row_longer_than_the_limit_is_refused_as_soon_as_it_passes_it(
    fmt: Format, start: str, filler: str, line: int, chunk_size: int
) -> None:
    pieces = endless(start.encode(), filler.encode(), chunk_size)
    chunk, fed = feed_until_refused(fmt, pieces)
    assert fed <= MAX_ROW_BYTES + len(start.encode()) + chunk_size
    assert chunk.error == (
        f"Line {line} is longer than 64 KiB, which no student's row is"
        + (": is a quote left open?" if fmt == "csv" else "")
        + "; reading stopped there."
    )


@pytest.mark.parametrize("fmt", ["csv", "ndjson", "json"])
def test_a_long_row_read_at_once_is_refused_and_the_rows_before_it_kept(fmt: Format) -> None:
    long_name = "x" * (MAX_ROW_BYTES + 1)
    good = '{"id": "1", "first_name": "Léa", "last_name": "D", "birth_date": "2009-04-17", '
    good += '"course": "3eB"}'
    data = {
        "csv": f'{HEADER}1,Léa,D,2009-04-17,3eB,\n2,"{long_name}",D,2009-04-17,3eB,\n',
        "ndjson": f'{good}\n{{"id": "2", "first_name": "{long_name}"}}\n',
        "json": f'[{good},\n{{"id": "2", "first_name": "{long_name}"}}]',
    }[fmt]
    chunk = parser_for(fmt).feed(data.encode())
    assert [s.id for s in chunk.students] == ["1"]
    assert chunk.error is not None
    assert chunk.error.startswith(f"Line {3 if fmt == 'csv' else 2} is longer than 64 KiB")


@pytest.mark.parametrize("fmt", ["csv", "ndjson", "json"])
@pytest.mark.parametrize("chunk_size", [1, 7, 4096])
def test_a_row_just_under_the_limit_is_read_whatever_the_chunks(
    fmt: Format, chunk_size: int
) -> None:
    # A quoted name with line breaks in CSV, a name with escaped line breaks in JSON.
    name = ("x" * 99 + "\n") * (MAX_ROW_BYTES // 100 - 20)
    quoted = msgspec.json.encode(name).decode()
    data = {
        "csv": f'{HEADER}1,"{name}",D,2009-04-17,3eB,\n2,Zoé,D,2009-04-17,3eB,\n',
        "ndjson": f'{{"id": "1", "first_name": {quoted}}}\n{{"id": "2"}}\n',
        "json": f'[{{"id": "1", "first_name": {quoted}}}, {{"id": "2"}}]',
    }[fmt]
    parsed = parse(fmt, data, chunk_size)
    assert [f.id for f in parsed.failures] == (["1"] if fmt == "csv" else ["1", "2"])
    assert "first_name" in parsed.failures[0].errors[0].path


def test_csv_quote_across_many_chunks_is_read_in_linear_steps() -> None:
    # A quoted cell with a line break in every piece: each piece ends a line, yet the record is
    # read again only when the text waiting has doubled, so the pieces fed stay cheap.
    parser = parser_for("csv")
    parser.feed(HEADER.encode() + b'1,"')
    reads = 0
    original = parser._read_pending

    def counting(*, final: bool) -> ParsedChunk:
        nonlocal reads
        reads += 1
        return original(final=final)

    parser._read_pending = counting  # type: ignore[method-assign]
    for _ in range(5000):
        assert parser.feed(b"ab\n").error is None
    chunk = parser.feed(b'",D,2009-04-17,3eB,\n', final=True)
    assert reads <= 20
    assert [f.line for f in chunk.failures] == [2]


def test_unknown_json_keys_are_listed_once_each_and_at_most_a_hundred() -> None:
    rows = [
        f'{{"id": "{i}", "first_name": "A", "last_name": "B", "birth_date": "2009-04-17", '
        f'"course": "3eB", "note": 1, "note_{i}": 1}}'
        for i in range(1000)
    ]
    parsed = parse("ndjson", "\n".join(rows))
    assert len(parsed.students) == 1000
    expected = ["note", *(f"note_{i}" for i in range(MAX_LISTED_UNKNOWN - 1))]
    assert parsed.unknown_columns == expected


def test_unknown_csv_columns_are_listed_at_most_a_hundred_and_shortened() -> None:
    extra = [f"extra {i}" for i in range(150)]
    header = "first_name,last_name,birth_date,course," + "y" * 500 + "," + ",".join(extra)
    parsed = parse("csv", header + "\nLéa,D,2009-04-17,3eB\n")
    assert len(parsed.unknown_columns) == MAX_LISTED_UNKNOWN
    assert parsed.unknown_columns[:2] == ["y" * 61 + "...", "extra 0"]
    assert len(parsed.students) == 1


async def test_legacy_hash_fields_that_are_not_students_are_listed_once_each() -> None:
    async def hashes() -> AsyncIterator[list[tuple[str, dict[str, str]]]]:
        yield [(f"k{i}", {"First name": "Léa", "Notes": "x", f"f{i}": "y"}) for i in range(300)]

    reader = LegacyReader(hashes())
    assert sum([len(chunk.failures) async for chunk in reader]) == 300
    assert len(reader.unknown_columns) == MAX_LISTED_UNKNOWN
    assert len(set(reader.unknown_columns)) == MAX_LISTED_UNKNOWN
    assert "Notes" in reader.unknown_columns


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("17/04/2009", "2009-04-17"),
        ("7/4/2009", "2009-04-07"),
        ("2009/4/7", "2009-04-07"),
        ("17/04/09", None),
        ("2009-4-7", "2009-04-07"),
        ("April 17", None),
    ],
)
def test_numeric_dates_are_read_day_first(text: str, iso: str | None) -> None:
    assert to_iso_date(text) == iso


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2009-04-17", "2009-04-17"),
        ("2009-04-17T00:00:00", "2009-04-17"),
        (" 17/04/2009 ", "2009-04-17"),
        ("17-04-2009", "2009-04-17"),
        ("17 April 2009", "2009-04-17"),
        ("April 17, 2009", "2009-04-17"),
        ("17/04/09", None),
        ("yesterday", None),
    ],
)
def test_legacy_dates_are_read_in_the_formats_the_old_form_let_through(
    text: str, iso: str | None
) -> None:
    assert read_legacy_date(text) == iso


@pytest.mark.parametrize(
    ("name", "head", "fmt"),
    [
        ("a.CSV", b"[", "csv"),
        ("a.jsonl", b"", "ndjson"),
        ("a.json", b"", "json"),
        ("-", b"\xef\xbb\xbf [", "json"),
        ("-", b'{"id"', "ndjson"),
        ("export", b"id,first_name", "csv"),
    ],
)
def test_format_comes_from_the_name_else_the_first_bytes(name: str, head: bytes, fmt: str) -> None:
    assert guess_format(name, head) == fmt


def test_media_types_name_formats() -> None:
    assert format_of_media_type("text/csv; charset=utf-8") == "csv"
    assert format_of_media_type("application/x-ndjson") == "ndjson"
    assert format_of_media_type("Application/JSON") == "json"
    assert format_of_media_type("text/plain") is None


def student(number: int, **overrides: Any) -> Student:
    now = datetime(2024, 9, 1, tzinfo=UTC)
    fields: dict[str, Any] = {
        "id": f"S{number}",
        "first_name": "Éloïse",
        "last_name": "O'Brien, Jr",
        "birth_date": date(2009, 4, 17),
        "course": "3eB",
        "email": None,
        "created_at": now,
        "updated_at": now,
        "entry_date": now.date(),
    }
    return Student(**(fields | overrides))


EXPORT_HEADER = (
    "id,first_name,last_name,birth_date,course,email,status,entry_date,exit_date,exit_reason,"
    "sex,ine,birthplace,"
    "guardian1_name,guardian1_relationship,guardian1_phone,guardian1_email,"
    "guardian1_parental_authority,guardian2_name,guardian2_relationship,guardian2_phone,"
    "guardian2_email,guardian2_parental_authority"
)


async def encoded(students: list[Student], fmt: Format) -> bytes:
    async def source() -> AsyncIterator[Student]:
        for s in students:
            yield s

    return b"".join([chunk async for chunk in encode_students(source(), fmt)])


async def test_csv_export_has_a_bom_a_header_and_disarmed_formulas() -> None:
    body = await encoded(
        [student(1, email="a@example.org"), student(2, first_name="=HYPERLINK(1)", id="-2")],
        "csv",
    )
    # The enrolment columns, then the registration fields (sex, INE, birthplace, two
    # guardians) follow the first six.
    assert body.startswith(codecs.BOM_UTF8 + EXPORT_HEADER.encode() + b"\r\n")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert rows[1][:6] == ["S1", "Éloïse", "O'Brien, Jr", "2009-04-17", "3eB", "a@example.org"]
    assert rows[1][6:10] == ["enrolled", "2024-09-01", "", ""]
    assert rows[1][10:] == [""] * 13
    assert rows[2][:2] == ["'-2", "'=HYPERLINK(1)"]


async def test_csv_export_parses_back_to_the_same_students() -> None:
    originals = [student(i, email=f"s{i}@example.org" if i % 2 else None) for i in range(2500)]
    originals.append(student(9999, first_name="@Léa", last_name="+Durand"))
    parsed = parse("csv", await encoded(originals, "csv"), chunk_size=4096)
    assert parsed.failures == []
    assert [
        (s.id, s.first_name, s.last_name, s.birth_date, s.course, s.email)
        for _, s in parsed.students
    ] == [(s.id, s.first_name, s.last_name, s.birth_date, s.course, s.email) for s in originals]


@pytest.mark.parametrize("count", [0, 1, 1001])
async def test_json_and_ndjson_exports_are_valid(count: int) -> None:
    students = [student(i) for i in range(count)]
    array = msgspec.json.decode(await encoded(students, "json"))
    assert [item["id"] for item in array] == [s.id for s in students]
    lines = (await encoded(students, "ndjson")).splitlines()
    assert [msgspec.json.decode(line)["id"] for line in lines] == [s.id for s in students]
    if count:
        assert array[0] == {
            "id": "S0",
            "first_name": "Éloïse",
            "last_name": "O'Brien, Jr",
            "birth_date": "2009-04-17",
            "course": "3eB",
            "email": None,
            "status": "enrolled",
            "entry_date": "2024-09-01",
            "exit_date": None,
            "exit_reason": None,
        }
