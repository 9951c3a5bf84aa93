"""Sentinels and Redis nodes that ask for passwords, as compose.ha.yaml runs them.

The users come from deploy/redis/make-secrets: a Sentinel or a node refuses whoever does not log
in; the service finds the primary and writes as its own user, through a failover too (which
takes the Sentinels' and the replicas' users their rights), and the metrics server counts the
students through the Sentinels.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis

from student_registry.domain.models import StudentCreate
from student_registry.domain.service import Registry
from student_registry.domain.validation import parse
from student_registry.store.client import connect, connect_blocking
from student_registry.store.redis_store import Durability, RedisStore, enrolled_count
from tests.builders import student_body
from tests.redis_secrets import make_secrets, password
from tests.sentinels import MASTER, SentinelGroup, running_group

SERVICE_URL = "redis://student-registry@ignored/0"


@pytest.fixture(scope="module")
def secrets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The users, passwords and ACL files, as the script makes them."""
    return make_secrets(tmp_path_factory.mktemp("redis-secrets"))


@pytest.fixture
def group(secrets: Path) -> Iterator[SentinelGroup]:
    """A primary, two replicas and three Sentinels asking for passwords, for one test."""
    with running_group(secrets) as group:
        yield group


@pytest.fixture
async def service_store(group: SentinelGroup, secrets: Path) -> AsyncIterator[RedisStore]:
    """A store as the service opens it: its user in the URL, its password from the file."""
    client = connect(
        SERVICE_URL,
        timeout=1.0,
        password=password(secrets, "api"),
        sentinels=group.sentinels,
        master=MASTER,
    )
    store = RedisStore(client, Durability(min_replicas=1, failover_timeout=20.0))
    yield store
    await store.close()


def first_answer(port: int) -> bytes:
    """What a server answers a PING sent without logging in, as redis-cli sends it."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(b"PING\r\n")
        return conn.recv(100)


def test_sentinels_and_nodes_refuse_a_client_without_password(group: SentinelGroup) -> None:
    for port in (*group.sentinel_ports, *group.data_ports):
        assert first_answer(port).startswith(b"-NOAUTH "), port


def test_the_service_user_may_only_ask_a_sentinel_where_the_primary_is(
    group: SentinelGroup, secrets: Path
) -> None:
    sentinel = redis.Redis(
        port=group.sentinel_ports[0],
        username="student-registry",
        password=password(secrets, "api"),
        decode_responses=True,
    )
    try:
        assert int(sentinel.sentinel_get_master_addr_by_name(MASTER)[1]) == group.primary_port()
        for command in (
            ("SENTINEL", "FAILOVER", MASTER),
            ("SENTINEL", "RESET", "*"),
            ("ACL", "LIST"),
        ):
            with pytest.raises(redis.exceptions.NoPermissionError):
                sentinel.execute_command(*command)
    finally:
        sentinel.close()


async def test_the_service_writes_through_a_failover_as_its_own_user(
    group: SentinelGroup, service_store: RedisStore, secrets: Path
) -> None:
    registry = Registry(service_store)
    # Confirmed by a replica (WAIT): the replicas logged in to the primary.
    await registry.register_student(parse(student_body(id="before"), StudentCreate))
    old_primary = group.primary_port()
    group.kill(old_primary)

    await registry.register_student(
        parse(student_body(id="after", first_name="Other"), StudentCreate)
    )

    assert group.primary_port() != old_primary
    counting = connect_blocking(
        SERVICE_URL,
        password=password(secrets, "api"),
        sentinels=group.sentinels,
        master=MASTER,
    )
    try:
        assert enrolled_count(counting) == 2
    finally:
        counting.close()
