"""Opening the store the settings name: one Redis, or the primary its Sentinels name."""

from __future__ import annotations

import redis
from redis.asyncio import Redis

from student_registry.settings import Settings
from student_registry.store.client import connect, connect_blocking
from student_registry.store.redis_store import Durability, RedisStore


def open_client(settings: Settings, *, timeout: float | None = None) -> Redis:
    """A Redis client for these settings: through the Sentinels when there are some."""
    return connect(
        settings.redis_url,
        timeout=timeout or settings.redis_timeout,
        password=settings.redis_password(),
        sentinels=settings.sentinel_addresses,
        master=settings.redis_sentinel_master,
    )


def open_blocking_client(settings: Settings) -> redis.Redis:
    """A synchronous client for these settings, as open_client connects (the metrics server)."""
    return connect_blocking(
        settings.redis_url,
        timeout=settings.redis_timeout,
        password=settings.redis_password(),
        sentinels=settings.sentinel_addresses,
        master=settings.redis_sentinel_master,
    )


def open_store(settings: Settings, *, timeout: float | None = None) -> RedisStore:
    """The store for these settings, its writes as durable as they ask."""
    durability = Durability(
        min_replicas=settings.redis_min_replicas,
        replica_timeout=settings.redis_replica_timeout,
        # Without Sentinels no other primary will come: answer 503 at once.
        failover_timeout=settings.redis_failover_timeout if settings.redis_sentinels else 0.0,
    )
    return RedisStore(
        open_client(settings, timeout=timeout),
        durability,
        audit_retention_days=settings.audit_retention_days,
        year_start=settings.year_start,
    )
