"""The rollover's mapping as a CSV file: columns `from,to`, an empty `to` when a class leaves.

Read like the project's imports: UTF-8 with or without a BOM, comma or semicolon (guessed from
the header row), blank lines ignored.
"""

from __future__ import annotations

import codecs
import csv

from student_registry.domain.text import compose
from student_registry.errors import InvalidRollover

HEADER = ["from", "to"]


def read_mapping(data: bytes) -> dict[str, str | None]:
    """Each course of the from year and its course the next year (None: the class leaves).
    Raises InvalidRollover naming the line that is wrong."""
    try:
        text = data.removeprefix(codecs.BOM_UTF8).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRollover(
            f"The mapping is not UTF-8 text ({exc.reason}); save it as UTF-8 CSV."
        ) from None
    lines = text.splitlines()
    header = next((line for line in lines if line.strip()), "")
    delimiter = max((",", ";"), key=header.count)
    reader = csv.reader(lines, delimiter=delimiter)
    mapping: dict[str, str | None] = {}
    seen: dict[str, int] = {}
    has_header = False
    for record in reader:
        line = reader.line_num
        cells = [compose(cell).strip() for cell in record]
        if not any(cells):
            continue
        if not has_header:
            if [c.lower() for c in cells[:2]] != HEADER or any(cells[2:]):
                raise InvalidRollover(
                    f"Line {line}: the mapping's first line must be the header from,to"
                    f" (got {delimiter.join(record)!r})."
                )
            has_header = True
            continue
        if len(cells) < len(HEADER) or any(cells[2:]):
            raise InvalidRollover(
                f"Line {line}: a row has two cells, the course and its next course"
                f" (empty when the class leaves the school); got {delimiter.join(record)!r}."
            )
        course, target = cells[0], cells[1]
        if not course:
            raise InvalidRollover(f"Line {line}: the from course is empty.")
        if course in seen:
            raise InvalidRollover(
                f"Line {line}: {course!r} is mapped already, on line {seen[course]}."
            )
        seen[course] = line
        mapping[course] = target or None
    if not has_header:
        raise InvalidRollover(
            "The mapping is empty; it needs the header from,to and a row a course."
        )
    return mapping
