"""A write that redis-py sends again, because Redis was busy past the timeout, applies once.

Another client holds Redis with a script longer than the test client's timeout. The write's
first attempt waits in Redis behind it and times out on the client side; redis-py sends it
again on a new connection. When Redis is free it runs both: the second must answer what the
first did, not run again.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Awaitable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest
import redis

from student_registry.domain.models import StudentCreate, StudentPatch
from student_registry.domain.preconditions import exact_revision
from student_registry.domain.service import Registry, to_row
from student_registry.domain.validation import parse
from student_registry.store import keys
from student_registry.store.client import connect
from student_registry.store.redis_store import RedisStore
from tests.audit import trail
from tests.builders import student_body
from tests.integration.support import assert_indexes_consistent, read_students

# The client gives up on a reply after TIMEOUT; Redis stays busy for BUSY: longer than the first
# attempt waits, shorter than all three together (with their connections and backoffs).
# A loaded machine can keep a process from the CPU for a good part of a second: the second
# attempt already waits past the end of BUSY, and the third is spare.
TIMEOUT = 0.5
BUSY = 0.8
T = TypeVar("T")


@pytest.fixture
async def slow_store(redis_url: str) -> AsyncIterator[RedisStore]:
    """A store whose client times out after TIMEOUT, its scripts loaded and a connection open."""
    store = RedisStore(connect(redis_url, timeout=TIMEOUT))
    registry = Registry(store)
    warm = await registry.register_student(parse(student_body(id="warm-up"), StudentCreate))
    await registry.update_student("warm-up", StudentPatch(course="4e"))
    await registry.delete_student("warm-up")
    await store.import_rows([], now=datetime.now(UTC), on_conflict="fail", atomic=False)
    assert warm.student.id == "warm-up"
    yield store
    await store.close()


@contextmanager
def redis_held_busy(redis_url: str) -> Iterator[None]:
    """Another client holds Redis for BUSY seconds from now on (DEBUG SLEEP: wall-clock time,
    where a spinning script's clock is frozen (Redis 8) or counts CPU time a loaded machine
    stretches)."""
    other = redis.Redis.from_url(redis_url, socket_timeout=10)
    other.ping()
    thread = threading.Thread(target=other.execute_command, args=("DEBUG", "SLEEP", str(BUSY)))
    thread.start()
    try:
        _wait_until_busy(redis_url)
        yield
    finally:
        thread.join()
        other.close()


def _wait_until_busy(redis_url: str) -> None:
    """Return once the other client holds Redis: a ping from a third client goes unanswered."""
    probe = redis.Redis.from_url(redis_url, socket_timeout=0.05)
    try:
        for _ in range(200):
            try:
                probe.ping()
            except redis.TimeoutError:
                return
        raise AssertionError("DEBUG SLEEP never held Redis")
    finally:
        probe.close()


async def while_busy(
    store: RedisStore, redis_url: str, monkeypatch: pytest.MonkeyPatch, write: Awaitable[T]
) -> T:
    """Run a write whose script reaches Redis while another client holds it; its result."""
    evalsha = store.client.evalsha
    with ExitStack() as stack:

        async def held_evalsha(*args: Any) -> Any:
            # Reads the write makes first go through; its script is sent while Redis is busy.
            stack.enter_context(redis_held_busy(redis_url))
            monkeypatch.setattr(store.client, "evalsha", evalsha)
            return await evalsha(*args)

        monkeypatch.setattr(store.client, "evalsha", held_evalsha)
        return await write


async def test_registering_with_an_id_while_redis_is_busy_stores_it_once_and_answers_created(
    slow_store: RedisStore,
    store: RedisStore,
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    registry = Registry(slow_store)
    data = parse(student_body(id="s1"), StudentCreate)
    stored = await while_busy(slow_store, redis_url, monkeypatch, registry.register_student(data))
    assert stored.student.id == "s1"
    assert set(await assert_indexes_consistent(store)) == {"s1"}
    assert (await registry.get_student("s1")).revision == stored.revision
    assert [e["target"] for e in trail(redis_url, "sc")].count("s1") == 1


async def test_registering_without_an_id_while_redis_is_busy_stores_one_student(
    slow_store: RedisStore,
    store: RedisStore,
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    registry = Registry(slow_store)
    data = parse(student_body(), StudentCreate)
    stored = await while_busy(slow_store, redis_url, monkeypatch, registry.register_student(data))
    assert set(await assert_indexes_consistent(store)) == {stored.student.id}


async def test_deleting_while_redis_is_busy_deletes_and_answers_deleted(
    slow_store: RedisStore,
    store: RedisStore,
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    registry = Registry(slow_store)
    created = await registry.register_student(parse(student_body(id="s1"), StudentCreate))
    if_match = exact_revision(created.revision)
    await while_busy(
        slow_store, redis_url, monkeypatch, registry.delete_student("s1", if_match=if_match)
    )
    assert await assert_indexes_consistent(store) == {}


async def test_a_conditional_change_while_redis_is_busy_applies_once_and_answers_its_revision(
    slow_store: RedisStore,
    store: RedisStore,
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    registry = Registry(slow_store)
    created = await registry.register_student(parse(student_body(id="s1"), StudentCreate))
    patch, if_match = StudentPatch(course="4e"), exact_revision(created.revision)
    changed = await while_busy(
        slow_store, redis_url, monkeypatch, registry.update_student("s1", patch, if_match=if_match)
    )
    stored = await registry.get_student("s1")
    assert (stored.revision, stored.student.course) == (changed.revision, "4e")
    assert set(await assert_indexes_consistent(store)) == {"s1"}


async def test_an_import_batch_while_redis_is_busy_is_written_once_and_reports_each_row_as_done(
    slow_store: RedisStore,
    store: RedisStore,
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    registry = Registry(slow_store)
    for taken in ("s3", "s4", "s9"):
        await registry.register_student(
            parse(student_body(id=taken), StudentCreate), allow_duplicate=True
        )
    bodies = [student_body(id=f"s{i}", email=f"s{i}@example.org") for i in range(20)]
    bodies += [student_body(first_name="Sans", last_name="Identifiant") for _ in range(5)]
    rows = [
        to_row(data, data.id or f"generated-{i}")
        for i, data in enumerate(parse(body, StudentCreate) for body in bodies)
    ]
    batch = slow_store.import_rows(
        rows, now=datetime.now(UTC), on_conflict="fail", atomic=False, allow_duplicates=True
    )
    ok, statuses = await while_busy(slow_store, redis_url, monkeypatch, batch)
    assert ok
    assert statuses == ["exists" if row.id in {"s3", "s4", "s9"} else "created" for row in rows]
    assert set(await assert_indexes_consistent(store)) == {row.id for row in rows}
    assert len(trail(redis_url, "si")) == 1


async def test_a_write_keeps_its_outcome_only_as_long_as_a_retry_may_come(
    registry: Registry, store: RedisStore
) -> None:
    await registry.register_student(parse(student_body(id="s1"), StudentCreate))
    records = [key async for key in store.client.scan_iter(match=keys.operation_record("*"))]
    assert len(records) == 1
    ttl_ms = await store.client.pttl(records[0])
    assert 0 < ttl_ms <= store.outcome_lifetime_ms
    assert await store.client.memory_usage(records[0]) <= 128
    assert set(await read_students(store)) == {"s1"}
