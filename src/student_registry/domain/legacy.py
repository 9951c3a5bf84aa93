"""The original app's students: one Redis hash per student, keyed by its raw id.

Its form wrote the fields ``Id``, ``First name``, ``Last name``, ``Date of Birth`` and
``Course`` without checking them, so each hash goes through the same validation as any
registration. Dates are read as ``YYYY-MM-DD`` (with or without a time), day first
(``17/04/2009``, ``17-04-2009``, ``17.04.2009``), ``YYYY/MM/DD``, or with an English month name
(``17 April 2009``, ``April 17, 2009``); anything else is reported, not guessed.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterable, AsyncIterator, Callable
from datetime import datetime
from typing import Any

from student_registry.domain.bulk import ImportReport, import_students
from student_registry.domain.bulk_formats import (
    ParsedChunk,
    RowFailure,
    UnknownNames,
    to_iso_date,
    validate,
)
from student_registry.domain.models import StudentCreate
from student_registry.domain.service import Registry
from student_registry.errors import FieldError
from student_registry.store.redis_store import RedisStore

# The original app's field names: its Redis hashes and its form posted to /handle_data.
LEGACY_FIELDS = {
    "Id": "id",
    "First name": "first_name",
    "Last name": "last_name",
    "Date of Birth": "birth_date",
    "Course": "course",
}
_ISO_START = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ].*)?")
_MONTH_NAME_FORMATS = ("%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y", "%B %d %Y")

Hashes = AsyncIterable[list[tuple[str, dict[str, str]]]]


def read_legacy_date(text: str) -> str | None:
    """A date as the original app's users typed it, as ``YYYY-MM-DD``; None if unreadable."""
    text = text.strip()
    if _ISO_START.fullmatch(text):
        return text[:10]
    if iso := to_iso_date(text):
        return iso
    for pattern in _MONTH_NAME_FORMATS:
        try:
            return datetime.strptime(text, pattern).date().isoformat()
        except ValueError:
            continue
    return None


def convert_legacy(key: str, fields: dict[str, str]) -> StudentCreate | RowFailure:
    """A student from one legacy hash, or what is wrong with it."""
    raw: dict[str, Any] = {}
    for name, field in LEGACY_FIELDS.items():
        if value := fields.get(name, "").strip():
            raw[field] = value
    raw.setdefault("id", key)
    written = raw.get("birth_date", "")
    if written:
        iso = read_legacy_date(written)
        if iso is None:
            problem = f"cannot be read as a date: {written[:40]!r}; write it YYYY-MM-DD"
            return RowFailure(line=None, id=key, errors=[FieldError("birth_date", problem)])
        raw["birth_date"] = iso
    result = validate(raw, 0, written_date=written if written != raw.get("birth_date") else "")
    if isinstance(result, RowFailure):
        result.line, result.id = None, key
    return result


class LegacyReader:
    """Students converted from batches of legacy hashes; other hashes are counted, not read."""

    def __init__(self, hashes: Hashes) -> None:
        self.hashes = hashes
        self.ignored = 0
        self.unknown = UnknownNames()

    @property
    def unknown_columns(self) -> list[str]:
        """Hash fields that are not the original app's, in the order first seen."""
        return self.unknown.listed()

    async def __aiter__(self) -> AsyncIterator[ParsedChunk]:
        async for batch in self.hashes:
            chunk = ParsedChunk(students=[], lines=[], failures=[])
            for key, fields in batch:
                if not LEGACY_FIELDS.keys() & fields.keys():
                    self.ignored += 1
                    continue
                for name in fields.keys() - LEGACY_FIELDS.keys():
                    self.unknown.add(name)
                result = convert_legacy(key, fields)
                if isinstance(result, RowFailure):
                    chunk.failures.append(result)
                else:
                    chunk.students.append(result)
                    chunk.lines.append(0)
            yield chunk


async def migrate_legacy(
    target: Registry | RedisStore,
    hashes: Hashes,
    *,
    dry_run: bool = False,
    on_progress: Callable[[ImportReport], None] | None = None,
) -> tuple[ImportReport, int]:
    """Import the original app's students, keeping any already registered: running it again
    changes nothing. Returns the report and the number of hashes that were not students.

    Students alike in names and birth date are all kept: they are records already made."""
    reader = LegacyReader(hashes)
    report = await import_students(
        target,
        reader,
        on_conflict="skip",
        dry_run=dry_run,
        on_progress=on_progress,
        allow_duplicates=True,
    )
    return report, reader.ignored
