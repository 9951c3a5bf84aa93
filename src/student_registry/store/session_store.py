"""The page sessions' store: Litestar's Redis store on the service's client, failing like it."""

from __future__ import annotations

from datetime import timedelta

from litestar.stores.redis import RedisStore as LitestarRedisStore
from redis.asyncio import Redis

from student_registry.store import keys
from student_registry.store.redis_store import _translate_errors


class SessionStore(LitestarRedisStore):
    """Sessions as strings ``keys.session_namespace():<id>``; an unreachable Redis is a 503."""

    def __init__(self, client: Redis) -> None:
        super().__init__(client, namespace=keys.session_namespace())

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        """A session's data, renewing its idle expiry."""
        with _translate_errors():
            return await super().get(key, renew_for=renew_for)

    async def set(
        self, key: str, value: str | bytes, expires_in: int | timedelta | None = None
    ) -> None:
        """Write a session."""
        with _translate_errors():
            await super().set(key, value, expires_in=expires_in)

    async def delete(self, key: str) -> None:
        """Delete a session."""
        with _translate_errors():
            await super().delete(key)
