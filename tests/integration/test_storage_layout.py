"""The student hash keeps only what cannot be derived, and every index stays right anyway."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from student_registry.domain import service
from student_registry.domain.models import StudentCreate, StudentPatch
from student_registry.domain.preconditions import exact_revision
from student_registry.domain.service import Registry
from student_registry.domain.validation import parse
from student_registry.errors import StaleRevision
from student_registry.store import keys
from student_registry.store.redis_store import RedisStore
from tests.builders import student_body
from tests.integration.support import assert_indexes_consistent


async def stored_fields(store: RedisStore, student_id: str) -> set[str]:
    return set(await store.client.hkeys(keys.student_key(student_id)))


async def test_the_sort_key_is_stored_only_for_names_the_scripts_cannot_fold(
    registry: Registry, store: RedisStore
) -> None:
    ascii_body = student_body(id="a1", first_name="Ada", last_name="O'Brien")
    await registry.register_student(parse(ascii_body, StudentCreate))
    accented = student_body(id="e1", first_name="Éloïse", last_name="Durand")
    await registry.register_student(parse(accented, StudentCreate))

    # Without case or accents, a name folds to itself: nothing to keep either.
    plain = student_body(id="w1", first_name="王", last_name="小明")
    await registry.register_student(parse(plain, StudentCreate))

    assert "k" not in await stored_fields(store, "a1")
    assert "k" in await stored_fields(store, "e1")
    assert "k" not in await stored_fields(store, "w1")
    await assert_indexes_consistent(store)


async def test_renames_across_both_kinds_of_names_keep_every_index_right(
    registry: Registry, store: RedisStore
) -> None:
    ascii_body = student_body(id="s1", first_name="Ada", last_name="Martin")
    await registry.register_student(parse(ascii_body, StudentCreate))
    await registry.register_student(parse(student_body(id="s2", last_name="Müller"), StudentCreate))
    assert "k" not in await stored_fields(store, "s1")
    assert "k" in await stored_fields(store, "s2")

    await registry.update_student("s1", StudentPatch(last_name="Lefèvre"))
    await registry.update_student("s2", StudentPatch(last_name="Muller", first_name="Zoe"))
    assert "k" in await stored_fields(store, "s1")
    assert "k" not in await stored_fields(store, "s2")
    await assert_indexes_consistent(store)

    await registry.delete_student("s1")
    await registry.delete_student("s2")
    assert await assert_indexes_consistent(store) == {}


async def test_updated_at_is_stored_from_the_first_change_on(
    registry: Registry, store: RedisStore
) -> None:
    created = await registry.register_student(parse(student_body(id="s1"), StudentCreate))
    assert "u" not in await stored_fields(store, "s1")
    read = await registry.get_student("s1")
    assert read.student.updated_at == read.student.created_at == created.student.created_at

    changed = await registry.update_student("s1", StudentPatch(course="4e"))
    assert "u" in await stored_fields(store, "s1")
    read = await registry.get_student("s1")
    assert read.student.updated_at == changed.student.updated_at > read.student.created_at


async def test_changes_in_the_same_microsecond_still_get_new_revisions(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    frozen = datetime(2030, 1, 1, tzinfo=UTC)
    monkeypatch.setattr(service, "utc_now", lambda: frozen)
    created = await registry.register_student(parse(student_body(id="s1"), StudentCreate))
    first = await registry.update_student("s1", StudentPatch(course="4e"), if_match=None)
    second = await registry.update_student(
        "s1", StudentPatch(course="5e"), if_match=exact_revision(first.revision)
    )

    assert len({created.revision, first.revision, second.revision}) == 3
    assert created.student.updated_at < first.student.updated_at < second.student.updated_at
    read = await registry.get_student("s1")
    assert (read.revision, read.student.updated_at) == (second.revision, second.student.updated_at)


async def test_a_hash_written_with_a_revision_counter_keeps_its_etag_until_changed(
    registry: Registry, store: RedisStore
) -> None:
    await registry.register_student(parse(student_body(id="s1"), StudentCreate))
    await store.client.hset(keys.student_key("s1"), "v", "7")
    assert (await registry.get_student("s1")).revision == "7"

    with pytest.raises(StaleRevision):
        await registry.update_student("s1", StudentPatch(course="4e"), if_match=exact_revision("8"))
    changed = await registry.update_student(
        "s1", StudentPatch(course="4e"), if_match=exact_revision("7")
    )
    assert "v" not in await stored_fields(store, "s1")
    assert (await registry.get_student("s1")).revision == changed.revision != "7"
