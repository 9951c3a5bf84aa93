"""Guards on the routers: who the caller is (a token on the API, a session on pages) and
whether their role allows the route.

A route's role is its handler's ``opt["role"]``; without one, reading (GET, HEAD) needs a
viewer and anything else staff. A read-only token never writes. The actor is left in the
scope for handlers and templates (``request.user``).
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from student_registry.domain.accounts import Accounts, Actor, Role
from student_registry.domain.audit import act_as
from student_registry.errors import Forbidden, NotAuthenticated

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ROLE = "role"

Connection = ASGIConnection[Any, Any, Any, Any]


def _method(connection: Connection) -> str:
    return str(connection.scope.get("method", "GET"))


def required_role(connection: Connection, handler: BaseRouteHandler) -> Role:
    """The role a route needs: its opt, else viewer to read and staff to write."""
    role: Role | None = handler.opt.get(ROLE)
    if role is not None:
        return role
    return "viewer" if _method(connection) in READ_METHODS else "staff"


def _check_role(actor: Actor, connection: Connection, handler: BaseRouteHandler) -> None:
    role = required_role(connection, handler)
    if not actor.may(role, write=_method(connection) not in READ_METHODS):
        raise Forbidden(
            "This token may only read."
            if actor.read_only and _method(connection) not in READ_METHODS
            else f"This needs the {role} role."
        )


def bearer_token(connection: Connection) -> str | None:
    """The token of an ``Authorization: Bearer`` header, or None."""
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def api_guard(connection: Connection, handler: BaseRouteHandler) -> None:
    """API routes: a valid bearer token whose owner's role allows the route (no cookies)."""
    token = bearer_token(connection)
    if token is None:
        raise NotAuthenticated("Send an API token: Authorization: Bearer <token>.")
    accounts: Accounts = connection.app.state.accounts
    actor = await accounts.authenticate_token(token)
    if actor is None:
        raise NotAuthenticated("The token is unknown, expired or revoked.")
    connection.scope["user"] = actor
    act_as(actor.name)
    _check_role(actor, connection, handler)


def session_actor(connection: Connection) -> Actor | None:
    """The signed-in user of a page request, or None (no session, or past its absolute limit)."""
    session = connection.scope.get("session")
    if not isinstance(session, dict) or "email" not in session:
        return None
    max_seconds: int = connection.app.state.session_max_seconds
    if time.time() - float(session.get("signed_in", 0)) > max_seconds:
        connection.clear_session()
        return None
    return Actor(email=session["email"], role=session["role"])


SAME_ORIGIN = "same_origin"


async def page_guard(connection: Connection, handler: BaseRouteHandler) -> None:
    """Pages: a signed-in user (else a redirect to sign in) whose role allows the route.

    A route with ``opt["same_origin"]`` first refuses what a browser says is cross-site.
    """
    if handler.opt.get(SAME_ORIGIN):
        check_same_origin(connection)
    actor = session_actor(connection)
    if actor is None:
        raise NotAuthenticated("Sign in to see this page.")
    connection.scope["user"] = actor
    act_as(actor.name)
    _check_role(actor, connection, handler)


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def check_same_origin(connection: Connection) -> None:
    """Refuse a request a browser says comes from another site (Sec-Fetch-Site, Origin).

    For a form without an anti-forgery token (the original app's): clients that are not
    browsers send neither header and pass on their credentials alone.
    """
    fetch_site = connection.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        raise Forbidden("This form can only be posted from this site.")
    origin = connection.headers.get("origin")
    if origin is not None and origin.lower() != _origin_of(str(connection.base_url)):
        raise Forbidden("This form can only be posted from this site.")


def shown_to(request: Any, role: Role) -> bool:
    """Whether the page's viewer has this role: templates show a control only to who may use it."""
    actor = request.scope.get("user") if request is not None else None
    return isinstance(actor, Actor) and actor.may(role, write=False)
