"""JSON routes over users, for administrators: list, create, change role or state."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from student_registry.api.guards import require_json
from student_registry.api.problems import problem_responses
from student_registry.api.tokens import actor_of
from student_registry.domain.accounts import Accounts, User, UserCreate, UserPatch
from student_registry.security.guards import ROLE

ADMIN = {ROLE: "admin"}
MAX_JSON_BODY = 16 * 1024


class UserController(Controller):
    """Users who sign in, and their roles."""

    path = "/api/v1/users"
    tags = ["users"]  # noqa: RUF012  (the base class declares it as an instance attribute)
    opt = ADMIN

    @get(summary="List users", responses=problem_responses(401, 403, 503))
    async def list_users(self, accounts: NamedDependency[Accounts]) -> list[User]:
        """Every user, by email."""
        return await accounts.list_users()

    @post(
        status_code=HTTP_201_CREATED,
        before_request=require_json,
        request_max_body_size=MAX_JSON_BODY,
        summary="Create a user",
        responses=problem_responses(401, 403, 409, 415, 422, 503),
    )
    async def create_user(
        self, data: JSONBody[UserCreate], accounts: NamedDependency[Accounts]
    ) -> Response[User]:
        """Create a user with a role (viewer by default). 409 when the email is taken."""
        user = await accounts.create_user(data)
        assert user is not None
        return Response(user, status_code=HTTP_201_CREATED)

    @patch(
        "/{email:str}",
        before_request=require_json,
        request_max_body_size=MAX_JSON_BODY,
        summary="Change a user's role or state",
        responses=problem_responses(401, 403, 404, 409, 415, 422, 503),
    )
    async def update_user(
        self,
        request: Request[Any, Any, Any],
        email: FromPath[str],
        data: JSONBody[UserPatch],
        accounts: NamedDependency[Accounts],
    ) -> User:
        """Set `role` or `disabled`; either ends all the user's sessions and tokens at once.

        409 when an admin would take away their own admin role or disable themselves."""
        return await accounts.update_user(email, data, by=actor_of(request).email)
