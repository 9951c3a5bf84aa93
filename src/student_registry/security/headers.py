"""Security headers on every response, errors included, added as the response starts."""

from __future__ import annotations

from litestar.types import Message, Scope

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
HSTS = "max-age=63072000; includeSubDomains"
_ALWAYS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    # same-origin, not no-referrer: with no-referrer a browser sends "Origin: null" on the
    # site's own form posts, and the legacy form's same-origin check needs the real one.
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
_NO_STORE = (b"cache-control", b"no-store")
_HSTS = (b"strict-transport-security", HSTS.encode())
# Static files carry no personal data and may be cached; everything else may.
CACHEABLE_PREFIX = "/static/"


def add_security_headers(message: Message, scope: Scope) -> None:
    """Add the security headers (and no-store) to a response's start (a before_send hook)."""
    if message["type"] != "http.response.start":
        return
    extra = list(_ALWAYS)
    if not scope["path"].startswith(CACHEABLE_PREFIX):
        extra.append(_NO_STORE)
    if scope["scheme"] == "https":
        extra.append(_HSTS)
    headers = list(message.get("headers") or [])
    present = {name.lower() for name, _ in headers}
    headers.extend(header for header in extra if header[0] not in present)
    message["headers"] = headers
