"""Name search keeps its place when students change between its two reads."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import pytest

from student_registry.domain.models import StudentCreate, StudentPatch
from student_registry.domain.service import Registry
from student_registry.domain.validation import parse
from student_registry.store.redis_store import Fields, RedisStore
from tests.builders import student_body

LAST_NAMES = ["Mab", "Mac", "Mad", "Mae", "Maf", "Mag"]


async def walk(registry: Registry, *, q: str, limit: int) -> list[str]:
    seen: list[str] = []
    cursor = None
    while True:
        page = await registry.list_students(limit=limit, cursor=cursor, q=q)
        seen += [s.id for s in page.items]
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


def before_first_read(
    monkeypatch: pytest.MonkeyPatch, store: RedisStore, action: Callable[[], Awaitable[None]]
) -> None:
    """Run action once, between the search and the read of the students it found."""
    get_many = store.get_many
    done = False

    async def interfering_get_many(student_ids: Sequence[str]) -> list[Fields]:
        nonlocal done
        if not done:
            done = True
            await action()
        return await get_many(student_ids)

    monkeypatch.setattr(store, "get_many", interfering_get_many)


@pytest.fixture
async def students(registry: Registry) -> None:
    for last in LAST_NAMES:
        data = parse(student_body(id=last.lower(), last_name=last), StudentCreate)
        await registry.register_student(data)


@pytest.mark.usefixtures("students")
async def test_student_renamed_during_a_search_page_does_not_make_others_skipped(
    registry: Registry, store: RedisStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def rename() -> None:
        await registry.update_student("mad", StudentPatch(last_name="Maz"))

    before_first_read(monkeypatch, store, rename)
    seen = await walk(registry, q="ma", limit=3)
    assert len(seen) == len(set(seen))
    assert {"mab", "mac", "mae", "maf", "mag"} <= set(seen)


@pytest.mark.usefixtures("students")
async def test_students_removed_during_a_search_page_do_not_end_the_walk(
    registry: Registry, store: RedisStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def remove_first_page() -> None:
        for student_id in ("mab", "mac", "mad"):
            await registry.delete_student(student_id)

    before_first_read(monkeypatch, store, remove_first_page)
    assert await walk(registry, q="ma", limit=3) == ["mae", "maf", "mag"]
