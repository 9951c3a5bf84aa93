"""Signing in and out of the pages: a form, a new session at each sign-in, one failure message."""

from __future__ import annotations

import re
import time
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import QueryParameter, URLEncodedBody
from litestar.response import Redirect, Template
from litestar.status_codes import (
    HTTP_303_SEE_OTHER,
    HTTP_400_BAD_REQUEST,
    HTTP_429_TOO_MANY_REQUESTS,
)

from student_registry.domain.accounts import Accounts
from student_registry.errors import InvalidCredentials, TooManyAttempts
from student_registry.security.sessions import start_session
from student_registry.web.errors import explain_error

# A local path: one slash then not a slash or backslash (//host and /\host leave the site).
_LOCAL_PATH = re.compile(r"/(?![/\\])[^\s\x00-\x1f\x7f]*")
FIRST_USER_COMMAND = "docker compose exec api student-registry users create EMAIL --role admin"


def local_path(target: str) -> str:
    """`target` when it is a path on this site, else the list of students."""
    return target if _LOCAL_PATH.fullmatch(target) else "/"


class LoginController(Controller):
    """The sign-in form, and signing out."""

    include_in_schema = False

    async def _form(
        self,
        accounts: Accounts,
        *,
        next_path: str,
        email: str = "",
        error: str = "",
        status_code: int = 200,
        headers: dict[str, str] | None = None,
    ) -> Template:
        return Template(
            template_name="login.html",
            status_code=status_code,
            headers=headers,
            context={
                "next": local_path(next_path),
                "email": email,
                "error": error,
                "has_users": await accounts.has_users(),
                "first_user_command": FIRST_USER_COMMAND,
            },
        )

    @get("/login", name="login")
    async def login_form(
        self,
        accounts: NamedDependency[Accounts],
        next_path: Annotated[str, QueryParameter(name="next", max_length=2048)] = "/",
    ) -> Template:
        """The sign-in form; until a user exists, the command that creates the first one."""
        return await self._form(accounts, next_path=next_path)

    @post("/login", name="sign-in")
    async def sign_in(
        self,
        request: Request[Any, Any, Any],
        accounts: NamedDependency[Accounts],
        data: URLEncodedBody[dict[str, str]],
    ) -> Template | Redirect:
        """Check the credentials; on success a new session and a redirect to `next`."""
        email = str(data.get("email", "")).strip()
        next_path = str(data.get("next", "/"))
        address = request.client.host if request.client else "unknown"
        try:
            user = await accounts.sign_in(email, str(data.get("password", "")), address=address)
        except InvalidCredentials as exc:
            return await self._form(
                accounts,
                next_path=next_path,
                email=email,
                error=explain_error(exc),
                status_code=HTTP_400_BAD_REQUEST,
            )
        except TooManyAttempts as exc:
            return await self._form(
                accounts,
                next_path=next_path,
                email=email,
                error=explain_error(exc),
                status_code=HTTP_429_TOO_MANY_REQUESTS,
                headers={"Retry-After": str(exc.retry_after)},
            )
        max_seconds: int = request.app.state.session_max_seconds
        session_id = await accounts.open_session(user, ttl_seconds=max_seconds)
        start_session(
            request,
            session_id,
            {"email": user.email, "role": user.role, "signed_in": int(time.time())},
        )
        return Redirect(path=local_path(next_path), status_code=HTTP_303_SEE_OTHER)

    @post("/logout", name="sign-out")
    async def sign_out(self, request: Request[Any, Any, Any]) -> Redirect:
        """End the session."""
        request.clear_session()
        return Redirect(path="/login", status_code=HTTP_303_SEE_OTHER)
