"""How long a write's outcome is kept for a retry of it to find: the client's retry window."""

from __future__ import annotations

from student_registry.store.client import connect, outcome_lifetime_ms, retry_window
from student_registry.store.redis_store import RedisStore


def test_the_retry_window_covers_every_attempt_with_its_connection_and_backoff() -> None:
    # 3 attempts of (2 s to connect + 5 s for the handshake + 5 s for the reply), 2 backoffs.
    assert retry_window(socket_timeout=5, connect_timeout=2) == 3 * 12 + 2 * 0.2


def test_an_outcome_outlives_the_retry_window_by_one_socket_timeout() -> None:
    assert outcome_lifetime_ms(socket_timeout=5, connect_timeout=2) == 42_000
    assert outcome_lifetime_ms(socket_timeout=0.25, connect_timeout=0.25) == 3_000


def test_the_store_keeps_outcomes_as_long_as_its_own_client_retries() -> None:
    store = RedisStore(connect("redis://127.0.0.1:1/0", timeout=1.0))
    assert store.outcome_lifetime_ms == outcome_lifetime_ms(socket_timeout=1, connect_timeout=1)
    first, second = store.new_operation(), store.new_operation()
    assert first.key != second.key
    assert first.ttl_ms == store.outcome_lifetime_ms
