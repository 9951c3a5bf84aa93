"""Fixtures of the integration tier: a store, the service, and a truly concurrent client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from litestar import Litestar

from student_registry.domain.service import Registry
from student_registry.store.client import connect
from student_registry.store.redis_store import RedisStore
from tests.accounts import Credentials


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
async def concurrent_client(app: Litestar, admin: Credentials) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose requests interleave on the test's event loop.

    Litestar's test client runs one request at a time in a portal thread; this one calls the
    app directly, so requests gathered together really overlap on their Redis calls.
    """
    started, stop = asyncio.Event(), asyncio.Event()

    async def serve() -> None:
        # The lifespan is entered and left in this one task, as anyio's scopes require.
        async with app.lifespan():
            started.set()
            await stop.wait()

    server = asyncio.create_task(serve())
    ready = asyncio.create_task(started.wait())
    await asyncio.wait({server, ready}, return_when=asyncio.FIRST_COMPLETED)
    if server.done():
        ready.cancel()
        server.result()
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {admin.token}"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver.local", headers=headers
    ) as client:
        yield client
    stop.set()
    await server
