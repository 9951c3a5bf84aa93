"""Concurrent writes: one winner per id or email, and indexes that never point at nothing."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest

from student_registry.domain.models import StudentCreate, StudentPatch
from student_registry.domain.service import Registry
from student_registry.domain.text import fold
from student_registry.domain.validation import parse
from student_registry.errors import Conflict, EmailTaken, StudentExists, StudentNotFound
from student_registry.store.client import connect
from student_registry.store.redis_store import RedisStore
from tests.builders import API, DUPLICATES_ALLOWED, student_body
from tests.integration.support import assert_indexes_consistent

PARALLEL = 50


@pytest.fixture
async def registries(redis_url: str) -> AsyncIterator[list[Registry]]:
    """Five services, each with its own Redis connections, as five workers would have."""
    stores = [RedisStore(connect(redis_url, timeout=5.0)) for _ in range(5)]
    yield [Registry(store) for store in stores]
    for store in stores:
        await store.close()


async def test_parallel_registrations_of_one_id_give_one_201_and_49_409(
    concurrent_client: httpx.AsyncClient, store: RedisStore
) -> None:
    bodies = [
        student_body(id="2024-0001", first_name=f"Name{i}", email=f"n{i}@example.org")
        for i in range(PARALLEL)
    ]
    responses = await asyncio.gather(*(concurrent_client.post(API, json=b) for b in bodies))
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 409: PARALLEL - 1}
    [winner] = [r.json() for r in responses if r.status_code == 201]
    assert (await concurrent_client.get(f"{API}/2024-0001")).json() == winner
    students = await assert_indexes_consistent(store)
    assert list(students) == ["2024-0001"]


async def test_parallel_registrations_of_one_id_through_the_service_on_many_connections(
    registries: list[Registry], store: RedisStore
) -> None:
    async def attempt(i: int) -> str:
        data = parse(student_body(id="s1", last_name=f"Last{i}"), StudentCreate)
        try:
            await registries[i % len(registries)].register_student(data, allow_duplicate=True)
        except StudentExists:
            return "exists"
        return "created"

    outcomes = Counter(await asyncio.gather(*(attempt(i) for i in range(PARALLEL))))
    assert outcomes == {"created": 1, "exists": PARALLEL - 1}
    assert len(await assert_indexes_consistent(store)) == 1


async def test_parallel_registrations_with_one_email_give_one_201(
    concurrent_client: httpx.AsyncClient, store: RedisStore
) -> None:
    bodies = [
        student_body(id=f"s{i}", email="Shared@Example.org" if i % 2 else "shared@example.ORG")
        for i in range(PARALLEL)
    ]
    responses = await asyncio.gather(*(concurrent_client.post(API, json=b) for b in bodies))
    assert Counter(r.status_code for r in responses) == {201: 1, 409: PARALLEL - 1}
    assert len(await assert_indexes_consistent(store)) == 1


async def test_parallel_registrations_with_one_email_through_the_service(
    registries: list[Registry], store: RedisStore
) -> None:
    async def attempt(i: int) -> str:
        data = parse(student_body(email="shared@example.org"), StudentCreate)
        try:
            await registries[i % len(registries)].register_student(data, allow_duplicate=True)
        except EmailTaken:
            return "taken"
        return "created"

    outcomes = Counter(await asyncio.gather(*(attempt(i) for i in range(PARALLEL))))
    assert outcomes == {"created": 1, "taken": PARALLEL - 1}
    assert len(await assert_indexes_consistent(store)) == 1


async def test_parallel_changes_with_one_if_match_give_one_200_and_412s(
    concurrent_client: httpx.AsyncClient,
) -> None:
    created = await concurrent_client.post(API, json=student_body(id="s1"))
    etag = created.headers["etag"]
    responses = await asyncio.gather(
        *(
            concurrent_client.patch(
                f"{API}/s1", json={"course": f"c{i}"}, headers={"If-Match": etag}
            )
            for i in range(20)
        )
    )
    assert Counter(r.status_code for r in responses) == {200: 1, 412: 19}
    [winner] = [r for r in responses if r.status_code == 200]
    assert (await concurrent_client.get(f"{API}/s1")).json() == winner.json()


async def test_parallel_changes_without_if_match_all_apply_one_after_another(
    concurrent_client: httpx.AsyncClient, store: RedisStore
) -> None:
    await concurrent_client.post(API, json=student_body(id="s1"))
    responses = await asyncio.gather(
        *(concurrent_client.patch(f"{API}/s1", json={"course": f"c{i}"}) for i in range(20))
    )
    assert {r.status_code for r in responses} == {200}
    assert len({r.headers["etag"] for r in responses}) == 20
    await assert_indexes_consistent(store)


async def test_two_students_racing_for_one_email_leave_exactly_one_owner(
    registries: list[Registry], store: RedisStore
) -> None:
    for student_id in ("a", "b"):
        await registries[0].register_student(
            parse(student_body(id=student_id), StudentCreate), allow_duplicate=True
        )
    patch = StudentPatch(email="prize@example.org")
    results = await asyncio.gather(
        registries[1].update_student("a", patch),
        registries[2].update_student("b", patch),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["EmailTaken", "StoredStudent"]
    students = await assert_indexes_consistent(store)
    assert sum(1 for s in students.values() if s.get("email")) == 1


async def test_mixed_concurrent_writes_leave_every_index_consistent(
    registries: list[Registry], store: RedisStore
) -> None:
    rng = random.Random(5)
    first_names = ["Éloïse", "Léa", "Marie", "Zoé", "王"]
    courses = ["3eA", "3eB", "4eA"]
    ids = [f"s{i}" for i in range(30)]
    emails = [f"e{i}@example.org" for i in range(12)]

    async def operation(k: int) -> None:
        registry = registries[k % len(registries)]
        student_id = rng.choice(ids)
        kind = rng.choice(["create", "create", "patch", "patch", "delete"])
        try:
            if kind == "create":
                body = student_body(
                    id=student_id,
                    first_name=rng.choice(first_names),
                    last_name=rng.choice(first_names),
                    course=rng.choice(courses),
                    email=rng.choice([None, *emails]),
                )
                await registry.register_student(parse(body, StudentCreate), allow_duplicate=True)
            elif kind == "patch":
                changes = {
                    "last_name": rng.choice(first_names),
                    "course": rng.choice(courses),
                    "email": rng.choice([None, *emails]),
                }
                patch = parse(dict(rng.sample(sorted(changes.items()), 2)), StudentPatch)
                await registry.update_student(student_id, patch)
            else:
                await registry.delete_student(student_id)
        except (Conflict, StudentNotFound):
            pass

    for _ in range(4):
        await asyncio.gather(*(operation(k) for k in range(150)))
        students = await assert_indexes_consistent(store)
        page = await registries[0].list_students(limit=500)
        assert page.total == len(students)
        assert {s.id for s in page.items} == set(students)


@pytest.mark.parametrize("q", ["", "ma"])
async def test_cursor_walk_during_parallel_registrations_sees_each_student_once(
    concurrent_client: httpx.AsyncClient, registries: list[Registry], q: str
) -> None:
    rng = random.Random(8)
    names = ["Martin", "Marie", "Éloïse", "Maëlle", "Zoé", "Mañas"]

    def body(student_id: str) -> dict[str, str]:
        return student_body(
            id=student_id, first_name=rng.choice(names), last_name=rng.choice(names)
        )

    originals = [body(f"o{i:03d}") for i in range(60)]
    for original in originals:
        await registries[0].register_student(parse(original, StudentCreate), allow_duplicate=True)

    async def write() -> None:
        for i in range(0, 90, 3):
            await asyncio.gather(
                *(
                    concurrent_client.post(
                        API, json=body(f"n{i + k:03d}"), params=DUPLICATES_ALLOWED
                    )
                    for k in range(3)
                )
            )

    async def walk() -> list[str]:
        seen: list[str] = []
        cursor = None
        while True:
            params = {"limit": 4, "q": q, **({"cursor": cursor} if cursor else {})}
            page = (await concurrent_client.get(API, params=params)).json()
            seen += [s["id"] for s in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                return seen

    _, seen = await asyncio.gather(write(), walk())
    assert len(seen) == len(set(seen))
    prefix = fold(q)
    expected = {
        o["id"]
        for o in originals
        if fold(o["first_name"]).startswith(prefix) or fold(o["last_name"]).startswith(prefix)
    }
    assert expected <= set(seen)
