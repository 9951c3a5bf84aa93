"""Writes through Sentinel: a write sent as the primary dies lands once, on the new primary."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import pytest
import redis

from student_registry.domain.models import StudentCreate
from student_registry.domain.service import Registry
from student_registry.domain.validation import parse
from student_registry.store.client import connect
from student_registry.store.redis_store import Durability, RedisStore
from tests.audit import trail
from tests.builders import student_body
from tests.integration.support import assert_indexes_consistent
from tests.sentinels import MASTER, SentinelGroup, running_group


@pytest.fixture
def group() -> Iterator[SentinelGroup]:
    """A primary, a replica and three Sentinels, started for one test."""
    with running_group() as group:
        yield group


@pytest.fixture
async def ha_store(group: SentinelGroup) -> AsyncIterator[RedisStore]:
    """A store on the primary the Sentinels name, writes confirmed by one replica."""
    client = connect("redis://ignored/0", timeout=1.0, sentinels=group.sentinels, master=MASTER)
    store = RedisStore(client, Durability(min_replicas=1, failover_timeout=20.0))
    yield store
    await store.close()


async def test_a_write_sent_as_the_primary_dies_is_stored_once_on_the_promoted_replica(
    group: SentinelGroup, ha_store: RedisStore
) -> None:
    registry = Registry(ha_store)
    await registry.register_student(
        parse(student_body(id="before", first_name="Before"), StudentCreate)
    )
    old_primary = group.primary_port()
    group.kill(old_primary)

    stored = await registry.register_student(
        parse(student_body(id="during", first_name="During"), StudentCreate)
    )

    new_primary = group.primary_port()
    assert new_primary != old_primary
    assert stored.student.id == "during"
    assert set(await assert_indexes_consistent(ha_store)) == {"before", "during"}
    # Each write's trail entry went with it, once, to the promoted replica.
    promoted = f"redis://127.0.0.1:{new_primary}/0"
    assert [(e["action"], e["target"]) for e in trail(promoted, "s")] == [
        ("sc", "before"),
        ("sc", "during"),
    ]


async def test_the_killed_primary_restarted_rejoins_as_a_replica_and_writes_go_on(
    group: SentinelGroup, ha_store: RedisStore
) -> None:
    registry = Registry(ha_store)
    old_primary = group.primary_port()
    group.kill(old_primary)
    await registry.register_student(parse(student_body(id="s1", first_name="S1"), StudentCreate))
    group.start_data(old_primary)

    rejoined = redis.Redis(port=old_primary, decode_responses=True)
    # The Sentinels turn it into a replica once they see it again: seconds, more on a loaded
    # machine; it confirms writes once its first sync is done (its link is up). What this test
    # proves is that it happens, not how fast.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        replication = rejoined.info("replication")
        if replication["role"] == "slave" and replication.get("master_link_status") == "up":
            break
        await asyncio.sleep(0.1)
    assert rejoined.info("replication")["role"] == "slave"
    assert rejoined.info("replication")["master_link_status"] == "up"
    rejoined.close()
    await registry.register_student(parse(student_body(id="s2", first_name="S2"), StudentCreate))
    assert set(await assert_indexes_consistent(ha_store)) == {"s1", "s2"}
