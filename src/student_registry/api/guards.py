"""Request checks that run before a body is read."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import HTTPException
from litestar.status_codes import HTTP_415_UNSUPPORTED_MEDIA_TYPE


async def require_json(request: Request[Any, Any, Any]) -> None:
    """Refuse a body that is not declared as JSON with 415 (a ``before_request`` hook)."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise HTTPException(
            status_code=HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            detail="Send the student as JSON with Content-Type: application/json.",
        )
