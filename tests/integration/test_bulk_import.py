"""Bulk import and export against a real Redis: round trips, conflicts, atomicity, dry runs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from student_registry.domain import bulk
from student_registry.domain.bulk import ImportReport, export_students, import_students, read_rows
from student_registry.domain.bulk_formats import Format
from student_registry.domain.models import StudentCreate
from student_registry.domain.service import Registry
from student_registry.domain.validation import parse
from student_registry.store.client import connect
from student_registry.store.redis_store import ConflictMode, RedisStore

HEADER = "id,first_name,last_name,birth_date,course,email\n"


@pytest.fixture
async def registry(redis_url: str) -> AsyncIterator[Registry]:
    store = RedisStore(connect(redis_url))
    yield Registry(store)
    await store.close()


async def run_import(
    registry: Registry,
    data: str | bytes,
    fmt: Format = "csv",
    *,
    on_conflict: ConflictMode = "fail",
    dry_run: bool = False,
    atomic: bool = False,
    allow_duplicates: bool = True,
) -> ImportReport:
    # These files repeat one person under many ids on purpose; test_duplicates.py checks
    # that an import refuses such rows by default.
    raw = data.encode() if isinstance(data, str) else data
    chunks = [raw[i : i + 4096] for i in range(0, len(raw), 4096)]
    return await import_students(
        registry,
        read_rows(chunks, fmt),
        on_conflict=on_conflict,
        dry_run=dry_run,
        atomic=atomic,
        allow_duplicates=allow_duplicates,
    )


async def snapshot(registry: Registry) -> list[tuple[Any, ...]]:
    """Every student's registration fields, in order."""
    return [
        (s.id, s.first_name, s.last_name, s.birth_date, s.course, s.email)
        async for s in registry.export_students()
    ]


async def register(registry: Registry, **fields: Any) -> None:
    body = {"first_name": "Léa", "last_name": "Durand", "birth_date": "2009-04-17", "course": "3eB"}
    await registry.register_student(parse(body | fields, StudentCreate), allow_duplicate=True)


def problems(report: ImportReport) -> dict[int | None, dict[str, str]]:
    return {f.line: {e.path: e.message for e in f.errors} for f in report.failures}


async def exported(registry: Registry, fmt: Format, **filters: Any) -> bytes:
    return b"".join([chunk async for chunk in export_students(registry, fmt, **filters)])


@pytest.mark.parametrize("fmt", ["csv", "ndjson", "json"])
async def test_export_then_import_into_an_empty_redis_gives_identical_data(
    registry: Registry, fmt: Format
) -> None:
    names = ["Éloïse", "=SUM(A1)", "O'Brien, Jr", 'Zoé "Zaza"', "+33", "@home", "王小明"]
    for i in range(2600):
        email = f"s{i}@example.org" if i % 3 == 0 else None
        await register(
            registry,
            id=f"-S{i:05d}" if i % 50 == 0 else f"S{i:05d}",
            first_name=names[i % len(names)],
            last_name=names[(i * 3) % len(names)],
            course=["3eA", "3eB", "2nde 1"][i % 3],
            email=email,
        )
    before = await snapshot(registry)
    counts = await registry.course_stats()
    body = await exported(registry, fmt)
    await registry.store.client.flushall()

    report = await run_import(registry, body, fmt)

    assert report.succeeded, report.failures[:3]
    assert (report.created, report.rows) == (2600, 2600)
    assert await snapshot(registry) == before
    assert await registry.course_stats() == counts


async def test_export_filters_by_course_and_name_prefix(registry: Registry) -> None:
    await register(registry, id="a", first_name="Éloïse", course="3eA")
    await register(registry, id="b", first_name="Zoé", last_name="Elbaz", course="3eA")
    await register(registry, id="c", first_name="Zoé", course="3eB")
    lines = (await exported(registry, "ndjson", course="3eA", q="el")).splitlines()
    assert [line.split(b'"')[3] for line in lines] == [b"a", b"b"]


async def test_rows_without_an_id_get_a_generated_one(registry: Registry) -> None:
    report = await run_import(registry, HEADER + ",Léa,Durand,2009-04-17,3eB,\n" * 3)
    assert report.created == 3
    assert len({row[0] for row in await snapshot(registry)}) == 3


async def test_existing_id_fails_its_row_only_by_default(registry: Registry) -> None:
    await register(registry, id="1", first_name="Kept")
    data = HEADER + "1,New,Durand,2009-04-17,3eB,\n2,Léa,Durand,2009-04-17,3eB,\n"
    report = await run_import(registry, data)
    assert (report.created, report.failed) == (1, 1)
    assert problems(report) == {2: {"id": "is already registered"}}
    assert report.failures[0].id == "1"
    assert (await registry.get_student("1")).student.first_name == "Kept"


