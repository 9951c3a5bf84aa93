"""The OpenAPI document at the address clients look for it, beside the docs page at /docs."""

from __future__ import annotations

import html
from typing import Any

from litestar import MediaType, Request, Response, get
from litestar.openapi.plugins import SwaggerRenderPlugin

SWAGGER_INIT = "/static/swagger-init.js"


@get("/openapi.json", include_in_schema=False, sync_to_thread=False)
def openapi_json(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    """The OpenAPI 3.1 description of this API."""
    return Response(request.app.openapi_schema.to_schema(), media_type=MediaType.JSON)


class SwaggerPage(SwaggerRenderPlugin):
    """Swagger UI without inline script, so it runs under the Content-Security-Policy.

    The vendored bundle is started by /static/swagger-init.js, which loads /openapi.json.
    """

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        """The docs page: Swagger UI's files, and the script that starts it."""
        title = html.escape(str(openapi_schema["info"]["title"]))
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <title>{title}</title>
  {self.favicon}
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link href="{self.css_url}" rel="stylesheet">
</head>
<body>
  <div id="swagger-container" data-spec-url="/openapi.json"></div>
  <script src="{self.js_url}"></script>
  <script src="{self.standalone_preset_js_url}"></script>
  <script src="{SWAGGER_INIT}"></script>
</body>
</html>
""".encode()
