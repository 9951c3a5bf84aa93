"""JSON routes over API tokens (one's own; an administrator's reach everyone's), and /me."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from student_registry.api.guards import require_json
from student_registry.api.problems import problem_responses
from student_registry.domain.accounts import Accounts, Actor, Me, Token, TokenCreate, TokenCreated
from student_registry.errors import Forbidden
from student_registry.security.guards import ROLE

ANYONE = {ROLE: "viewer"}
MAX_JSON_BODY = 16 * 1024


def actor_of(request: Request[Any, Any, Any]) -> Actor:
    """Who the guards found acting on this request."""
    actor: Actor = request.user
    return actor


@get(
    "/api/v1/me",
    tags=["tokens"],
    summary="Who am I",
    opt=ANYONE,
    responses=problem_responses(401, 503),
)
async def me(request: Request[Any, Any, Any]) -> Me:
    """The token's owner: email and role."""
    actor = actor_of(request)
    return Me(email=actor.email, role=actor.role)


class TokenController(Controller):
    """One's API tokens: create (the secret is shown once), list, revoke."""

    path = "/api/v1/tokens"
    tags = ["tokens"]  # noqa: RUF012  (the base class declares it as an instance attribute)
    opt = ANYONE

    @post(
        status_code=HTTP_201_CREATED,
        before_request=require_json,
        request_max_body_size=MAX_JSON_BODY,
        summary="Create a token",
        responses=problem_responses(401, 403, 415, 422, 503),
    )
    async def create_token(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[TokenCreate],
        accounts: NamedDependency[Accounts],
    ) -> Response[TokenCreated]:
        """A new token for the caller: `srg_...`, shown only in this answer."""
        created = await accounts.create_token(actor_of(request).email, data)
        return Response(created, status_code=HTTP_201_CREATED)

    @get(summary="List tokens", responses=problem_responses(401, 403, 503))
    async def list_tokens(
        self,
        request: Request[Any, Any, Any],
        accounts: NamedDependency[Accounts],
        everyone: Annotated[
            bool, QueryParameter(name="all", description="Everyone's (administrators).")
        ] = False,
    ) -> list[Token]:
        """The caller's tokens, without their secrets; with all=true, everyone's (admin)."""
        actor = actor_of(request)
        if everyone and actor.role != "admin":
            raise Forbidden("Only an administrator sees everyone's tokens.")
        return await accounts.list_tokens(None if everyone else actor.email)

    @delete(
        "/{token_id:str}",
        status_code=HTTP_204_NO_CONTENT,
        summary="Revoke a token",
        responses=problem_responses(401, 403, 404, 503),
    )
    async def revoke_token(
        self,
        request: Request[Any, Any, Any],
        token_id: FromPath[str],
        accounts: NamedDependency[Accounts],
    ) -> None:
        """Revoke one of the caller's tokens (an administrator: anyone's). 404 otherwise."""
        actor = actor_of(request)
        await accounts.revoke_token(token_id, owner=None if actor.role == "admin" else actor.email)