async def test_skip_keeps_the_registered_student(registry: Registry) -> None:
    await register(registry, id="1", first_name="Kept")
    data = HEADER + "1,New,Durand,2009-04-17,3eB,\n2,Léa,Durand,2009-04-17,3eB,\n"
    report = await run_import(registry, data, on_conflict="skip")
    assert (report.created, report.skipped, report.failed) == (1, 1, 0)
    assert (await registry.get_student("1")).student.first_name == "Kept"


async def test_update_replaces_the_registered_student_and_its_indexes(registry: Registry) -> None:
    await register(registry, id="1", first_name="Old", course="3eA", email="old@example.org")
    report = await run_import(
        registry, HEADER + "1,New,Durand,2009-04-17,3eB,new@example.org\n", on_conflict="update"
    )
    assert (report.updated, report.failed) == (1, 0)
    student = (await registry.get_student("1")).student
    assert (student.first_name, student.course, student.email) == ("New", "3eB", "new@example.org")
    assert [(c.course, c.students) for c in await registry.course_stats()] == [("3eB", 1)]
    await register(registry, id="2", email="old@example.org")  # the old email is free again


@pytest.mark.parametrize("mode", ["fail", "skip", "update"])
async def test_an_email_of_another_student_fails_the_row_in_every_mode(
    registry: Registry, mode: ConflictMode
) -> None:
    await register(registry, id="1", email="taken@example.org")
    data = HEADER + "2,Léa,Durand,2009-04-17,3eB,TAKEN@example.org\n"
    report = await run_import(registry, data, on_conflict=mode)
    assert problems(report) == {2: {"email": "belongs to another student"}}
    assert [row[0] for row in await snapshot(registry)] == ["1"]


async def test_ids_and_emails_stay_unique_within_the_file(registry: Registry) -> None:
    data = HEADER + "".join(
        f"{i % 2500},Léa,Durand,2009-04-17,3eB,{'same@example.org' if i == 7 else ''}\n"
        for i in range(3000)
    )
    data += "x,Léa,Durand,2009-04-17,3eB,same@example.org\n"
    report = await run_import(registry, data)
    assert (report.created, report.failed) == (2500, 501)
    assert problems(report)[2502] == {"id": "is already registered"}
    assert problems(report)[3002] == {"email": "belongs to another student"}
    assert await registry.store.count() == 2500


async def test_update_within_the_file_keeps_the_last_row(registry: Registry) -> None:
    data = HEADER + "1,First,Durand,2009-04-17,3eB,\n1,Second,Durand,2009-04-17,3eA,\n"
    report = await run_import(registry, data, on_conflict="update")
    assert (report.created, report.updated) == (1, 1)
    assert (await registry.get_student("1")).student.first_name == "Second"
    assert [(c.course, c.students) for c in await registry.course_stats()] == [("3eA", 1)]


async def test_invalid_rows_do_not_block_valid_ones(registry: Registry) -> None:
    data = HEADER + "1,Léa,Durand,2009-04-17,3eB,\n2,,Durand,2009-04-17,3eB,\n"
    report = await run_import(registry, data)
    assert (report.created, report.failed) == (1, 1)
    assert problems(report) == {3: {"first_name": "is required"}}


async def test_atomic_import_with_an_invalid_row_writes_nothing(registry: Registry) -> None:
    data = HEADER + "1,Léa,Durand,2009-04-17,3eB,\n2,Léa,Durand,31/02/2009,3eB,\n"
    report = await run_import(registry, data, atomic=True)
    assert report.aborted
    assert (report.created, report.failed) == (0, 1)
    assert await snapshot(registry) == []


async def test_atomic_import_with_a_conflict_writes_nothing(registry: Registry) -> None:
    await register(registry, id="9", first_name="Kept")
    data = HEADER + "1,Léa,Durand,2009-04-17,3eB,\n9,New,Durand,2009-04-17,3eB,\n"
    report = await run_import(registry, data, atomic=True)
    assert report.aborted
    assert problems(report) == {3: {"id": "is already registered"}}
    assert [row[:2] for row in await snapshot(registry)] == [("9", "Kept")]


async def test_atomic_import_writes_every_row_when_all_are_good(registry: Registry) -> None:
    await register(registry, id="9", first_name="Old")
    data = HEADER + "".join(f"{i},Léa,Durand,2009-04-17,3eB,\n" for i in range(1, 10))
    report = await run_import(registry, data, atomic=True, on_conflict="update")
    assert not report.aborted
    assert (report.created, report.updated) == (8, 1)
    assert await registry.store.count() == 9


