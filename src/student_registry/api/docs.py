"""The OpenAPI document at the address clients look for it, beside the docs page at /docs."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import msgspec
from litestar import MediaType, Request, Response, get
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.plugins import OpenAPISchemaPlugin
from litestar.typing import FieldDefinition

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator
    from litestar.openapi.spec import Schema

SWAGGER_INIT = "/static/swagger-init.js"
# Our additions to Swagger UI's look: contrast, target sizes and the header's link back.
DOCS_CSS = "/static/docs.css"


@get("/openapi.json", include_in_schema=False, sync_to_thread=False)
def openapi_json(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    """The OpenAPI 3.1 description of this API."""
    return Response(request.app.openapi_schema.to_schema(), media_type=MediaType.JSON)


class SwaggerPage(SwaggerRenderPlugin):
    """Swagger UI without inline script, so it runs under the Content-Security-Policy.

    The vendored bundle is started by /static/swagger-init.js, which loads /openapi.json. The
    page has a language, a title, a link back to the app and a stylesheet of its own; what the
    bundle itself breaks is listed in the README (API documentation and accessibility).
    """

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        """The docs page: Swagger UI's files, and the script that starts it."""
        title = html.escape(str(openapi_schema["info"]["title"]))
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>API documentation · {title}</title>
  {self.favicon}
  <link href="{self.css_url}" rel="stylesheet">
  <link href="{DOCS_CSS}" rel="stylesheet">
</head>
<body>
  <header class="docs-header">
    <nav aria-label="Student Registry"><a href="/">Back to {title}</a></nav>
  </header>
  <div id="swagger-container" data-spec-url="/openapi.json"></div>
  <script src="{self.js_url}"></script>
  <script src="{SWAGGER_INIT}"></script>
</body>
</html>
""".encode()


class ClosedModels(OpenAPISchemaPlugin):
    """A model that refuses unknown fields says so in its schema: additionalProperties false."""

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        """Structs declared with forbid_unknown_fields."""
        if field_definition.is_union or not field_definition.is_subclass_of(msgspec.Struct):
            return False
        info = msgspec.inspect.type_info(field_definition.type_)
        return isinstance(info, msgspec.inspect.StructType) and info.forbid_unknown_fields

    def to_openapi_schema(
        self, field_definition: FieldDefinition, schema_creator: SchemaCreator
    ) -> Schema:
        """The schema Litestar makes for the struct, closed to other properties."""
        struct_plugin = next(
            plugin
            for plugin in schema_creator.plugins
            if plugin is not self and schema_creator.plugin_supports_field(plugin, field_definition)
        )
        schema = struct_plugin.to_openapi_schema(field_definition, schema_creator)
        schema.additional_properties = False
        return schema
