"""Properties of the bulk parsers: however a file is cut into chunks, it reads the same."""

from __future__ import annotations

import csv
import io
import json
from itertools import pairwise
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from student_registry.domain.bulk_formats import Format, parser_for
from student_registry.errors import InvalidImport

FIELDS = ["id", "first_name", "last_name", "birth_date", "course", "email"]
# Text that trips parsers: quotes, escapes, brackets, separators, line breaks, accents.
tricky = st.text(st.sampled_from(list("ab é\"\\[]{},;\n\r\t'")), max_size=12)
values = st.one_of(
    tricky,
    st.sampled_from(["2009-04-17", "17/04/2009", "3eB", "Léa", "a@example.org"]),
    st.none(),
    st.integers(-5, 5),
    st.lists(tricky, max_size=2),
    st.dictionaries(tricky, tricky, max_size=2),
)
rows = st.lists(st.dictionaries(st.sampled_from(FIELDS) | tricky, values, max_size=7), max_size=8)


def read(fmt: Format, data: bytes, cuts: list[int]) -> Any:
    """Everything the parser reports, feeding data cut at these offsets."""
    parser = parser_for(fmt)
    bounds = [0, *sorted({c % (len(data) + 1) for c in cuts}), len(data)]
    pieces = [data[a:b] for a, b in pairwise(bounds)]
    found: list[Any] = []
    try:
        for piece, final in [*((p, False) for p in pieces), (b"", True)]:
            chunk = parser.feed(piece, final=final)
            rows = [*zip(chunk.lines, chunk.students, strict=True)]
            rows += [(failure.line, failure) for failure in chunk.failures]
            found += sorted(rows, key=lambda row: row[0] or 0)
            if chunk.error:
                found.append(chunk.error)
                break
    except InvalidImport as exc:
        found.append(str(exc))
    return found, parser.unknown_columns


def as_csv(items: list[dict[str, Any]], delimiter: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(["id", "first_name", "last_name", "birth_date", "course", "notes"])
    for item in items:
        writer.writerow([json.dumps(v) if not isinstance(v, str) else v for v in item.values()])
    return out.getvalue().encode()


cuts = st.lists(st.integers(0, 10_000), max_size=12)


@given(rows, cuts, st.sampled_from([",", ";"]))
def test_csv_reads_the_same_however_it_is_cut(
    items: list[dict[str, Any]], cuts: list[int], delimiter: str
) -> None:
    data = as_csv(items, delimiter)
    assert read("csv", data, cuts) == read("csv", data, [])


@given(rows, cuts, st.booleans())
def test_ndjson_reads_the_same_however_it_is_cut(
    items: list[dict[str, Any]], cuts: list[int], bom: bool
) -> None:
    data = b"\xef\xbb\xbf" * bom + "\n".join(json.dumps(i) for i in items).encode()
    whole = read("ndjson", data, [])
    assert read("ndjson", data, cuts) == whole
    assert len(whole[0]) == len(items)


@given(rows, cuts, st.sampled_from([None, 0, 2]), st.booleans())
def test_json_array_reads_the_same_however_it_is_cut(
    items: list[dict[str, Any]], cuts: list[int], indent: int | None, bom: bool
) -> None:
    data = b"\xef\xbb\xbf" * bom + json.dumps(items, indent=indent).encode()
    whole = read("json", data, [])
    assert read("json", data, cuts) == whole
    assert len(whole[0]) == len(items)  # one student or one failure an item, nothing else
