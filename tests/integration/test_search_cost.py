"""A search is an index walk: the Redis work of a page does not grow with what the data hold.

Counted in commands Redis ran (INFO commandstats, scripts' included), not in time.
"""

from __future__ import annotations

import random
import string
from datetime import UTC, datetime

from student_registry.domain.models import StudentCreate
from student_registry.domain.service import Registry, to_row
from student_registry.domain.validation import parse
from student_registry.store.redis_store import WALK_BUDGET, RedisStore
from tests.builders import student_body

STUDENTS = 3000


async def register(store: RedisStore, names: list[tuple[str, str]]) -> None:
    rows = [
        to_row(parse(student_body(first_name=first, last_name=last), StudentCreate), f"s{i:05d}")
        for i, (first, last) in enumerate(names)
    ]
    for start in range(0, len(rows), 1000):
        batch = rows[start : start + 1000]
        assert (
            await store.import_rows(batch, now=datetime.now(UTC), on_conflict="fail", atomic=True)
        )[0]


async def range_reads(store: RedisStore) -> int:
    """The ZRANGE and ZLEXCOUNT calls Redis ran since its statistics were last reset."""
    stats = await store.client.info("commandstats")
    return sum(
        int(stats.get(f"cmdstat_{name}", {}).get("calls", 0)) for name in ("zrange", "zlexcount")
    )


async def test_a_prefix_matching_thousands_of_first_names_reads_a_few_ranges(
    registry: Registry, store: RedisStore
) -> None:
    rng = random.Random(4)
    names = [
        ("A" + "".join(rng.choices(string.ascii_lowercase, k=8)), "Martin") for _ in range(STUDENTS)
    ]
    await register(store, names)
    await store.client.config_resetstat()
    page = await registry.list_students(limit=50, q="a")
    assert len(page.items) == 50
    assert [s.first_name for s in page.items] == sorted(first for first, _ in names)[:50]
    # Counting the matches, choosing the way, reading two ranges: a handful, not one a name.
    assert await range_reads(store) <= 10
    await store.client.config_resetstat()
    page = await registry.list_students(limit=50, q="a", cursor=page.next_cursor)
    assert len(page.items) == 50
    assert await range_reads(store) <= 10


async def test_a_search_that_reads_much_and_matches_little_stops_on_its_budget_and_goes_on(
    registry: Registry, store: RedisStore
) -> None:
    # Each word starts a name of every other student, but only one student has both.
    names = [("Anne", f"Name{i:05d}") for i in range(STUDENTS)]
    names += [(f"Bob{i:05d}", "Zz") for i in range(STUDENTS)]
    await register(store, [*names, ("Anne", "Zz")])
    registry.lister.calls = 1  # one script call a page
    await store.client.config_resetstat()
    page = await registry.list_students(limit=10, q="anne zz")
    # One call reads about WALK_BUDGET members, a hundred a range read, and stops there.
    assert await range_reads(store) <= WALK_BUDGET // 100 + 8
    assert page.items == []
    assert page.next_cursor is not None
    seen: list[str] = []
    cursor: str | None = page.next_cursor
    for _ in range(10):
        if cursor is None:
            break
        page = await registry.list_students(limit=10, q="anne zz", cursor=cursor)
        seen += [s.id for s in page.items]
        cursor = page.next_cursor
    assert cursor is None
    assert seen == [f"s{2 * STUDENTS:05d}"]
