"""Pages for one's API tokens, and for administrators the users."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template
from litestar.status_codes import (
    HTTP_303_SEE_OTHER,
    HTTP_409_CONFLICT,
    HTTP_422_UNPROCESSABLE_ENTITY,
)

from student_registry.domain.accounts import (
    ROLES,
    Accounts,
    Actor,
    TokenCreate,
    TokenCreated,
    UserCreate,
    UserPatch,
)
from student_registry.errors import InvalidAccount, OwnAdminRights, UserExists
from student_registry.security.guards import ROLE
from student_registry.web.errors import explain_error
from student_registry.web.i18n import gettext as _

FormData = URLEncodedBody[dict[str, str]]
ANYONE = {ROLE: "viewer"}
ADMIN = {ROLE: "admin"}


def _actor(request: Request[Any, Any, Any]) -> Actor:
    actor: Actor = request.user
    return actor


class AccountPageController(Controller):
    """One's tokens; the users, for administrators."""

    include_in_schema = False

    async def _tokens_page(
        self,
        request: Request[Any, Any, Any],
        accounts: Accounts,
        *,
        created: TokenCreated | None = None,
        error: str = "",
        status_code: int = 200,
    ) -> Template:
        tokens = await accounts.list_tokens(_actor(request).email)
        return Template(
            template_name="tokens.html",
            status_code=status_code,
            context={"tokens": tokens, "created": created, "error": error},
        )

    @get("/tokens", name="tokens", opt=ANYONE)
    async def tokens(
        self, request: Request[Any, Any, Any], accounts: NamedDependency[Accounts]
    ) -> Template:
        """One's API tokens, and the form to create one."""
        return await self._tokens_page(request, accounts)

    @post("/tokens", name="create-token", opt=ANYONE)
    async def create_token(
        self, request: Request[Any, Any, Any], accounts: NamedDependency[Accounts], data: FormData
    ) -> Template:
        """Create a token and show its secret, this once."""
        try:
            days = int(str(data.get("days", "90")) or 90)
            name = str(data.get("name", "")).strip()
            if not name or not 1 <= days <= 365:
                raise ValueError
        except ValueError:
            return await self._tokens_page(
                request,
                accounts,
                error=_("Give the token a name, and a number of days from 1 to 365."),
                status_code=HTTP_422_UNPROCESSABLE_ENTITY,
            )
        spec = TokenCreate(name=name[:100], days=days, read_only=data.get("read_only") == "true")
        created = await accounts.create_token(_actor(request).email, spec)
        return await self._tokens_page(request, accounts, created=created)

    @post("/tokens/{token_id:str}/revoke", name="revoke-token", opt=ANYONE)
    async def revoke_token(
        self,
        request: Request[Any, Any, Any],
        accounts: NamedDependency[Accounts],
        token_id: FromPath[str],
    ) -> Redirect:
        """Revoke one of one's tokens."""
        await accounts.revoke_token(token_id, owner=_actor(request).email)
        return Redirect(path="/tokens", status_code=HTTP_303_SEE_OTHER)

    async def _users_page(
        self, accounts: Accounts, *, notice: str = "", error: str = "", status_code: int = 200
    ) -> Template:
        return Template(
            template_name="users.html",
            status_code=status_code,
            context={
                "users": await accounts.list_users(),
                "roles": ROLES,
                "notice": notice,
                "error": error,
                "min_length": accounts.password_min_length,
            },
        )

    @get("/users", name="users", opt=ADMIN)
    async def users(self, accounts: NamedDependency[Accounts]) -> Template:
        """Every user, with controls to create one and change roles and states."""
        return await self._users_page(accounts)

    @post("/users", name="create-user", opt=ADMIN)
    async def create_user(self, accounts: NamedDependency[Accounts], data: FormData) -> Template:
        """Create a user from the form."""
        role = str(data.get("role", "viewer"))
        spec = UserCreate(
            email=str(data.get("email", "")),
            password=str(data.get("password", "")),
            role=role if role in ROLES else "viewer",
        )
        try:
            await accounts.create_user(spec)
        except (InvalidAccount, UserExists) as exc:
            status = HTTP_409_CONFLICT if isinstance(exc, UserExists) else 422
            return await self._users_page(accounts, error=explain_error(exc), status_code=status)
        return await self._users_page(
            accounts, notice=_("Created {email}.").format(email=spec.email.strip())
        )

    @post("/users/{email:str}", name="update-user", opt=ADMIN)
    async def update_user(
        self,
        request: Request[Any, Any, Any],
        accounts: NamedDependency[Accounts],
        email: FromPath[str],
        data: FormData,
    ) -> Redirect | Template:
        """Change a user's role or state; their sessions and tokens end."""
        role = data.get("role")
        disabled = data.get("disabled")
        patch = UserPatch()
        if role in ROLES:
            patch.role = role
        if disabled in ("true", "false"):
            patch.disabled = disabled == "true"
        try:
            await accounts.update_user(email, patch, by=_actor(request).email)
        except OwnAdminRights as exc:
            return await self._users_page(
                accounts, error=explain_error(exc), status_code=HTTP_409_CONFLICT
            )
        return Redirect(path="/users", status_code=HTTP_303_SEE_OTHER)
