"""Properties of listing over generated registries: every walk is the ordered matches, once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from student_registry.domain.models import StudentCreate, StudentPage
from student_registry.domain.service import Registry
from student_registry.domain.text import fold
from student_registry.domain.validation import parse
from student_registry.store.redis_store import RedisStore
from tests.builders import student_body
from tests.integration.support import search_position, words_match

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
    | st.sampled_from(
        ["", "e", "É", "elo", "LEA", "lea m", "王", "o'", "z", "st", "ß", "lea marie", "e l", "é É"]
    )
    | st.text("aAeéÉlLoOzZ' ", max_size=4)
)
walk_settings = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def folded(p: Person) -> tuple[str, str, str]:
    last, first = fold(p.last_name.strip()), fold(p.first_name.strip())
    return last, first, f"{last}\0{first}\0{p.id}"


def expected_orders(
    registered: list[Person], *, q: str | None, course: str | None
) -> list[list[str]]:
    """The matches, in each order the walk may take: by sort key for a list or within a course;
    for a search, by the entry of the name the walk went along (one order per word it may
    take)."""
    words = fold(q or "").split()
    matching = [
        p
        for p in registered
        if (course is None or p.course == course)
        and words_match(words, last=folded(p)[0], first=folded(p)[1])
    ]
    if not words or course is not None:
        return [[p.id for p in sorted(matching, key=lambda p: folded(p)[2].encode())]]

    def position(plan: int) -> Callable[[Person], bytes]:
        def at(p: Person) -> bytes:
            last, first, sort_key = folded(p)
            return search_position(words, plan, last=last, first=first, sort_key=sort_key)

        return at

    return [
        [p.id for p in sorted(matching, key=position(plan))] for plan in range(1, len(words) + 1)
    ]


async def register_all(registry: Registry, store: RedisStore, registered: list[Person]) -> None:
    await store.client.flushdb()
    for p in registered:
        body = student_body(
            id=p.id, first_name=p.first_name, last_name=p.last_name, course=p.course
        )
        await registry.register_student(parse(body, StudentCreate), allow_duplicate=True)


async def walk_forward(
    registry: Registry, *, q: str | None, course: str | None, limits: list[int], most: int
) -> tuple[list[StudentPage], list[int]]:
    """Every page from the first on, following next_cursor, and the size asked for each."""
    pages: list[StudentPage] = []
    sizes: list[int] = []
    cursor = None
    for number in range(most + 2):
        limit = limits[number % len(limits)]
        page = await registry.list_students(limit=limit, cursor=cursor, course=course, q=q or "")
        pages.append(page)
        sizes.append(limit)
        cursor = page.next_cursor
        if cursor is None:
            break
    return pages, sizes


@walk_settings
@given(
    registered=people,
    q=queries,
    course=st.none() | st.sampled_from(COURSES),
    limits=st.lists(st.integers(1, 12), min_size=1, max_size=8),
)
async def test_walking_pages_of_any_size_yields_the_matches_exactly_once_in_order(
    registry: Registry,
    store: RedisStore,
    registered: list[Person],
    q: str | None,
    course: str | None,
    limits: list[int],
) -> None:
    await register_all(registry, store, registered)
    orders = expected_orders(registered, q=q, course=course)
    pages, _ = await walk_forward(registry, q=q, course=course, limits=limits, most=len(registered))
    seen = [s.id for page in pages for s in page.items]
    assert seen in orders
    for page in pages:
        assert page.total >= len(seen)
        assert page.total == len(seen) or not page.total_exact


@walk_settings
@given(
    registered=people,
    q=queries,
    course=st.none() | st.sampled_from(COURSES),
    limit=st.integers(1, 6),
)
async def test_going_back_page_by_page_shows_the_same_pages(
    registry: Registry,
    store: RedisStore,
    registered: list[Person],
    q: str | None,
    course: str | None,
    limit: int,
) -> None:
    await register_all(registry, store, registered)
    pages, _ = await walk_forward(
        registry, q=q, course=course, limits=[limit], most=len(registered)
    )
    page = pages[-1]
    for before in reversed(pages[:-1]):
        assert page.previous_cursor is not None
        page = await registry.list_students(
            limit=limit, cursor=page.previous_cursor, course=course, q=q or ""
        )
        assert [s.id for s in page.items] == [s.id for s in before.items]
    assert page.previous_cursor is None


@walk_settings
@given(registered=people, q=queries, limit=st.integers(1, 40))
async def test_first_page_is_the_head_of_the_matches(
    registry: Registry, store: RedisStore, registered: list[Person], q: str | None, limit: int
) -> None:
    await register_all(registry, store, registered)
    orders = expected_orders(registered, q=q, course=None)
    page = await registry.list_students(limit=limit, q=q or "")
    assert [s.id for s in page.items] in [order[:limit] for order in orders]
    assert (page.next_cursor is None) == (len(orders[0]) <= limit)
    assert page.previous_cursor is None


@walk_settings
@given(
    registered=people,
    q=queries,
    course=st.none() | st.sampled_from(COURSES),
    limit=st.integers(1, 12),
    budget=st.integers(1, 6),
)
async def test_a_walk_of_tiny_budgets_still_yields_every_match_once_both_ways(
    registry: Registry,
    store: RedisStore,
    registered: list[Person],
    q: str | None,
    course: str | None,
    limit: int,
    budget: int,
) -> None:
    # Each script call reads about `budget` members: pages come short, or empty, and go on.
    registry.lister.budget, registry.lister.calls = budget, 2
    await register_all(registry, store, registered)
    orders = expected_orders(registered, q=q, course=course)
    pages, _ = await walk_forward(
        registry, q=q, course=course, limits=[limit], most=4 * len(registered) + 4
    )
    seen = [s.id for page in pages for s in page.items]
    assert seen in orders
    assert all(len(page.items) <= limit for page in pages)

    back: list[str] = []
    page = pages[-1]
    for _ in range(4 * len(registered) + 4):
        if page.previous_cursor is None:
            break
        page = await registry.list_students(
            limit=limit, cursor=page.previous_cursor, course=course, q=q or ""
        )
        back = [s.id for s in page.items] + back
    assert page.previous_cursor is None
    # With nothing left before a page, the first page is shown: it may hold students met after.
    before_last_page = seen[: len(seen) - len(pages[-1].items)]
    assert list(dict.fromkeys(back)) == before_last_page
