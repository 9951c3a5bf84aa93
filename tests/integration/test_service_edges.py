"""Rare paths: generated ids that collide, writers that keep colliding, unexpected failures."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from student_registry.domain import service
from student_registry.domain.models import StudentCreate, StudentPatch
from student_registry.domain.service import Registry
from student_registry.domain.validation import parse
from student_registry.errors import Conflict, StaleRevision, StudentExists
from student_registry.store.redis_store import RedisStore
from tests.builders import API, student_body
from tests.integration.support import assert_problem


def ids_from(values: list[str]) -> Iterator[str]:
    yield from values


async def test_a_generated_id_that_is_taken_is_drawn_again(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    await registry.register_student(parse(student_body(id="TAKEN00000"), StudentCreate))
    drawn = ids_from(["TAKEN00000", "TAKEN00000", "FREE000000"])
    monkeypatch.setattr(service, "generate_id", lambda: next(drawn))
    stored = await registry.register_student(
        parse(student_body(), StudentCreate), allow_duplicate=True
    )
    assert stored.student.id == "FREE000000"


async def test_generated_ids_that_keep_colliding_end_in_a_conflict(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    await registry.register_student(parse(student_body(id="TAKEN00000"), StudentCreate))
    monkeypatch.setattr(service, "generate_id", lambda: "TAKEN00000")
    with pytest.raises(StudentExists):
        await registry.register_student(parse(student_body(), StudentCreate), allow_duplicate=True)


async def test_a_change_that_keeps_losing_races_is_a_conflict_not_a_stale_revision(
    registry: Registry, store: RedisStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    await registry.register_student(parse(student_body(id="s1"), StudentCreate))
    monkeypatch.setattr(service, "UPDATE_ATTEMPTS", 3)

    async def always_stale(*args: object, **kwargs: object) -> str:
        raise StaleRevision("s1")

    monkeypatch.setattr(store, "replace", always_stale)
    with pytest.raises(Conflict) as caught:
        await registry.update_student("s1", StudentPatch(course="4e"))
    assert not isinstance(caught.value, StaleRevision)


async def test_an_unexpected_failure_is_a_500_problem_that_leaks_nothing(
    client: AsyncTestClient[Litestar],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(self: Registry, student_id: str, **_: object) -> None:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(Registry, "get_student", broken)
    with caplog.at_level(logging.ERROR):
        response = await client.get(f"{API}/s1")
    body = assert_problem(response, 500)
    assert "secret" not in response.text
    assert body["title"] == "Internal error"
    [logged] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert logged.exc_info is not None
    assert "secret internal detail" in str(logged.exc_info[1])


async def test_taken_fields_names_an_id_and_an_email_others_have(registry: Registry) -> None:
    body = student_body(id="2024-0042", email="Eloise@Example.org")
    await registry.register_student(parse(body, StudentCreate))

    taken = await registry.taken_fields(student_id="2024-0042", email="eloise@example.org")
    assert taken == ["id", "email"]
    assert await registry.taken_fields(student_id="2024-0043", email="other@example.org") == []
    assert await registry.taken_fields(student_id="not valid!", email=None) == []
    own = await registry.taken_fields(
        student_id=None, email="eloise@example.org", own_id="2024-0042"
    )
    assert own == []
