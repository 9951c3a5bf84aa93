"""Properties of listing over generated registries: every walk is the sorted set, once."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from student_registry.domain.models import StudentCreate
from student_registry.domain.service import Registry
from student_registry.domain.text import fold
from student_registry.domain.validation import parse
from student_registry.store.redis_store import RedisStore
from tests.builders import student_body

# Spellings that differ only by case, accents or normalization, and some that do not.
NAMES = [
    "Éloïse",
    "eloise",
    "ELOISE",
    "Elo\u0308ise",
    "Élodie",
    "Émile",
    "emile",
    "Zoé",
    "zoe",
    "Léa",
    "LEA",
    "Lea-Marie",
    "Lea Marie",
    "Ñúñez",
    "nunez",
    "王",
    "王小明",
    "O'Brien",
    "obrien",
    "Ødegård",
    "Straße",
    "strasse",
    "d'Arc",
    "Darc",
]
COURSES = ["3eA", "3eB", "Terminale S2"]

names = st.sampled_from(NAMES) | st.text("aAeEéÉèëïoôzZ'- ", min_size=1, max_size=5).filter(
    str.strip
)


@dataclass(frozen=True)
class Person:
    id: str
    first_name: str
    last_name: str
    course: str


people = st.lists(st.tuples(names, names, st.sampled_from(COURSES)), max_size=30).map(
    lambda rows: [Person(f"s{i:02d}", *row) for i, row in enumerate(rows)]
)
queries = (
    st.none()
    | st.sampled_from(["", "e", "É", "elo", "LEA", "lea m", "王", "o'", "z", "st", "ß"])
    | st.text("aAeéÉlLoOzZ' ", max_size=3)
)
walk_settings = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def expected_ids(registered: list[Person], *, q: str | None, course: str | None) -> list[str]:
    prefix = fold((q or "").strip())
    matching = [
        p
        for p in registered
        if (course is None or p.course == course)
        and (
            fold(p.first_name.strip()).startswith(prefix)
            or fold(p.last_name.strip()).startswith(prefix)
        )
    ]
    matching.sort(key=lambda p: (fold(p.last_name.strip()), fold(p.first_name.strip()), p.id))
    return [p.id for p in matching]


async def register_all(registry: Registry, store: RedisStore, registered: list[Person]) -> None:
    await store.client.flushdb()
    for p in registered:
        body = student_body(
            id=p.id, first_name=p.first_name, last_name=p.last_name, course=p.course
        )
        await registry.register_student(parse(body, StudentCreate))


@walk_settings
@given(
    registered=people,
    q=queries,
    course=st.none() | st.sampled_from(COURSES),
    limits=st.lists(st.integers(1, 12), min_size=1, max_size=8),
)
async def test_walking_pages_of_any_size_yields_the_sorted_matches_exactly_once(
    registry: Registry,
    store: RedisStore,
    registered: list[Person],
    q: str | None,
    course: str | None,
    limits: list[int],
) -> None:
    await register_all(registry, store, registered)
    expected = expected_ids(registered, q=q, course=course)
    seen: list[str] = []
    cursor = None
    for page_number in range(len(registered) + 2):
        page = await registry.list_students(
            limit=limits[page_number % len(limits)], cursor=cursor, course=course, q=q or ""
        )
        assert page.total == len(expected)
        seen += [s.id for s in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == expected


@walk_settings
@given(registered=people, q=queries, limit=st.integers(1, 40))
async def test_first_page_is_the_head_of_the_sorted_matches(
    registry: Registry, store: RedisStore, registered: list[Person], q: str | None, limit: int
) -> None:
    await register_all(registry, store, registered)
    expected = expected_ids(registered, q=q, course=None)
    page = await registry.list_students(limit=limit, q=q or "")
    assert [s.id for s in page.items] == expected[:limit]
    assert (page.next_cursor is None) == (len(expected) <= limit)
