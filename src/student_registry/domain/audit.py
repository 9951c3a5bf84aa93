"""The audit trail: who acts on this request, and reading the trail (the page, API, CLI).

The write scripts append each change's entry themselves (audit.lua): what acts and on which
request comes from here. A request's id is set by the access log (logs.py) and its actor by
the guards; the command line sets both once for its run.
"""

from __future__ import annotations

import getpass
import os
import re
import secrets
from contextvars import ContextVar
from datetime import UTC, date, datetime
from typing import Literal

from msgspec import Struct

from student_registry.domain.models import Student
from student_registry.errors import InvalidCursor
from student_registry.store import keys
from student_registry.store.audit_store import AuditTrail, Entry
from student_registry.store.redis_store import Trace

Action = Literal[
    "student.create",
    "student.update",
    "student.delete",
    "student.withdraw",
    "student.reinstate",
    "student.import",
    "student.export",
    "record.access",
    "login.success",
    "login.failure",
    "user.create",
    "user.update",
    "token.create",
    "token.revoke",
    "year.rollover",
    "year.current",
]
CODES = {action: code for code, action in keys.AUDIT_ACTIONS.items()}
PAGE_SIZE = 50
MAX_PAGE = 500
_CURSOR = re.compile(r"\d{1,20}-\d{1,20}")
_IMPORT_COUNTS = {"c": "created", "u": "updated", "s": "skipped", "x": "exists", "m": "email_taken"}
_IMPORT_COUNTS["i"] = "ine_taken"
_ROLLOVER_COUNTS = {"p": "promoted", "r": "repeating", "l": "left"}

_actor: ContextVar[str] = ContextVar("audit_actor", default="")
_request_id: ContextVar[str] = ContextVar("audit_request_id", default="")


def new_request_id() -> str:
    """A request's id: 12 URL-safe characters (72 random bits)."""
    return secrets.token_urlsafe(9)


def begin_request(request_id: str | None = None) -> str:
    """Set the current request's id (a new one by default), for its trail entries."""
    request_id = request_id or new_request_id()
    _request_id.set(request_id)
    _actor.set("")
    return request_id


def act_as(actor: str) -> None:
    """Name who acts on the current request: an email, ``token:<id>``, ``cli:<user>``."""
    _actor.set(actor)


def cli_actor() -> str:
    """How the trail names the command line's operator: ``cli:<os user>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):
        return f"cli:uid{os.getuid()}"


def current_trace(actor: str | None = None) -> Trace:
    """Who acts (or `actor`) on which request, as a write's trail entry says."""
    return Trace(actor=_actor.get() if actor is None else actor, request_id=_request_id.get())


class AuditEntry(Struct, kw_only=True):
    """One event of the trail: never a value of a student's or a user's fields."""

    id: str
    time: datetime
    actor: str
    action: str
    target: str
    fields: list[str]
    request_id: str
    counts: dict[str, int] | None = None
    detail: str | None = None


class AuditPage(Struct, kw_only=True):
    """A page of the trail, newest first; next_cursor continues it (null: no more)."""

    items: list[AuditEntry]
    next_cursor: str | None = None


class StudentRecord(Struct, kw_only=True):
    """Everything the registry holds about a student: their data and their trail entries."""

    student: Student
    history: list[AuditEntry]


def _names(letters: str, names: dict[str, str]) -> list[str]:
    return [names.get(letter, letter) for letter in letters]


def to_entry(entry: Entry) -> AuditEntry:
    """A stored entry as shown: actions and field names spelled out."""
    stored = entry.fields
    action = keys.AUDIT_ACTIONS.get(stored.get("action", ""), stored.get("action", ""))
    raw = stored.get("fields", "")
    fields: list[str] = []
    counts: dict[str, int] | None = None
    detail: str | None = None
    if action == "student.import":
        counts = {}
        for letter, n in re.findall(r"([a-z])(\d+)", raw):  # runs: c3x1c2
            name = _IMPORT_COUNTS.get(letter, letter)
            counts[name] = counts.get(name, 0) + int(n)
    elif action == "year.rollover":
        counts = {_ROLLOVER_COUNTS.get(k, k): int(n) for k, n in re.findall(r"([a-z])(\d+)", raw)}
    elif action == "student.export":
        detail = raw or None
    elif action.startswith("student."):
        fields = _names(raw, keys.STUDENT_FIELDS)
    elif action.startswith("user."):
        fields = _names(raw, keys.USER_FIELDS)
    elif raw:
        detail = raw
    ms = int(entry.id.partition("-")[0])
    return AuditEntry(
        id=entry.id,
        time=datetime.fromtimestamp(ms / 1000, UTC),
        actor=stored.get("actor", ""),
        action=action,
        target=stored.get("target", ""),
        fields=fields,
        request_id=stored.get("request_id", ""),
        counts=counts,
        detail=detail,
    )


def _since_ms(since: date | datetime | None) -> int:
    if since is None:
        return 0
    if not isinstance(since, datetime):
        since = datetime(since.year, since.month, since.day, tzinfo=UTC)
    elif since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return int(since.timestamp() * 1000)


class AuditLog:
    """Reading the trail, and the entries of events that change nothing."""

    def __init__(self, trail: AuditTrail) -> None:
        self.trail = trail

    async def page(
        self,
        *,
        student: str | None = None,
        actor: str | None = None,
        action: Action | None = None,
        since: date | datetime | None = None,
        cursor: str | None = None,
        limit: int = PAGE_SIZE,
    ) -> AuditPage:
        """Entries newest first, filtered. A student's come from their history; others from a
        scan of the trail with a budget, so a page may hold fewer than `limit` with a cursor."""
        if cursor is not None and not _CURSOR.fullmatch(cursor):
            raise InvalidCursor("The cursor is not valid; start again without it.")
        since_ms = _since_ms(since)
        match = {}
        if actor:
            match["actor"] = actor
        if action:
            match["action"] = CODES[action]
        if student:
            found = await self.trail.history(
                student,
                before=cursor or "",
                since_ms=since_ms,
                limit=None if match else limit + 1,
            )
            found = [e for e in found if all(e.fields.get(k) == v for k, v in match.items())]
            entries, resume = found[:limit], found[limit - 1].id if len(found) > limit else ""
        else:
            scan = await self.trail.scan(
                before=cursor or "", since_ms=since_ms, wanted=limit, match=match
            )
            entries, resume = scan.entries, scan.resume
        return AuditPage(items=[to_entry(e) for e in entries], next_cursor=resume or None)

    async def history(self, student_id: str, *, limit: int | None = None) -> list[AuditEntry]:
        """The entries about a student the trail still holds, newest first (at most `limit`)."""
        return [to_entry(e) for e in await self.trail.history(student_id, limit=limit)]

    async def record_access(self, student_id: str) -> None:
        """Trail that the current actor read everything held about a student."""
        trace = current_trace()
        await self.trail.append(CODES["record.access"], student_id, trace, students=[student_id])

    async def record_current_year(self, year: str) -> None:
        """Trail that the current actor made a school year the current one."""
        await self.trail.append(CODES["year.current"], year, current_trace())

    async def record_export(self, course: str | None, *, searched: bool) -> None:
        """Trail that the current actor exported students: of which course, with a name search
        or not (never the search's words: they may be a name)."""
        detail = " ".join(
            part
            for part in (f"course={course}" if course else "", "search" if searched else "")
            if part
        )
        await self.trail.append(CODES["student.export"], "", current_trace(), detail=detail)
