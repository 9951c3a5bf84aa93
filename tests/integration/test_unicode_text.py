"""Names and courses in Unicode: one spelling per text on every way in."""

from __future__ import annotations

import unicodedata

import redis
from litestar import Litestar
from litestar.testing import AsyncTestClient

from student_registry.domain.bulk import import_students, read_rows
from student_registry.domain.legacy import migrate_legacy
from student_registry.domain.service import Registry
from student_registry.store.redis_store import scan_foreign_hashes
from tests.builders import API, student_body

COMPOSED = unicodedata.normalize("NFC", "2nde Été")
DECOMPOSED = unicodedata.normalize("NFD", "2nde Été")
HEADER = "id,first_name,last_name,birth_date,course,email\n"


async def test_nfc_and_nfd_spellings_of_a_course_are_one_course_through_the_api(
    client: AsyncTestClient[Litestar], registry: Registry
) -> None:
    assert COMPOSED != DECOMPOSED
    for number, course in enumerate([COMPOSED, DECOMPOSED]):
        name = unicodedata.normalize("NFD", "Zoé")
        body = student_body(id=f"s{number}", first_name=name, course=course)
        response = await client.post(API, json=body)
        assert response.status_code == 201
        assert (response.json()["course"], response.json()["first_name"]) == (COMPOSED, "Zoé")
    for course in (COMPOSED, DECOMPOSED):
        listed = (await client.get(API, params={"course": course})).json()
        assert [s["id"] for s in listed["items"]] == ["s0", "s1"]
    assert [(c.course, c.students) for c in await registry.course_stats()] == [(COMPOSED, 2)]
    found = (await client.get(API, params={"q": unicodedata.normalize("NFD", "zoé")})).json()
    assert found["total"] == 2


async def test_a_patch_with_a_decomposed_course_keeps_one_course(
    client: AsyncTestClient[Litestar], registry: Registry
) -> None:
    await client.post(API, json=student_body(id="s1", course=COMPOSED))
    await client.post(API, json=student_body(id="s2", course="3eB"))
    response = await client.patch(f"{API}/s2", json={"course": DECOMPOSED})
    assert response.json()["course"] == COMPOSED
    assert [(c.course, c.students) for c in await registry.course_stats()] == [(COMPOSED, 2)]


async def test_an_import_composes_its_texts(
    registry: Registry,
) -> None:
    rows = [
        f"1,{unicodedata.normalize('NFD', 'Éloïse')},Durand,2009-04-17,{DECOMPOSED},",
        f"2,Zoé,Martin,2009-04-17,{COMPOSED},",
    ]
    data = (HEADER + "\n".join(rows) + "\n").encode()
    report = await import_students(registry, read_rows([data], "csv"))
    assert (report.created, report.failed) == (2, 0)
    assert (await registry.get_student("1")).student.first_name == "Éloïse"
    assert [(c.course, c.students) for c in await registry.course_stats()] == [(COMPOSED, 2)]


async def test_the_legacy_migration_composes_texts(registry: Registry, redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    legacy = {"First name": "Zoé", "Last name": "Martin", "Date of Birth": "2009-04-17"}
    client.hset("17", mapping=legacy | {"Id": "17", "Course": DECOMPOSED})
    client.hset("18", mapping=legacy | {"Id": "18", "Course": COMPOSED})
    client.close()
    report, _ = await migrate_legacy(registry, scan_foreign_hashes(registry.store.client))
    assert report.created == 2
    assert report.failures == []
    assert [(c.course, c.students) for c in await registry.course_stats()] == [(COMPOSED, 2)]
