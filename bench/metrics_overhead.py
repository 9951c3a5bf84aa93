"""What the metrics add to a request and to a Redis command, in microseconds, in-process.

Times GET /healthz and GET /api/v1/students/{id} (against a redis-server it starts) through
the whole application, and the retry wrapper around a no-op Redis command, each with and
without the metrics, the values kept in multi-process mode as `serve` runs them. A load test on
a shared machine cannot see a few microseconds; this can. Needs redis-server; takes a minute.

    uv run python bench/metrics_overhead.py [--calls 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

# prometheus_client picks its storage when first imported, as in a worker of `serve`.
os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="bench-metrics-")

import httpx
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff

import student_registry.app
from harness import Processes, start_redis, stop_on_signals
from student_registry.app import create_app
from student_registry.domain.accounts import Accounts, TokenCreate, UserCreate
from student_registry.settings import Settings
from student_registry.store.accounts_store import AccountsStore
from student_registry.store.client import CountedRetry, connect

ROUNDS = 7


def scope(
    path: str = "/healthz", headers: list[tuple[bytes, bytes]] | None = None
) -> dict[str, Any]:
    """A new GET request."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"localhost"), *(headers or [])],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 5000),
        "state": {},
    }


def application(redis_url: str, *, metrics: bool) -> Any:
    """The service's app, with or without the request-counting middleware."""
    settings = Settings(redis_url=redis_url, secret_key="bench-secret-key-not-for-production")
    if metrics:
        return create_app(settings)
    counting = student_registry.app.count_requests
    student_registry.app.count_requests = lambda app: app  # type: ignore[assignment]
    try:
        return create_app(settings)
    finally:
        student_registry.app.count_requests = counting


async def receive() -> Any:
    """Nothing to read."""
    return {"type": "http.request", "body": b""}


async def send(message: Any) -> None:
    """Drop the message."""


async def per_call(
    without: Callable[[], Awaitable[Any]], with_metrics: Callable[[], Awaitable[Any]], calls: int
) -> tuple[float, float]:
    """Microseconds a call takes without and with the metrics: the best of rounds taken in
    turns, so that a busy moment of the machine weighs on both alike."""
    best = [float("inf"), float("inf")]
    for _ in range(ROUNDS):
        for which, call in enumerate((without, with_metrics)):
            started = time.perf_counter()
            for _ in range(calls):
                await call()
            best[which] = min(best[which], (time.perf_counter() - started) / calls * 1e6)
    return best[0], best[1]


async def main(calls: int, redis_url: str) -> None:
    """Print the cost of each, with and without the metrics."""
    plain = application(redis_url, metrics=False)
    counted = application(redis_url, metrics=True)
    plain_retry = Retry(ExponentialBackoff(cap=0.2, base=0.02), retries=2)
    counted_retry = CountedRetry(ExponentialBackoff(cap=0.2, base=0.02), retries=2)

    async def command() -> str:
        return "PONG"

    async def fail(error: Exception) -> None:
        """Never called: the command does not fail."""

    async with plain.lifespan(), counted.lifespan():
        # The API asks for a token, as clients send it.
        client = connect(redis_url)
        accounts = Accounts(AccountsStore(client))
        await accounts.create_user(
            UserCreate(email="bench@example.org", password="bench pass phrase", role="staff")
        )
        token = (await accounts.create_token("bench@example.org", TokenCreate(name="b"))).token
        await client.aclose()
        bearer = [(b"authorization", f"Bearer {token}".encode())]
        seed = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=plain),
            base_url="http://b",
            headers={"Authorization": f"Bearer {token}"},
        )
        body = {"id": "bench-1", "first_name": "Ana", "last_name": "Lopez"}
        body |= {"birth_date": "2009-04-17", "course": "3eB"}
        assert (await seed.post("/api/v1/students", json=body)).status_code == 201
        await seed.aclose()
        one = "/api/v1/students/bench-1"
        rows = [
            (
                "GET /healthz (whole app)",
                *await per_call(
                    lambda: plain(scope(), receive, send),
                    lambda: counted(scope(), receive, send),
                    calls,
                ),
            ),
            (
                "GET one student (token, Redis)",
                *await per_call(
                    lambda: plain(scope(one, bearer), receive, send),
                    lambda: counted(scope(one, bearer), receive, send),
                    calls // 4,
                ),
            ),
            (
                "Redis command (retry wrapper)",
                *await per_call(
                    lambda: plain_retry.call_with_retry(command, fail),
                    lambda: counted_retry.call_with_retry(command, fail),
                    calls,
                ),
            ),
        ]
    print(f"{calls:,} calls a round ({calls // 4:,} with Redis), best of {ROUNDS} rounds each,")
    print("microseconds per call")
    print(f"| {'what':<30} | {'without':>8} | {'with':>8} | {'added':>8} |")
    print(f"|{'-' * 32}|{'-' * 10}|{'-' * 10}|{'-' * 10}|")
    for label, without, with_metrics in rows:
        added = with_metrics - without
        print(f"| {label:<30} | {without:8.2f} | {with_metrics:8.2f} | {added:8.2f} |")


def run(calls: int) -> None:
    """Start a redis-server, measure, stop it."""
    stop_on_signals()
    work = Path(tempfile.mkdtemp(prefix="bench-metrics-redis-"))
    with Processes(work) as procs:
        redis_url, client = start_redis(procs, work / "data")
        client.close()
        asyncio.run(main(calls, redis_url))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=100_000, help="calls per round")
    run(parser.parse_args().calls)
