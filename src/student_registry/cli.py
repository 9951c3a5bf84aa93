"""The command line: a thin client of the same service layer as the API."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer

from student_registry.settings import Settings, SettingsError

T = TypeVar("T")

app = typer.Typer(
    help="Student Registry: register a school's students in Redis.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)


@app.callback()
def root() -> None:
    """Student Registry: register a school's students in Redis."""


RedisUrl = Annotated[
    str | None,
    typer.Option("--redis-url", envvar="REDIS_URL", help="Redis to use.", show_envvar=True),
]


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print one clear line on stderr and return the exit to raise."""
    typer.secho(f"Error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code)


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment and options, or exit with the reason."""
    try:
        return Settings.from_env(**overrides)
    except SettingsError as exc:
        raise fail(str(exc), 2) from None


def run(coro_fn: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion, turning an unreachable store into one clear line."""
    from student_registry.errors import StoreUnavailable

    async def main() -> T:
        return await coro_fn()

    try:
        return asyncio.run(main())
    except StoreUnavailable as exc:
        raise fail(f"{exc}. Is Redis running? Check --redis-url or REDIS_URL.") from None


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on [env: HOST].")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on [env: PORT].")] = None,
    workers: Annotated[
        int | None, typer.Option(help="Worker processes [env: WEB_CONCURRENCY; default: CPUs].")
    ] = None,
) -> None:
    """Run the production web server (granian).

    Example: [bold]student-registry serve --host 0.0.0.0 --port 5000[/]
    """
    from granian import Granian
    from granian.constants import Interfaces

    from student_registry.logs import logging_config

    settings = load_settings(host=host, port=port, workers=workers).with_secret()
    # Workers are separate processes that read the environment; they must share one secret.
    os.environ["SECRET_KEY"] = settings.secret_key
    Granian(
        target="student_registry.app:create_served_app",
        factory=True,
        address=settings.host,
        port=settings.port,
        workers=settings.workers,
        interface=Interfaces.ASGI,
        log_dictconfig=logging_config(settings.log_level),
        respawn_failed_workers=True,
        backlog=2048,
    ).serve()


def main() -> None:
    """Entry point of the `student-registry` command."""
    app()
