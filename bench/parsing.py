"""Parsing speed of imports: seconds per MiB for hostile inputs beside normal data, 1 to 64 MiB.

Each input goes through the reader an import uses (`read_rows`), in 64 KiB chunks as the page
and the CLI read files, without Redis: what is measured is parsing and validation alone. Linear
parsing shows as a flat column. A hostile input that the reader refuses stops being read where
it is refused; "read" says how much of it was read by then. The normal data of a format is the
same students (as bench/students.py makes them) in that format. Times are the CPU time of this
process, so that other work on a shared machine counts as little as it can.

    uv run --frozen python bench/parsing.py [--sizes 1,4,16,64] [--repeat 1] [--shapes key,huge]

With --repeat N each input is parsed N times and the fastest run counts, which steadies the
figures on a busy machine.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import time
from collections.abc import Callable, Iterator

from student_registry.domain.bulk import read_rows
from student_registry.domain.bulk_formats import Format
from student_registry.errors import InvalidImport
from students import FIELDS, student

MIB = 1024 * 1024
CHUNK = 64 * 1024
HEADER = ",".join(FIELDS) + "\n"


def normal_csv(size: int) -> bytes:
    """Students as CSV with a header row."""
    out = io.StringIO()
    out.write(HEADER)
    writer = csv.writer(out, lineterminator="\n")
    number = 1
    while out.tell() < size:
        writer.writerows(student(n).values() for n in range(number, number + 1000))
        number += 1000
    return out.getvalue().encode()


def _json_lines(size: int, extra: Callable[[int], str] = lambda number: "") -> Iterator[bytes]:
    written, number = 0, 0
    while written < size:
        number += 1
        fields = student(number)
        line = json.dumps({**fields, "email": fields["email"] or None})[:-1] + extra(number) + "}"
        written += len(line) + 2
        yield line.encode()


def normal_ndjson(size: int) -> bytes:
    """Students as NDJSON, one object a line."""
    return b"\n".join(_json_lines(size)) + b"\n"


def normal_json(size: int) -> bytes:
    """Students as one JSON array."""
    return b"[\n" + b",\n".join(_json_lines(size)) + b"\n]\n"


def unterminated_csv_row(size: int) -> bytes:
    """A CSV row whose last cell opens a quote and goes on to the end without a line break."""
    start = (HEADER + '1,Léa,Durand,2009-04-17,"').encode()
    return start + b"x" * (size - len(start))


def unclosed_csv_quote(size: int) -> bytes:
    """A CSV row whose quote is never closed, over short lines: one record to the end."""
    start = (HEADER + '1,"').encode()
    line = b"x" * 79 + b"\n"
    return start + line * ((size - len(start)) // len(line))


def huge_ndjson_line(size: int) -> bytes:
    """One NDJSON line with a first name as long as the file."""
    start = b'{"first_name": "'
    return start + b"x" * (size - len(start) - 2) + b'"}'


def huge_json_element(size: int) -> bytes:
    """A JSON array whose first element holds a first name as long as the file."""
    start = b'[{"first_name": "'
    return start + b"x" * (size - len(start) - 3) + b'"}]'


def ndjson_new_key_a_row(size: int) -> bytes:
    """NDJSON whose every line adds a key no other line has."""
    return b"\n".join(_json_lines(size, lambda number: f', "note_{number}": 1')) + b"\n"


def json_new_key_an_element(size: int) -> bytes:
    """A JSON array whose every element adds a key no other element has."""
    lines = _json_lines(size, lambda number: f', "note_{number}": 1')
    return b"[\n" + b",\n".join(lines) + b"\n]\n"


SHAPES: list[tuple[str, Format, Callable[[int], bytes]]] = [
    ("CSV: one unterminated row", "csv", unterminated_csv_row),
    ("CSV: a quote never closed", "csv", unclosed_csv_quote),
    ("NDJSON: one huge line", "ndjson", huge_ndjson_line),
    ("NDJSON: a new key each row", "ndjson", ndjson_new_key_a_row),
    ("JSON: one huge element", "json", huge_json_element),
    ("JSON: a new key each element", "json", json_new_key_an_element),
]
NORMAL: dict[Format, Callable[[int], bytes]] = {
    "csv": normal_csv,
    "ndjson": normal_ndjson,
    "json": normal_json,
}


class Measured:
    """One parse: its time, the bytes read, the rows found and how it ended."""

    def __init__(self, seconds: float, *, size: int, read: int, rows: int, outcome: str) -> None:
        self.seconds, self.size, self.read = seconds, size, read
        self.rows, self.outcome = rows, outcome


async def parse(data: bytes, fmt: Format, repeat: int) -> Measured:
    """The fastest of `repeat` parses of data."""
    runs = [await parse_once(data, fmt) for _ in range(repeat)]
    return min(runs, key=lambda run: run.seconds)


async def parse_once(data: bytes, fmt: Format) -> Measured:
    """Read data as an import does, until its end or until the reader refuses it."""
    read = 0

    def chunks() -> Iterator[bytes]:
        nonlocal read
        for start in range(0, len(data), CHUNK):
            read = start + CHUNK
            yield data[start : start + CHUNK]

    rows, outcome = 0, "read"
    started = time.process_time()
    try:
        async for chunk in read_rows(chunks(), fmt):
            rows += len(chunk.students) + len(chunk.failures)
            if chunk.error:
                outcome = "refused"
                break
    except InvalidImport:
        outcome = "refused"
    seconds = time.process_time() - started
    return Measured(seconds, size=len(data), read=min(read, len(data)), rows=rows, outcome=outcome)


def human(size: int) -> str:
    """A byte count in KiB or MiB."""
    return f"{size / MIB:.0f} MiB" if size >= MIB else f"{size / 1024:.0f} KiB"


async def main() -> None:
    """Measure every shape at every size and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1,4,16,64", help="sizes in MiB, comma-separated")
    parser.add_argument("--repeat", type=int, default=1, help="parses of each input; the fastest")
    parser.add_argument("--shapes", default="", help="only shapes whose name has one of these")
    args = parser.parse_args()
    sizes = [int(s) * MIB for s in args.sizes.split(",")]
    wanted = [word.lower() for word in args.shapes.split(",") if word]
    shapes = [s for s in SHAPES if not wanted or any(w in s[0].lower() for w in wanted)]
    normal: dict[tuple[Format, int], Measured] = {}
    for fmt, make in NORMAL.items():
        if all(shape_fmt != fmt for _, shape_fmt, _ in shapes):
            continue
        for size in sizes:
            normal[fmt, size] = await parse(make(size), fmt, args.repeat)
    print(f"{'':<38} {'hostile input':<37} | {'normal data, same format':<24}")
    print(
        f"{'shape':<30} {'size':>7} {'seconds':>8} {'s/MiB':>8} {'read':>8} {'outcome':>8}"
        f" | {'seconds':>7} {'s/MiB':>7} {'rows':>9}"
    )
    for name, fmt, make in shapes:
        for size in sizes:
            data = make(size)
            hostile, usual = await parse(data, fmt, args.repeat), normal[fmt, size]
            print(
                f"{name:<30} {human(size):>7} {hostile.seconds:>8.3f}"
                f" {hostile.seconds / (len(data) / MIB):>8.4f}"
                f" {human(hostile.read):>8} {hostile.outcome:>8}"
                f" | {usual.seconds:>7.2f} {usual.seconds / (usual.size / MIB):>7.4f}"
                f" {usual.rows:>9,}"
            )


if __name__ == "__main__":
    asyncio.run(main())
