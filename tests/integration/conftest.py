"""Fixtures of the integration tier: a store, the service, and a truly concurrent client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from litestar import Litestar

from student_registry.domain.service import Registry
from student_registry.store.redis_store import RedisStore, connect


@pytest.fixture
async def store(redis_url: str) -> AsyncIterator[RedisStore]:
    """A store over the flushed test database, with its own connections."""
    store = RedisStore(connect(redis_url, timeout=2.0))
    yield store
    await store.close()


@pytest.fixture
def registry(store: RedisStore) -> Registry:
    """The service over the test store."""
    return Registry(store)


@pytest.fixture
async def concurrent_client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose requests interleave on the test's event loop.

    Litestar's test client runs one request at a time in a portal thread; this one calls the
    app directly, so requests gathered together really overlap on their Redis calls.
    """
    async with (
        app.lifespan(),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver.local"
        ) as client,
    ):
        yield client
