"""Fixtures shared by the tiers that need a real Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import redis
from hypothesis import settings as hypothesis_settings
from litestar import Litestar
from litestar.testing import AsyncTestClient

from student_registry.app import create_app
from student_registry.settings import Settings
from tests.accounts import ADMIN_EMAIL, SESSION_COOKIE, Credentials, sign_up
from tests.redis_server import RedisServer

# A shared machine can stall a process for a good part of a second: property tests judge what
# the code does, never how fast (the benchmarks in bench/ measure that).
hypothesis_settings.register_profile("suite", deadline=None)
hypothesis_settings.load_profile("suite")


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """One redis-server for the session, on a free port. DEBUG is allowed from loopback: tests
    hold the server busy with DEBUG SLEEP, in wall-clock time whatever the machine's load."""
    server = RedisServer(extra_args=["--enable-debug-command", "local"])
    server.start()
    yield server
    server.cleanup()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The URL of an empty database; the server is running and flushed before each test."""
    if redis_server.process is None:
        redis_server.start()
    client = redis.Redis.from_url(redis_server.url)
    client.flushall()
    client.close()
    return redis_server.url


@pytest.fixture
def settings(redis_url: str) -> Settings:
    """Settings pointing at the test Redis."""
    return Settings(redis_url=redis_url, secret_key="test-secret-key-0123456789", redis_timeout=1.0)


@pytest.fixture
def app(settings: Settings) -> Litestar:
    """The application under test."""
    return create_app(settings)


@pytest.fixture
async def admin(redis_url: str) -> Credentials:
    """An administrator of the empty database, with an API token and a page session."""
    return await sign_up(redis_url, ADMIN_EMAIL, "admin")


@pytest.fixture
async def client(app: Litestar, admin: Credentials) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """An HTTP client talking to the app in-process, lifespan included, as an administrator:
    its token on the API, its session on the pages."""
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as test_client:
        test_client.headers["Authorization"] = f"Bearer {admin.token}"
        test_client.cookies.set(SESSION_COOKIE, admin.session_id, domain="testserver.local")
        yield test_client


@pytest.fixture
async def anonymous_client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """An HTTP client with no credentials at all, not following redirects."""
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as test_client:
        test_client.follow_redirects = False
        yield test_client


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark browser tests so they can be selected or left out with -m."""
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
