"""Page sessions: Litestar's server-side sessions in Redis, with what sign-in needs on top.

Litestar's backend keeps the session id the browser sent and writes a session for every
request. This one:
- gives a new id at sign-in (the old one is deleted), so a planted id is worth nothing;
- writes a session only at sign-in, and deletes it at sign-out: an anonymous request gets no
  session and no cookie, and a session ended meanwhile (user disabled) cannot be written back;
- names the cookie ``__Host-sr_session`` with ``Secure`` over HTTPS, ``sr_session`` otherwise.
Reading a session renews its idle expiry in the same round trip; the absolute limit is checked
against the sign-in time stored in it (guards.py).
"""

from __future__ import annotations

from typing import Any, cast

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.types import Empty, Message, ScopeSession

COOKIE = "sr_session"
SECURE_COOKIE = "__Host-sr_session"
STORE_NAME = "sessions"
# Where sign-in leaves the new session id for the backend, in the request's scope.
NEW_SESSION_ID = "student_registry.new_session_id"


def cookie_name(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The session cookie's name for this connection's scheme."""
    return SECURE_COOKIE if connection.scope["scheme"] == "https" else COOKIE


def start_session(
    connection: ASGIConnection[Any, Any, Any, Any], session_id: str, data: dict[str, Any]
) -> None:
    """Replace the connection's session by a new one under a new id (sign-in)."""
    cast(dict[str, Any], connection.scope)[NEW_SESSION_ID] = session_id
    connection.set_session(data)


class SignInSessionBackend(ServerSideSessionBackend):
    """Server-side sessions that exist only between sign-in and sign-out."""

    def get_session_id(self, connection: ASGIConnection[Any, Any, Any, Any]) -> str:
        """The new id after sign-in, else the one the browser sent ('' for none)."""
        new_id = cast(dict[str, Any], connection.scope).get(NEW_SESSION_ID)
        return str(new_id or connection.cookies.get(cookie_name(connection), ""))

    async def load_from_connection(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> dict[str, Any]:
        """The stored session of the cookie's id (renewing its idle expiry), or {}."""
        if session_id := connection.cookies.get(cookie_name(connection)):
            store = self.config.get_store_from_app(connection.scope["app"])
            data = await self.get(session_id, store=store)
            if data is not None:
                return self.deserialize_data(data)
        return {}

    async def store_in_message(
        self,
        scope_session: ScopeSession,
        message: Message,
        connection: ASGIConnection[Any, Any, Any, Any],
    ) -> None:
        """Write a session only at sign-in; delete it, and its cookie, when it is cleared."""
        store = self.config.get_store_from_app(connection.scope["app"])
        name = cookie_name(connection)
        secure = connection.scope["scheme"] == "https"
        sent_id = connection.cookies.get(name)
        new_id = cast(dict[str, Any], connection.scope).get(NEW_SESSION_ID)
        headers = MutableScopeHeaders.from_message(message)
        if new_id and scope_session is not Empty and scope_session:
            if sent_id:
                await self.delete(sent_id, store=store)
            await self.set(new_id, self.serialize_data(scope_session), store=store)
            cookie = Cookie(
                key=name, value=new_id, path="/", httponly=True, samesite="lax", secure=secure
            )
            headers.add("Set-Cookie", cookie.to_header(header=""))
        elif sent_id and (scope_session is Empty or not scope_session):
            await self.delete(sent_id, store=store)
            cookie = Cookie(
                key=name,
                value="",
                path="/",
                expires=0,
                max_age=0,
                httponly=True,
                samesite="lax",
                secure=secure,
            )
            headers.add("Set-Cookie", cookie.to_header(header=""))


class SignInSessionConfig(ServerSideSessionConfig):
    """ServerSideSessionConfig with the backend above."""

    _backend_class = SignInSessionBackend


def session_config(*, idle_minutes: int) -> SignInSessionConfig:
    """Sessions that expire after this long unused; HttpOnly, SameSite=Lax cookies."""
    return SignInSessionConfig(
        key=COOKIE,
        store=STORE_NAME,
        max_age=idle_minutes * 60,
        renew_on_access=True,
        httponly=True,
        samesite="lax",
    )
