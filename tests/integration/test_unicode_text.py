"""Names and courses in Unicode: one spelling per text on every way in, nothing invisible."""

from __future__ import annotations

import unicodedata

import pytest
import redis
from litestar import Litestar
from litestar.testing import AsyncTestClient

from student_registry.domain import rules
from student_registry.domain.bulk import import_students, read_rows
from student_registry.domain.legacy import migrate_legacy
from student_registry.domain.models import StudentCreate
from student_registry.domain.service import Registry
from student_registry.domain.validation import parse
from student_registry.errors import InvalidStudent
from student_registry.store.redis_store import scan_foreign_hashes
from tests.builders import API, DUPLICATES_ALLOWED, student_body
from tests.integration.support import field_errors

COMPOSED = unicodedata.normalize("NFC", "2nde Été")
DECOMPOSED = unicodedata.normalize("NFD", "2nde Été")
HEADER = "id,first_name,last_name,birth_date,course,email\n"


def refusal(character: str) -> str:
    return rules.INVISIBLE_CHARACTER.format(character=rules.describe_character(character))


async def test_nfc_and_nfd_spellings_of_a_course_are_one_course_through_the_api(
    client: AsyncTestClient[Litestar], registry: Registry
) -> None:
    assert COMPOSED != DECOMPOSED
    for number, course in enumerate([COMPOSED, DECOMPOSED]):
        name = unicodedata.normalize("NFD", "Zoé")
        body = student_body(id=f"s{number}", first_name=name, course=course)
        response = await client.post(API, json=body, params=DUPLICATES_ALLOWED)
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
    await client.post(API, json=student_body(id="s2", course="3eB"), params=DUPLICATES_ALLOWED)
    response = await client.patch(f"{API}/s2", json={"course": DECOMPOSED})
    assert response.json()["course"] == COMPOSED
    assert [(c.course, c.students) for c in await registry.course_stats()] == [(COMPOSED, 2)]


@pytest.mark.parametrize(
    ("field", "value", "character"),
    [
        ("last_name", "\u200b", "\u200b"),
        ("last_name", "\u200b\u200b\u200b", "\u200b"),
        ("first_name", "Zo\u202eé", "\u202e"),
        ("course", "3eB\u0085", "\u0085"),
        ("last_name", "Du\u2028rand", "\u2028"),
        ("course", "\u2029 3eB", "\u2029"),
    ],
    ids=[
        "zero-width-only",
        "zero-widths-only",
        "bidi-override",
        "next-line",
        "line-sep",
        "para-sep",
    ],
)
async def test_invisible_and_line_break_characters_are_refused_per_field_by_the_api(
    client: AsyncTestClient[Litestar], field: str, value: str, character: str
) -> None:
    response = await client.post(API, json=student_body(**{field: value}))
    assert field_errors(response) == {field: refusal(character)}
    assert (await client.get(API)).json()["total"] == 0


async def test_a_text_with_nothing_visible_is_refused_by_the_api(
    client: AsyncTestClient[Litestar],
) -> None:
    response = await client.post(API, json=student_body(course="\u3164"))
    assert field_errors(response) == {"course": rules.NOTHING_VISIBLE}


@pytest.mark.parametrize("value", ["\u200b", "Du\u202erand", "Durand\u0085", "Du\u2028rand"])
async def test_the_service_never_registers_an_invisible_or_line_break_character(
    registry: Registry, value: str
) -> None:
    with pytest.raises(InvalidStudent) as caught:
        await registry.register_student(parse(student_body(last_name=value), StudentCreate))
    assert [error.path for error in caught.value.errors] == ["last_name"]
    assert await registry.course_stats() == []


async def test_an_import_composes_its_texts_and_refuses_invisible_ones_per_row(
    registry: Registry,
) -> None:
    rows = [
        f"1,{unicodedata.normalize('NFD', 'Éloïse')},Durand,2009-04-17,{DECOMPOSED},",
        f"2,Zoé,Martin,2009-04-17,{COMPOSED},",
        "3,Léa,\u200b,2009-04-17,3eB,",
        "4,Léa,Du\u202erand,2009-04-17,3eB,",
    ]
    data = (HEADER + "\n".join(rows) + "\n").encode()
    report = await import_students(registry, read_rows([data], "csv"))
    assert (report.created, report.failed) == (2, 2)
    assert {f.line: [e.path for e in f.errors] for f in report.failures} == {
        4: ["last_name"],
        5: ["last_name"],
    }
    assert (await registry.get_student("1")).student.first_name == "Éloïse"
    assert [(c.course, c.students) for c in await registry.course_stats()] == [(COMPOSED, 2)]


async def test_the_legacy_migration_composes_texts_and_refuses_invisible_ones(
    registry: Registry, redis_url: str
) -> None:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    legacy = {"First name": "Zoé", "Last name": "Martin", "Date of Birth": "2009-04-17"}
    client.hset("17", mapping=legacy | {"Id": "17", "Course": DECOMPOSED})
    client.hset("18", mapping=legacy | {"Id": "18", "Course": COMPOSED})
    client.hset("19", mapping=legacy | {"Id": "19", "Course": "3eB", "Last name": "\u200b"})
    client.close()
    report, _ = await migrate_legacy(registry, scan_foreign_hashes(registry.store.client))
    assert report.created == 2
    assert [(f.id, [e.path for e in f.errors]) for f in report.failures] == [("19", ["last_name"])]
    assert [(c.course, c.students) for c in await registry.course_stats()] == [(COMPOSED, 2)]
