"""HEAD and Allow as RFC 9110 defines them, wrapped around the framework's router.

Litestar routes HEAD only to handlers that declare it, and the OPTIONS answer it makes for a
path can miss methods registered there in more than one step. Here a HEAD request runs the GET
handler and its body is dropped (RFC 9110 §9.3.2), and every Allow header, of an OPTIONS answer
or of a 405, lists all of the path's methods, with HEAD wherever GET is (§10.2.1).
"""

from __future__ import annotations

from typing import Any, cast

from litestar import Litestar
from litestar.enums import ScopeType
from litestar.routes import HTTPRoute
from litestar.types import HTTPResponseStartEvent, Message, Receive, Scope, Send

# Marks the scope of a HEAD request answered by a GET handler, so the access log can say HEAD.
HEAD_AS_GET = "student_registry.head_as_get"


def request_method(scope: Scope) -> str:
    """The method the client sent: HEAD for a HEAD request that runs as GET."""
    return "HEAD" if scope.get(HEAD_AS_GET) else str(scope.get("method", ""))


def _allow(methods: set[str]) -> str:
    if "GET" in methods:
        methods = methods | {"HEAD"}
    return ", ".join(sorted(methods))


def allowed_methods(app: Litestar) -> dict[str, str]:
    """The Allow header of each route's path template: every method it has, HEAD with GET."""
    return {
        route.path_format: _allow(set(route.methods))
        for route in app.routes
        if isinstance(route, HTTPRoute)
    }


def _completed_allow(message: HTTPResponseStartEvent, allow: str | None) -> Message:
    headers = list(message.get("headers", ()))
    for index, (name, value) in enumerate(headers):
        if name.lower() == b"allow":
            # A 405 comes before routing found a path; its list then only needs HEAD added.
            given = {method.strip() for method in value.decode("latin-1").split(",")}
            headers[index] = (name, (allow or _allow(given)).encode("latin-1"))
            return {**message, "headers": headers}
    return message


def answer_head_and_allow(app: Litestar) -> Litestar:
    """Wrap the app's request handling: HEAD as GET without a body, Allow headers complete."""
    inner = app.asgi_handler
    allowed = allowed_methods(app)

    async def handler(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await inner(scope, receive, send)
            return
        fields = cast("dict[str, Any]", scope)
        head = fields["method"] == "HEAD"
        if head:
            fields["method"] = "GET"
            fields[HEAD_AS_GET] = True

        async def send_without_body(message: Message) -> None:
            if message["type"] == "http.response.start":
                template = scope.get("path_template")  # set once routing found the path
                message = _completed_allow(message, allowed.get(template) if template else None)
            elif head and message["type"] == "http.response.body":
                # The GET handler runs to its end, so that a streamed (and compressed) body is
                # finished and closed as usual; only its end goes out, empty.
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await inner(scope, receive, send_without_body)

    app.asgi_handler = handler
    return app
