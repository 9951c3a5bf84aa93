"""The operator's account commands: `users ...` and `tokens ...`, straight against Redis."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from student_registry.cli_base import fail, load_settings, run

if TYPE_CHECKING:
    from student_registry.domain.accounts import Accounts

T = TypeVar("T")

users_app = typer.Typer(help="Manage the users who sign in.", no_args_is_help=True)
tokens_app = typer.Typer(help="Manage API tokens.", no_args_is_help=True)

RedisUrl = Annotated[
    str | None,
    typer.Option("--redis-url", envvar="REDIS_URL", help="Redis to use.", show_envvar=True),
]
Email = Annotated[str, typer.Argument(help="The user's email.", show_default=False)]
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from one line of stdin.")
]


def _with_accounts(redis_url: str | None, work: Callable[[Accounts], Awaitable[T]]) -> T:
    """Run work against the accounts of this Redis; domain errors become one line and exit 1."""
    from student_registry.connection import open_client
    from student_registry.domain.accounts import Accounts
    from student_registry.errors import InvalidAccount, RegistryError
    from student_registry.store.accounts_store import AccountsStore
    from student_registry.store.client import close

    settings = load_settings(redis_url=redis_url)

    async def main() -> T:
        client = open_client(settings)
        try:
            accounts = Accounts(
                AccountsStore(client, audit_retention_days=settings.audit_retention_days),
                password_min_length=settings.password_min_length,
            )
            return await work(accounts)
        finally:
            await close(client)

    try:
        return run(main)
    except InvalidAccount as exc:
        raise fail("; ".join(f"{e.path} {e.message}" for e in exc.errors)) from None
    except RegistryError as exc:
        raise fail(str(exc)) from None


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@users_app.command("create")
def create_user(
    email: Email,
    role: Annotated[str, typer.Option(help="viewer, staff or admin.")] = "viewer",
    password_stdin: PasswordStdin = False,
    redis_url: RedisUrl = None,
) -> None:
    """Create a user; asks for the password twice, without echo.

    The first administrator: [bold]student-registry users create admin@school.example --role
    admin[/]
    """
    from student_registry.domain.accounts import ROLES, UserCreate

    if role not in ROLES:
        raise fail("--role must be viewer, staff or admin.", 2)
    password = _read_password(password_stdin)
    data = UserCreate(email=email, password=password, role=role)
    _with_accounts(redis_url, lambda accounts: accounts.create_user(data))
    typer.echo(f"Created {email} ({role}).", err=True)


@users_app.command("list")
def list_users(redis_url: RedisUrl = None) -> None:
    """Every user: email, role, and whether disabled."""
    for user in _with_accounts(redis_url, lambda accounts: accounts.list_users()):
        state = "disabled" if user.disabled else "enabled"
        typer.echo(f"{user.email}\t{user.role}\t{state}")


def _patch(email: str, redis_url: str | None, **change: object) -> None:
    from student_registry.domain.accounts import UserPatch

    patch = UserPatch(**change)  # type: ignore[arg-type]
    user = _with_accounts(redis_url, lambda accounts: accounts.update_user(email, patch))
    state = "disabled" if user.disabled else "enabled"
    typer.echo(f"{user.email}: {user.role}, {state}; their sessions and tokens ended.", err=True)


@users_app.command("disable")
def disable_user(email: Email, redis_url: RedisUrl = None) -> None:
    """Disable a user: they cannot sign in, and their sessions and tokens end now."""
    _patch(email, redis_url, disabled=True)


@users_app.command("enable")
def enable_user(email: Email, redis_url: RedisUrl = None) -> None:
    """Enable a disabled user again."""
    _patch(email, redis_url, disabled=False)


@users_app.command("set-role")
def set_role(
    email: Email,
    role: Annotated[str, typer.Argument(help="viewer, staff or admin.", show_default=False)],
    redis_url: RedisUrl = None,
) -> None:
    """Change a user's role; their sessions and tokens end."""
    from student_registry.domain.accounts import ROLES

    if role not in ROLES:
        raise fail("the role must be viewer, staff or admin.", 2)
    _patch(email, redis_url, role=role)


@users_app.command("set-password")
def set_password(
    email: Email, password_stdin: PasswordStdin = False, redis_url: RedisUrl = None
) -> None:
    """Give a user a new password (asked twice, without echo); their sessions and tokens end."""
    password = _read_password(password_stdin)
    _with_accounts(redis_url, lambda accounts: accounts.set_password(email, password))
    typer.echo(f"Changed the password of {email}.", err=True)


@tokens_app.command("create")
def create_token(
    email: Email,
    name: Annotated[str, typer.Option("--name", help="What the token is for.")],
    days: Annotated[int, typer.Option(min=1, max=365, help="Days until it expires.")] = 90,
    read_only: Annotated[bool, typer.Option("--read-only", help="It may only read.")] = False,
    redis_url: RedisUrl = None,
) -> None:
    """Create an API token for a user and print it alone, so a script can capture it.

    Example: [bold]TOKEN=$(student-registry tokens create ci@school.example --name ci)[/]
    """
    from student_registry.domain.accounts import TokenCreate

    data = TokenCreate(name=name, days=days, read_only=read_only)
    created = _with_accounts(redis_url, lambda accounts: accounts.create_token(email, data))
    typer.echo(created.token)
    typer.echo(f"Token {created.id} expires {created.expires_at:%Y-%m-%d}.", err=True)


@tokens_app.command("list")
def list_tokens(
    email: Annotated[str | None, typer.Argument(help="Only this user's tokens.")] = None,
    redis_url: RedisUrl = None,
) -> None:
    """API tokens (never their secrets): id, owner, name, expiry, read-only."""
    for token in _with_accounts(redis_url, lambda accounts: accounts.list_tokens(email)):
        mode = "read-only" if token.read_only else "read-write"
        typer.echo(f"{token.id}\t{token.owner}\t{token.name}\t{token.expires_at:%Y-%m-%d}\t{mode}")


@tokens_app.command("revoke")
def revoke_token(
    token_id: Annotated[str, typer.Argument(metavar="ID", help="The token's id.")],
    redis_url: RedisUrl = None,
) -> None:
    """Revoke an API token by its id: it is refused from now on."""
    _with_accounts(redis_url, lambda accounts: accounts.revoke_token(token_id))
    typer.echo(f"Revoked {token_id}.", err=True)
