"""The OpenAPI document at the address clients look for it, beside the docs page at /docs."""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Request, Response, get


@get("/openapi.json", include_in_schema=False, sync_to_thread=False)
def openapi_json(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    """The OpenAPI 3.1 description of this API."""
    return Response(request.app.openapi_schema.to_schema(), media_type=MediaType.JSON)
