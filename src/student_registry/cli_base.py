"""What every command shares: a bad setting or an error is one line and an exit code, and
the work runs as the command line's actor (audit)."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import typer

from student_registry.settings import Settings, SettingsError

T = TypeVar("T")


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
    from student_registry.domain.audit import act_as, begin_request, cli_actor
    from student_registry.errors import StoreUnavailable

    # What the command has imported lives until it exits: spare the collector from scanning it
    # again at each full collection and at the exit.
    gc.freeze()

    async def main() -> T:
        begin_request()
        act_as(cli_actor())
        return await coro_fn()

    try:
        return asyncio.run(main())
    except StoreUnavailable as exc:
        raise fail(f"{exc}. Is Redis running? Check --redis-url or REDIS_URL.") from None
