"""Migrating the original app's students from a Redis filled the way its form filled it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import date

import pytest
import redis

from student_registry.domain.legacy import migrate_legacy
from student_registry.domain.models import StudentCreate
from student_registry.domain.service import Registry
from student_registry.domain.validation import parse
from student_registry.store.client import connect
from student_registry.store.redis_store import RedisStore, scan_foreign_hashes

LEGACY = [
    ("2024-0042", "Éloïse", "Durand", "2009-04-17", "3eB"),
    ("17", "Zoé", "Martin", "17/04/2009", "3eA"),
    ("18", "Jules", "O'Brien", "5-6-2010", "3eA"),
    ("19", "Léa", "Nguyen", "April 3, 2011", "2nde 1"),
    ("20", "Maël", "Petit", "yesterday", "3eA"),
    ("bad id", "Noah", "Roux", "2009-04-17", "3eA"),
    ("21", "Inès", "Blanc", "2009-04-17", ""),
]


def fill_like_the_original_app(client: redis.Redis, rows: list[tuple[str, ...]]) -> None:
    """What the original form's handler did: one hash per student, keyed by the raw id."""
    for student_id, first, last, born, course in rows:
        client.execute_command(
            "HSET",
            student_id,
            "Id",
            student_id,
            "First name",
            first,
            "Last name",
            last,
            "Date of Birth",
            born,
            "Course",
            course,
        )


@pytest.fixture
def legacy_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    fill_like_the_original_app(client, LEGACY)
    client.hset("session:abc", mapping={"user": "x"})  # not a student
    client.set("counter", 3)
    yield client
    client.close()


@pytest.fixture
async def registry(redis_url: str) -> AsyncIterator[Registry]:
    store = RedisStore(connect(redis_url))
    yield Registry(store)
    await store.close()


async def migrate(registry: Registry, *, dry_run: bool = False) -> tuple[dict[str, str], int, int]:
    report, ignored = await migrate_legacy(
        registry, scan_foreign_hashes(registry.store.client, batch=3), dry_run=dry_run
    )
    problems = {
        f.id or "": "; ".join(f"{e.path} {e.message}" for e in f.errors) for f in report.failures
    }
    assert all(f.line is None for f in report.failures)
    return problems, report.created, ignored


async def test_legacy_students_are_converted_and_problems_reported_by_key(
    registry: Registry, legacy_client: redis.Redis
) -> None:
    await registry.register_student(
        parse(
            {"id": "ours", "first_name": "A", "last_name": "B", "birth_date": "2010-01-01",
             "course": "3eB"},
            StudentCreate,
        )
    )  # fmt: skip
    problems, created, ignored = await migrate(registry)
    assert created == 4
    assert ignored == 1
    assert set(problems) == {"20", "bad id", "21"}
    assert "cannot be read as a date: 'yesterday'" in problems["20"]
    assert problems["bad id"].startswith("id must be 1 to 64 characters")
    assert problems["21"] == "course is required"
    students = {s.id: s async for s in registry.export_students()}
    assert set(students) == {"2024-0042", "17", "18", "19", "ours"}
    assert students["17"].birth_date == date(2009, 4, 17)
    assert students["18"].birth_date == date(2010, 6, 5)
    assert students["19"].birth_date == date(2011, 4, 3)
    assert students["18"].last_name == "O'Brien"
    # the legacy hashes are left as they were
    assert legacy_client.hget("17", "Date of Birth") == "17/04/2009"


async def test_a_second_migration_changes_nothing(
    registry: Registry, legacy_client: redis.Redis
) -> None:
    await migrate(registry)
    first = [s async for s in registry.export_students()]
    problems, created, _ = await migrate(registry)
    assert created == 0
    assert set(problems) == {"20", "bad id", "21"}
    assert [s async for s in registry.export_students()] == first


async def test_a_dry_run_migration_writes_nothing(
    registry: Registry, legacy_client: redis.Redis
) -> None:
    problems, created, _ = await migrate(registry, dry_run=True)
    assert created == 4
    assert len(problems) == 3
    assert await registry.store.count() == 0


async def test_our_own_keys_are_never_read_as_legacy(
    registry: Registry, legacy_client: redis.Redis
) -> None:
    await migrate(registry)
    batches = [batch async for batch in scan_foreign_hashes(registry.store.client, batch=2)]
    keys = {key for batch in batches for key, _ in batch}
    assert keys == {row[0] for row in LEGACY} | {"session:abc"}
