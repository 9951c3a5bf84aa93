"""The audit trail's page (administrators), and a student's record to download (staff)."""

from __future__ import annotations

from datetime import date
from typing import Any, get_args
from urllib.parse import urlencode

import msgspec
from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from student_registry.domain.audit import PAGE_SIZE, Action
from student_registry.domain.service import Registry
from student_registry.errors import InvalidCursor
from student_registry.security.guards import ROLE

ACTIONS: list[str] = list(get_args(Action))


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


class AuditPageController(Controller):
    """The trail, newest first, 50 a page; a student's record as a JSON file."""

    include_in_schema = False

    @get("/audit", name="audit", opt={ROLE: "admin"})
    async def audit(
        self,
        registry: NamedDependency[Registry],
        student: FromQuery[str] = "",
        actor: FromQuery[str] = "",
        action: FromQuery[str] = "",
        since: FromQuery[str] = "",
        cursor: FromQuery[str] = "",
    ) -> Template:
        """The trail filtered by student, actor, action and day."""
        filters = {"student": student, "actor": actor, "action": action, "since": since}
        chosen: Any = action if action in ACTIONS else None
        try:
            page = await registry.audit.page(
                student=student.strip() or None,
                actor=actor.strip() or None,
                action=chosen,
                since=_date(since),
                cursor=cursor or None,
                limit=PAGE_SIZE,
            )
        except InvalidCursor:
            page = await registry.audit.page(limit=PAGE_SIZE)
        next_url = ""
        if page.next_cursor:
            next_url = "/audit?" + urlencode({**filters, "cursor": page.next_cursor})
        return Template(
            template_name="audit.html",
            context={
                "entries": page.items,
                "filters": filters,
                "actions": ACTIONS,
                "next_url": next_url,
                "first_url": "/audit?" + urlencode(filters) if cursor else "",
            },
        )

    @get("/students/{student_id:str}/record", name="student-record", opt={ROLE: "staff"})
    async def record(
        self, registry: NamedDependency[Registry], student_id: FromPath[str]
    ) -> Response[bytes]:
        """Everything held about a student, as a JSON file to hand to their family."""
        record = await registry.student_record(student_id)
        return Response(
            msgspec.json.format(msgspec.json.encode(record)),
            media_type="application/json",
            headers={
                "Content-Disposition": f'attachment; filename="student-{student_id}-record.json"'
            },
        )
