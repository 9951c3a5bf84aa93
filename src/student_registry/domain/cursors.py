"""Page cursors: opaque, at most 98 characters, naming a student to start from, never a name.

A cursor names the student a page starts after (or before, going back), as Stripe's
``starting_after`` does, with what the walk needs to go on: its direction, whether that student
belongs to the page, at which of its names a search stands, and the search's plan. Its bytes
are a tiny versioned struct, in base64url:

    version (1) | flags (1) | plan (1) | check (6) | student id (1-64, ASCII)

The check is an HMAC, under the service's secret key, of all that with the student's sort key
as it was then and the list it belongs to (the search and the course). So a cursor reveals no
name, and one whose student was renamed, or that is used with another list, is refused rather
than silently starting somewhere else.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import struct
from typing import NamedTuple

from student_registry.errors import InvalidCursor, StaleCursor

VERSION = 1
CHECK_BYTES = 6
_HEADER = struct.Struct(f">BBB{CHECK_BYTES}s")
_BACKWARD, _INCLUSIVE, _AT_FIRST = 1, 2, 4
_ID = re.compile(rb"[A-Za-z0-9_-]{1,64}")
_TEXT = re.compile(r"[A-Za-z0-9_-]+")
MAX_LENGTH = -(-(_HEADER.size + 64) * 4 // 3)
NOT_OURS = "The cursor is not valid; start again without it."


class Cursor(NamedTuple):
    """Where a page starts: after (or before) a student, and how the walk goes on."""

    student_id: str
    backward: bool = False  # the page is the students before this one
    inclusive: bool = False  # this student itself belongs to the page
    at_first: bool = False  # a search stands at the student's first name (else its last)
    plan: int = 0  # which word a search walks along (walk.lua); 0 for a list

    def turned(self) -> Cursor:
        """The other side of the same place: what comes before it, or after it."""
        return self._replace(backward=not self.backward, inclusive=not self.inclusive)


class SignedCursor(NamedTuple):
    """A cursor as a client sent it, with the check to verify once its student is read."""

    cursor: Cursor
    check: bytes


class CursorCodec:
    """Turns cursors into text and back, signed with the service's secret key."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _check(self, cursor: Cursor, *, sort_key: str, context: str) -> bytes:
        message = bytes(_flags_and_plan(cursor))
        for part in (cursor.student_id, sort_key, context):
            data = part.encode()
            message += len(data).to_bytes(4, "big") + data
        return hmac.new(self._secret, message, hashlib.sha256).digest()[:CHECK_BYTES]

    def encode(self, cursor: Cursor, *, sort_key: str, context: str) -> str:
        """The text of a cursor whose student has this sort key, in this list."""
        check = self._check(cursor, sort_key=sort_key, context=context)
        flags, plan = _flags_and_plan(cursor)
        raw = _HEADER.pack(VERSION, flags, plan, check) + cursor.student_id.encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def decode(self, text: str) -> SignedCursor:
        """A cursor from its text; InvalidCursor when this service did not make it."""
        if not 0 < len(text) <= MAX_LENGTH or not _TEXT.fullmatch(text):
            raise InvalidCursor(NOT_OURS)
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            raise InvalidCursor(NOT_OURS) from None
        if len(raw) <= _HEADER.size:
            raise InvalidCursor(NOT_OURS)
        version, flags, plan, check = _HEADER.unpack_from(raw)
        student_id = raw[_HEADER.size :]
        if version != VERSION or flags & ~7 or not _ID.fullmatch(student_id):
            raise InvalidCursor(NOT_OURS)
        cursor = Cursor(
            student_id=student_id.decode(),
            backward=bool(flags & _BACKWARD),
            inclusive=bool(flags & _INCLUSIVE),
            at_first=bool(flags & _AT_FIRST),
            plan=plan,
        )
        return SignedCursor(cursor, check)

    def verify(self, signed: SignedCursor, *, sort_key: str, context: str) -> None:
        """Raise StaleCursor unless the cursor was made for this student as it is, in this list."""
        expected = self._check(signed.cursor, sort_key=sort_key, context=context)
        if not hmac.compare_digest(expected, signed.check):
            raise StaleCursor()


def _flags_and_plan(cursor: Cursor) -> tuple[int, int]:
    flags = (
        (_BACKWARD if cursor.backward else 0)
        | (_INCLUSIVE if cursor.inclusive else 0)
        | (_AT_FIRST if cursor.at_first else 0)
    )
    return flags, cursor.plan