async def test_atomic_import_refuses_more_rows_than_its_limit(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "MAX_ATOMIC_ROWS", 2)
    data = HEADER + "".join(f"{i},Léa,Durand,2009-04-17,3eB,\n" for i in range(3))
    report = await run_import(registry, data, atomic=True)
    assert report.aborted
    assert report.error is not None
    assert "at most 2 rows" in report.error
    assert await snapshot(registry) == []


@pytest.mark.parametrize("atomic", [False, True])
async def test_dry_run_counts_what_would_happen_and_writes_nothing(
    registry: Registry, atomic: bool
) -> None:
    await register(registry, id="1", email="taken@example.org")
    data = HEADER + (
        "1,Léa,Durand,2009-04-17,3eB,\n"
        "2,Léa,Durand,2009-04-17,3eB,a@example.org\n"
        "2,Léa,Durand,2009-04-17,3eB,\n"
        "3,Léa,Durand,2009-04-17,3eB,A@example.org\n"
        "4,Léa,Durand,2009-04-17,3eB,taken@example.org\n"
        "5,Léa,Durand,2009-04-17,3eB,\n"
    )
    before = await snapshot(registry)
    report = await run_import(registry, data, dry_run=True, atomic=atomic, on_conflict="skip")
    assert report.dry_run
    assert report.failed == 2
    assert problems(report) == {
        5: {"email": "belongs to another student"},
        6: {"email": "belongs to another student"},
    }
    # All or nothing: with a failed row, nothing would be written at all.
    assert (report.created, report.skipped) == ((0, 0) if atomic else (2, 2))
    assert report.aborted is atomic
    assert await snapshot(registry) == before


async def test_dry_run_then_import_agree(registry: Registry) -> None:
    data = HEADER + "".join(f"{i % 3000},Léa,Durand,2009-04-17,3eB,\n" for i in range(4500))
    dry = await run_import(registry, data, dry_run=True)
    real = await run_import(registry, data)
    assert (dry.created, dry.failed) == (real.created, real.failed) == (3000, 1500)
    assert problems(dry) == problems(real)


async def test_update_never_replaces_someone_with_a_generated_id(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    await register(registry, id="TAKEN", first_name="Kept")
    ids = iter(["TAKEN", "FRESH"])
    monkeypatch.setattr(bulk, "generate_id", lambda: next(ids))
    report = await run_import(
        registry, HEADER + ",New,Durand,2009-04-17,3eB,\n", on_conflict="update"
    )
    assert (report.created, report.updated) == (1, 0)
    assert (await registry.get_student("TAKEN")).student.first_name == "Kept"
    assert (await registry.get_student("FRESH")).student.first_name == "New"


async def test_a_generated_id_that_is_taken_is_drawn_again(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    await register(registry, id="TAKEN")
    ids = iter(["TAKEN", "FRESH"])
    monkeypatch.setattr(bulk, "generate_id", lambda: next(ids))
    report = await run_import(registry, HEADER + ",New,Durand,2009-04-17,3eB,\n")
    assert (report.created, report.failed) == (1, 0)
    assert (await registry.get_student("FRESH")).student.first_name == "New"


async def test_a_file_that_breaks_off_keeps_the_rows_before_and_says_where(
    registry: Registry,
) -> None:
    good = HEADER + "".join(f"{i},Léa,Durand,2009-04-17,3eB,\n" for i in range(3000))
    report = await run_import(registry, good.encode() + b"9999,L\xe9a\xff,D,2009-04-17,3eB,\n")
    assert report.created == 3000
    assert report.error is not None
    assert "not UTF-8" in report.error
    assert not report.succeeded


@pytest.mark.parametrize("atomic", [False, True])
async def test_a_windows_1252_file_whose_first_accent_is_late_imports_every_row_once(
    registry: Registry, atomic: bool
) -> None:
    rows = "".join(f"S{i:04d},Lea,Durand,2009-04-17,3eB,\n" for i in range(1600))
    data = (HEADER + rows + "A1,Éloïse,Lefèvre,2009-04-17,2nde Été,\n").encode("cp1252")
    assert data.index(b"\xc9") > 32 * 1024
    report = await run_import(registry, data, atomic=atomic)
    assert (report.created, report.failed, report.error) == (1601, 0, None)
    students = await snapshot(registry)
    assert len({s[0] for s in students}) == len(students) == 1601
    assert (await registry.get_student("A1")).student.course == "2nde Été"


async def test_imported_students_are_listed_and_searchable(registry: Registry) -> None:
    data = HEADER + "1,Éloïse,Zola,2009-04-17,3eB,\n2,Marc,Élan,2009-04-17,3eA,\n"
    await run_import(registry, data)
    page = await registry.list_students(limit=10, q="el")
    assert [s.id for s in page.items] == ["2", "1"]
    page = await registry.list_students(limit=10, course="3eB")
    assert [s.id for s in page.items] == ["1"]
