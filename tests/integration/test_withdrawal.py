"""Withdrawal (radiation) instead of deletion: status, dates, lists, counts, exports, trail."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from typer.testing import CliRunner, Result

from student_registry.domain.models import StudentPatch
from student_registry.domain.service import Registry
from student_registry.errors import InvalidStudent, StaleRevision
from student_registry.store import keys
from student_registry.store.redis_store import RedisStore, enrolled_count, to_micros
from tests.audit import actions, trail
from tests.builders import API, DUPLICATES_ALLOWED, student_body
from tests.integration.support import assert_indexes_consistent, assert_problem, field_errors

Client = AsyncTestClient[Litestar]
TODAY = datetime.now(UTC).date()
WITHDRAWAL = {"status": "withdrawn", "exit_date": "2025-02-14", "exit_reason": "Moved to Lyon"}


async def register(client: Client, **overrides: Any) -> dict[str, Any]:
    """Register a student, entered in 2024 unless said otherwise (so it may leave in 2025)."""
    overrides.setdefault("entry_date", "2024-09-02")
    if overrides["entry_date"] is None:
        del overrides["entry_date"]
    response = await client.post(API, json=student_body(**overrides), params=DUPLICATES_ALLOWED)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def withdraw(client: Client, student_id: str, **overrides: Any) -> dict[str, Any]:
    response = await client.patch(f"{API}/{student_id}", json=WITHDRAWAL | overrides)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def listed(client: Client, **params: str) -> list[str]:
    response = await client.get(API, params={"limit": "500", **params})
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def _cli(*args: str, redis_url: str, stdin: str | None = None) -> Result:
    from student_registry.cli import app

    return CliRunner().invoke(app, [*args, "--redis-url", redis_url], input=stdin)


async def test_a_new_student_is_enrolled_and_entered_today_unless_it_says_when(
    client: Client,
) -> None:
    plain = await register(client, id="s1", entry_date=None)
    assert plain["status"] == "enrolled"
    assert plain["entry_date"] == TODAY.isoformat()
    assert (plain["exit_date"], plain["exit_reason"]) == (None, None)
    dated = await register(client, id="s2", entry_date="2024-09-03")
    assert dated["entry_date"] == "2024-09-03"
    assert (await client.get(f"{API}/s2")).json()["entry_date"] == "2024-09-03"


async def test_withdrawing_keeps_the_record_and_moves_it_out_of_the_default_list(
    client: Client, store: RedisStore
) -> None:
    await register(client, id="s1", last_name="Durand")
    await register(client, id="s2", last_name="Martin")
    before = await client.get(f"{API}/s1")
    withdrawn = await withdraw(client, "s1")
    assert withdrawn["status"] == "withdrawn"
    assert withdrawn["exit_date"] == "2025-02-14"
    assert withdrawn["exit_reason"] == "Moved to Lyon"
    after = await client.get(f"{API}/s1")
    assert after.json() == withdrawn
    assert after.headers["etag"] != before.headers["etag"]
    assert await listed(client) == ["s2"]
    assert await listed(client, status="withdrawn") == ["s1"]
    assert await listed(client, status="all") == ["s1", "s2"]
    page = (await client.get(API, params={"status": "all"})).json()
    assert (page["total"], page["total_exact"]) == (2, True)
    stored = await assert_indexes_consistent(store)
    assert stored["s1"]["status"] == "withdrawn"


async def test_reinstating_clears_the_exit_date_and_reason_and_lists_the_student_again(
    client: Client, store: RedisStore
) -> None:
    await register(client, id="s1")
    await withdraw(client, "s1")
    response = await client.patch(f"{API}/s1", json={"status": "enrolled"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["exit_date"], body["exit_reason"]) == ("enrolled", None, None)
    assert await listed(client) == ["s1"]
    assert await listed(client, status="withdrawn") == []
    raw = await store.client.hgetall(keys.student_key("s1"))
    assert "w" not in raw
    assert "r" not in raw
    await assert_indexes_consistent(store)


async def test_an_exit_date_and_reason_sent_with_status_enrolled_are_not_kept(
    client: Client,
) -> None:
    await register(client, id="s1")
    await withdraw(client, "s1")
    response = await client.patch(f"{API}/s1", json=WITHDRAWAL | {"status": "enrolled"})
    assert response.status_code == 200, response.text
    assert (response.json()["exit_date"], response.json()["exit_reason"]) == (None, None)


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"status": "withdrawn"}, {"exit_date", "exit_reason"}),
        ({"status": "withdrawn", "exit_date": "2025-02-14"}, {"exit_reason"}),
        ({"exit_date": "2025-02-14"}, {"exit_date"}),
        ({"exit_reason": "Moved"}, {"exit_reason"}),
        (WITHDRAWAL | {"exit_date": "2024-09-01"}, {"exit_date"}),
        (WITHDRAWAL | {"exit_reason": "   "}, {"exit_reason"}),
        (WITHDRAWAL | {"exit_reason": "x" * 101}, {"exit_reason"}),
        (WITHDRAWAL | {"exit_reason": "a\u202eb"}, {"exit_reason"}),
        (WITHDRAWAL | {"exit_date": "1899-12-31"}, {"exit_date"}),
        (WITHDRAWAL | {"status": "gone"}, {"status"}),
    ],
)
async def test_a_withdrawal_without_its_date_and_reason_or_out_of_order_is_refused(
    client: Client, change: dict[str, Any], errors: set[str]
) -> None:
    await register(client, id="s1", entry_date="2024-09-02")
    before = (await client.get(f"{API}/s1")).json()
    response = await client.patch(f"{API}/s1", json=change)
    assert set(field_errors(response)) == errors
    assert (await client.get(f"{API}/s1")).json() == before


async def test_an_exit_date_in_the_future_is_refused_and_today_accepted(client: Client) -> None:
    await register(client, id="s1")
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    response = await client.patch(f"{API}/s1", json=WITHDRAWAL | {"exit_date": tomorrow})
    assert "future" in field_errors(response)["exit_date"]
    await withdraw(client, "s1", exit_date=TODAY.isoformat())


async def test_an_exit_date_before_the_entry_date_is_refused_at_registration(
    client: Client,
) -> None:
    body = student_body(id="s1", entry_date="2025-09-01") | WITHDRAWAL
    response = await client.post(API, json=body)
    assert set(field_errors(response)) == {"exit_date"}
    far = (TODAY + timedelta(days=400)).isoformat()
    response = await client.post(API, json=student_body(id="s1", entry_date=far))
    assert set(field_errors(response)) == {"entry_date"}


async def test_registering_a_withdrawn_student_indexes_it_with_the_withdrawn(
    client: Client, store: RedisStore
) -> None:
    created = await register(client, id="s1", entry_date="2020-09-01", **WITHDRAWAL)
    assert created["status"] == "withdrawn"
    assert await listed(client) == []
    assert await listed(client, status="withdrawn") == ["s1"]
    await assert_indexes_consistent(store)


async def test_search_and_course_lists_follow_the_status_filter(client: Client) -> None:
    await register(client, id="a", first_name="Marie", last_name="Dupont", course="3eB")
    await register(client, id="b", first_name="Marie", last_name="Dupuis", course="3eB")
    await register(client, id="c", first_name="Marc", last_name="Dupont", course="4e")
    await withdraw(client, "b")
    assert await listed(client, q="Marie Dup") == ["a"]
    assert await listed(client, q="Marie Dup", status="withdrawn") == ["b"]
    assert await listed(client, q="Marie Dup", status="all") == ["a", "b"]
    assert await listed(client, q="dup", status="all") == ["c", "a", "b"]
    assert await listed(client, course="3eB") == ["a"]
    assert await listed(client, course="3eB", status="withdrawn") == ["b"]
    assert await listed(client, course="3eB", status="all") == ["a", "b"]
    assert await listed(client, course="3eB", q="marie", status="all") == ["a", "b"]


async def test_pages_of_all_statuses_walk_both_indexes_in_order(client: Client) -> None:
    for n in range(7):
        await register(client, id=f"s{n}", last_name=f"Name{n}")
    for n in (1, 2, 5):
        await withdraw(client, f"s{n}")
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": "2", "status": "all", **({"cursor": cursor} if cursor else {})}
        page = (await client.get(API, params=params)).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [f"s{n}" for n in range(7)]
    back = (await client.get(API, params=params | {"cursor": page["previous_cursor"]})).json()
    assert [item["id"] for item in back["items"]] == ["s4", "s5"]


async def test_a_cursor_belongs_to_its_status(client: Client) -> None:
    for n in range(3):
        await register(client, id=f"s{n}", last_name=f"Name{n}")
    page = (await client.get(API, params={"limit": "1", "status": "all"})).json()
    cursor = page["next_cursor"]
    assert cursor
    for status in ("enrolled", "withdrawn"):
        response = await client.get(API, params={"cursor": cursor, "status": status})
        assert_problem(response, 400)
    again = await client.get(API, params={"cursor": cursor, "status": "all", "limit": "1"})
    assert [item["id"] for item in again.json()["items"]] == ["s1"]


async def test_counts_and_the_enrolled_gauge_count_enrolled_students_only(
    client: Client, registry: Registry, store: RedisStore, redis_url: str
) -> None:
    await register(client, id="s1", course="3eB")
    await register(client, id="s2", course="3eB")
    await register(client, id="s3", course="4e")
    await withdraw(client, "s2")
    await withdraw(client, "s3")
    counts = {c.course: c.students for c in await registry.course_stats()}
    assert counts == {"3eB": 1}
    withdrawn = {c.course: c.students for c in await registry.course_stats(status="withdrawn")}
    assert withdrawn == {"3eB": 1, "4e": 1}
    every = {c.course: c.students for c in await registry.course_stats(status="all")}
    assert every == {"3eB": 2, "4e": 1}
    import redis

    sync = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        assert enrolled_count(sync) == 1
    finally:
        sync.close()
    assert await store.count() == 1
    result = await asyncio.to_thread(_cli, "stats", "--status", "withdrawn", redis_url=redis_url)
    assert result.exit_code == 0, result.output
    assert "4e" in result.output


async def test_exports_show_enrolled_students_unless_asked_with_their_status_columns(
    client: Client, redis_url: str
) -> None:
    await register(client, id="s1", last_name="Aa")
    await register(client, id="s2", last_name="Bb", entry_date="2024-09-02")
    await withdraw(client, "s2", exit_reason="=cmd")
    default = (await client.get("/api/v1/students.csv")).text
    rows = list(csv.DictReader(io.StringIO(default.lstrip("\ufeff"))))
    assert [r["id"] for r in rows] == ["s1"]
    assert rows[0]["status"] == "enrolled"
    every = (await client.get("/api/v1/students.csv", params={"status": "all"})).text
    rows = list(csv.DictReader(io.StringIO(every.lstrip("\ufeff"))))
    assert [(r["id"], r["status"]) for r in rows] == [("s1", "enrolled"), ("s2", "withdrawn")]
    assert (rows[1]["entry_date"], rows[1]["exit_date"]) == ("2024-09-02", "2025-02-14")
    assert rows[1]["exit_reason"] == "'=cmd"
    ndjson = await client.get("/api/v1/students.ndjson", params={"status": "withdrawn"})
    [line] = ndjson.text.splitlines()
    assert json.loads(line) | {"id": "s2"} == json.loads(line)
    assert json.loads(line)["exit_reason"] == "=cmd"
    result = await asyncio.to_thread(
        _cli, "export", "--status", "withdrawn", "--format", "ndjson", redis_url=redis_url
    )
    assert result.exit_code == 0, result.output
    assert '"id":"s2"' in result.stdout
    assert '"id":"s1"' not in result.stdout


async def test_an_export_of_all_imports_back_with_each_status(
    client: Client, store: RedisStore, redis_url: str
) -> None:
    await register(client, id="s1", last_name="Aa")
    await register(client, id="s2", last_name="Bb", entry_date="2024-09-02")
    await withdraw(client, "s2")
    exported = (await client.get("/api/v1/students.csv", params={"status": "all"})).text
    await store.client.flushdb()
    result = await asyncio.to_thread(_cli, "import", "-", redis_url=redis_url, stdin=exported)
    assert result.exit_code == 0, result.output
    again = (await client.get("/api/v1/students.csv", params={"status": "all"})).text
    assert again == exported
    await assert_indexes_consistent(store)


async def test_an_old_file_without_status_columns_imports_enrolled_students(
    client: Client, store: RedisStore
) -> None:
    body = "id,first_name,last_name,birth_date,course\nm1,Ada,Lovelace,17/04/2009,3eB\n"
    response = await client.post(
        f"{API}/import", content=body.encode(), headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 200, response.text
    student = (await client.get(f"{API}/m1")).json()
    assert (student["status"], student["entry_date"]) == ("enrolled", TODAY.isoformat())
    assert await listed(client) == ["m1"]
    # Entered the day it was created: nothing stored for it.
    assert "n" not in await store.client.hgetall(keys.student_key("m1"))


async def test_an_import_in_update_mode_keeps_a_stored_entry_date_the_file_lacks(
    client: Client, store: RedisStore
) -> None:
    await register(client, id="m1", entry_date="2023-09-04")
    body = "id,first_name,last_name,birth_date,course\nm1,Ada,Lovelace,2009-04-17,3eB\n"
    response = await client.post(
        f"{API}/import",
        params={"on_conflict": "update", "allow_duplicates": "true"},
        content=body.encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    assert (await client.get(f"{API}/m1")).json()["entry_date"] == "2023-09-04"
    await assert_indexes_consistent(store)


async def test_an_import_in_update_mode_moves_students_between_statuses(
    client: Client, store: RedisStore
) -> None:
    await register(client, id="m1", course="3eB")
    await register(client, id="m2", course="3eB")
    await withdraw(client, "m2")
    body = (
        "id,first_name,last_name,birth_date,course,status,entry_date,exit_date,exit_reason\n"
        "m1,Ada,Lovelace,2009-04-17,3eB,withdrawn,02/09/2024,14/02/2025,Moved\n"
        "m2,Ada,Byron,2009-04-17,3eB,,,,\n"
    )
    response = await client.post(
        f"{API}/import",
        params={"on_conflict": "update", "allow_duplicates": "true"},
        content=body.encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    assert await listed(client) == ["m2"]
    assert await listed(client, status="withdrawn") == ["m1"]
    await assert_indexes_consistent(store)


async def test_deleting_a_withdrawn_student_empties_the_withdrawn_indexes(
    client: Client, store: RedisStore
) -> None:
    await register(client, id="s1")
    await withdraw(client, "s1")
    assert (await client.delete(f"{API}/s1")).status_code == 204
    await assert_indexes_consistent(store)
    for key in (keys.withdrawn_order_index(), keys.withdrawn_course_counts()):
        assert not await store.client.exists(key)


async def test_a_withdrawn_namesake_is_a_possible_duplicate(client: Client) -> None:
    await register(client, id="s1")
    await withdraw(client, "s1")
    response = await client.post(API, json=student_body(id="s2", entry_date="2024-09-02"))
    body = assert_problem(response, 409)
    assert "s1" in json.dumps(body)


async def test_withdrawal_and_reinstatement_leave_one_entry_each_naming_their_fields(
    client: Client, redis_url: str
) -> None:
    await register(client, id="s1")
    await withdraw(client, "s1")
    await client.patch(f"{API}/s1", json={"exit_reason": "Moved to Nantes"})
    await client.patch(f"{API}/s1", json={"status": "enrolled"})
    assert actions(redis_url, "s") == [
        "student.create",
        "student.withdraw",
        "student.update",
        "student.reinstate",
    ]
    assert [e["fields"] for e in trail(redis_url, "s")[1:]] == ["wr", "r", "wr"]
    history = (await client.get(f"{API}/s1/record")).json()["history"]
    assert history[1]["fields"] == ["exit_date", "exit_reason"]
    assert "Lyon" not in json.dumps(trail(redis_url))


async def test_a_withdrawal_with_an_old_revision_is_refused_and_changes_nothing(
    client: Client,
) -> None:
    await register(client, id="s1")
    etag = (await client.get(f"{API}/s1")).headers["etag"]
    await client.patch(f"{API}/s1", json={"course": "4e"})
    response = await client.patch(f"{API}/s1", json=WITHDRAWAL, headers={"If-Match": etag})
    assert_problem(response, 412)
    assert (await client.get(f"{API}/s1")).json()["status"] == "enrolled"


async def test_a_withdrawal_racing_a_change_under_one_revision_lets_one_win(
    registry: Registry, store: RedisStore, client: Client
) -> None:
    from student_registry.domain.preconditions import parse_if_match

    for attempt in range(10):
        student_id = f"r{attempt}"
        await register(client, id=student_id)
        revision = (await registry.get_student(student_id)).revision
        if_match = parse_if_match(f'"{revision}"')
        withdrawal = StudentPatch(
            status="withdrawn", exit_date=date(2025, 2, 14), exit_reason="Moved"
        )
        change = StudentPatch(course="4e")
        outcomes = await asyncio.gather(
            registry.update_student(student_id, withdrawal, if_match=if_match),
            registry.update_student(student_id, change, if_match=if_match),
            return_exceptions=True,
        )
        assert sorted(type(o).__name__ for o in outcomes) == ["StaleRevision", "StoredStudent"]
        assert any(isinstance(o, StaleRevision) for o in outcomes)
    await assert_indexes_consistent(store)


async def test_withdrawals_and_reinstatements_racing_keep_each_student_in_one_index(
    registry: Registry, store: RedisStore, client: Client
) -> None:
    for n in range(5):
        await register(client, id=f"s{n}", course=f"c{n % 2}")
    withdrawal = StudentPatch(status="withdrawn", exit_date=date(2025, 2, 14), exit_reason="x")
    reinstatement = StudentPatch(status="enrolled")
    changes = [
        registry.update_student(f"s{n % 5}", withdrawal if n % 2 else reinstatement)
        for n in range(40)
    ] + [registry.update_student(f"s{n % 5}", StudentPatch(course="c9")) for n in range(10)]
    await asyncio.gather(*changes)
    await assert_indexes_consistent(store)


async def test_the_service_refuses_a_withdrawn_student_without_a_reason(
    registry: Registry, client: Client
) -> None:
    await register(client, id="s1")
    with pytest.raises(InvalidStudent) as refused:
        await registry.update_student(
            "s1", StudentPatch(status="withdrawn", exit_date=date(2025, 1, 1))
        )
    assert [e.path for e in refused.value.errors] == ["exit_reason"]


async def test_students_stored_before_withdrawals_read_as_enrolled_and_can_be_withdrawn(
    client: Client, store: RedisStore
) -> None:
    """A hash and index members as the scripts wrote them before: no n, w or r fields."""
    created = datetime(2024, 3, 5, 23, 30, tzinfo=UTC)
    redis = store.client
    await redis.hset(
        keys.student_key("old1"),
        mapping={"f": "Ada", "l": "Lovelace", "b": "20090417", "c": "3eB", "t": to_micros(created)},
    )
    sort_key = "lovelace\0ada\0old1"
    await redis.zadd(keys.order_index(), {sort_key: 0})
    await redis.zadd(keys.first_name_index(), {f"ada\0{sort_key}": 0})
    await redis.zadd(keys.course_index("3eB"), {sort_key: 0})
    await redis.hincrby(keys.course_counts(), "3eB", 1)

    student = (await client.get(f"{API}/old1")).json()
    assert (student["status"], student["entry_date"]) == ("enrolled", "2024-03-05")
    assert (student["exit_date"], student["exit_reason"]) == (None, None)
    assert await listed(client) == ["old1"]
    assert await listed(client, q="ada love") == ["old1"]
    changed = await client.patch(f"{API}/old1", json={"course": "4e"})
    assert changed.json()["entry_date"] == "2024-03-05"
    assert "n" not in await redis.hgetall(keys.student_key("old1"))
    await withdraw(client, "old1")
    assert await listed(client) == []
    assert await listed(client, status="withdrawn") == ["old1"]
    await assert_indexes_consistent(store)


async def test_an_enrolled_student_stores_no_status_and_dates_as_integers(
    client: Client, store: RedisStore
) -> None:
    await register(client, id="s1", entry_date="2024-09-02")
    raw = await store.client.hgetall(keys.student_key("s1"))
    assert raw["n"] == "20240902"
    assert not {"w", "r"} & set(raw)
    await withdraw(client, "s1")
    raw = await store.client.hgetall(keys.student_key("s1"))
    assert (raw["w"], raw["r"]) == ("20250214", "Moved to Lyon")
    assert re.fullmatch(r"\d{8}", raw["n"])


async def test_the_command_line_withdraws_and_reinstates_and_names_what_is_wrong(
    client: Client, redis_url: str
) -> None:
    await register(client, id="s1")
    refused = await asyncio.to_thread(
        _cli, "withdraw", "s1", "--date", "01/01/2020", "--reason", "Moved", redis_url=redis_url
    )
    assert refused.exit_code == 1
    assert "exit_date must not be before the entry date" in refused.output
    done = await asyncio.to_thread(
        _cli, "withdraw", "s1", "--date", "14/02/2025", "--reason", "Moved", redis_url=redis_url
    )
    assert done.exit_code == 0, done.output
    student = (await client.get(f"{API}/s1")).json()
    assert (student["status"], student["exit_date"]) == ("withdrawn", "2025-02-14")
    back = await asyncio.to_thread(_cli, "reinstate", "s1", redis_url=redis_url)
    assert back.exit_code == 0, back.output
    assert (await client.get(f"{API}/s1")).json()["status"] == "enrolled"
    assert actions(redis_url, "s")[-2:] == ["student.withdraw", "student.reinstate"]
    missing = await asyncio.to_thread(_cli, "reinstate", "nobody", redis_url=redis_url)
    assert missing.exit_code == 1
