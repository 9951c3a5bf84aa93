"""Probes, and a Redis that is missing at startup or stops mid-run and comes back."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from student_registry.app import create_app
from student_registry.settings import Settings
from student_registry.store.redis_store import RedisStore
from tests.accounts import ADMIN_EMAIL, sign_up
from tests.builders import API, student_body
from tests.integration.support import assert_indexes_consistent, assert_problem
from tests.redis_server import RedisServer, free_port

Client = AsyncTestClient[Litestar]


def assert_unavailable(response: httpx.Response) -> None:
    """A 503 problem with Retry-After that leaks nothing of Redis's own error."""
    assert_problem(response, 503)
    assert int(response.headers["retry-after"]) > 0
    assert "127.0.0.1" not in response.text
    assert "Error 111" not in response.text


async def sign_in_again(client: Client, redis_server: RedisServer) -> None:
    """A new token for the client: the test Redis keeps no data across a restart, users
    and tokens included."""
    admin = await sign_up(redis_server.url, ADMIN_EMAIL, "admin")
    client.headers["Authorization"] = f"Bearer {admin.token}"


@pytest.fixture
def stopped_redis(redis_server: RedisServer) -> Iterator[RedisServer]:
    """The test Redis, started again after the test whatever happens."""
    yield redis_server
    if redis_server.process is None:
        redis_server.start()


@pytest.fixture
def unreachable_settings() -> Settings:
    """Settings naming a port where nothing listens."""
    return Settings(
        redis_url=f"redis://127.0.0.1:{free_port()}/0",
        secret_key="test-secret-key-0123456789",
        redis_timeout=0.5,
    )


async def test_healthz_answers_200(client: Client) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_answers_200_when_redis_answers(client: Client) -> None:
    assert (await client.get("/readyz")).status_code == 200


async def test_startup_with_redis_unreachable_succeeds_and_says_how_to_fix_it(
    unreachable_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(unreachable_settings)
    with caplog.at_level(logging.WARNING, logger="student_registry.app"):
        async with AsyncTestClient(app=app) as client:
            # A token cannot be checked without Redis either: 503, not 401.
            client.headers["Authorization"] = "Bearer srg_" + "x" * 43
            [warning] = [r for r in caplog.records if r.name == "student_registry.app"]
            assert "REDIS_URL" in warning.getMessage()
            assert unreachable_settings.redis_url in warning.getMessage()
            assert (await client.get("/healthz")).status_code == 200
            assert_unavailable(await client.get("/readyz"))
            assert_unavailable(await client.get(API))
            assert_unavailable(await client.post(API, json=student_body()))
            assert_unavailable(await client.get(f"{API}/s1"))


async def test_requests_needing_redis_get_503_while_it_is_stopped_and_work_again_after(
    client: Client, stopped_redis: RedisServer
) -> None:
    assert (await client.post(API, json=student_body(id="before"))).status_code == 201
    stopped_redis.stop()

    assert (await client.get("/healthz")).status_code == 200
    assert_unavailable(await client.get("/readyz"))
    assert_unavailable(await client.get(API))
    assert_unavailable(await client.get(API, params={"q": "elo"}))
    assert_unavailable(await client.get(f"{API}/before"))
    assert_unavailable(await client.post(API, json=student_body(id="during")))
    assert_unavailable(await client.patch(f"{API}/before", json={"course": "4e"}))
    assert_unavailable(await client.delete(f"{API}/before"))
    assert (await client.get("/healthz")).status_code == 200

    stopped_redis.start()
    await sign_in_again(client, stopped_redis)
    assert (await client.get("/readyz")).status_code == 200
    created = await client.post(API, json=student_body(id="after", email="a@b.org"))
    assert created.status_code == 201, created.text
    assert (await client.patch(f"{API}/after", json={"course": "4e"})).status_code == 200
    assert (await client.get(API)).json()["total"] == 1
    assert (await client.get(API, params={"q": "elo"})).json()["total"] == 1
    assert (await client.delete(f"{API}/after")).status_code == 204


async def test_redis_can_go_away_and_come_back_more_than_once(
    client: Client, stopped_redis: RedisServer
) -> None:
    for round_number in range(2):
        stopped_redis.stop()
        assert_unavailable(await client.post(API, json=student_body()))
        stopped_redis.start()
        await sign_in_again(client, stopped_redis)
        response = await client.post(API, json=student_body(id=f"r{round_number}"))
        assert response.status_code == 201


async def test_unavailable_store_is_logged_without_a_traceback(
    client: Client, stopped_redis: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    stopped_redis.stop()
    with caplog.at_level(logging.WARNING):
        assert_unavailable(await client.get(API))
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("unavailable" in r.getMessage() for r in caplog.records)


async def test_redis_out_of_memory_is_a_503_and_writes_nothing(
    client: Client, store: RedisStore
) -> None:
    assert (await client.post(API, json=student_body(id="before"))).status_code == 201
    await store.client.config_set("maxmemory", "1")
    try:
        other = student_body(id="during", birth_date="2010-01-02")
        assert_unavailable(await client.post(API, json=other))
        assert (await client.get(f"{API}/before")).status_code == 200
    finally:
        await store.client.config_set("maxmemory", "0")
    assert list(await assert_indexes_consistent(store)) == ["before"]
