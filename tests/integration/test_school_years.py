"""School years: enrolments per year, the current year, and the rollover to the next."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import redis.asyncio
from litestar import Litestar
from litestar.testing import AsyncTestClient

from student_registry.domain.models import StudentCreate
from student_registry.domain.service import to_row
from student_registry.domain.text import fold, make_sort_key
from student_registry.domain.validation import parse
from student_registry.errors import YearClosed
from student_registry.school_years import YearStart, last_day, next_year, year_of
from student_registry.store import keys
from student_registry.store.redis_store import RedisStore, RolloverPlan, to_micros
from tests.audit import trail
from tests.builders import API, DUPLICATES_ALLOWED, student_body
from tests.integration.support import assert_problem

Client = AsyncTestClient[Litestar]
START = YearStart.parse("09-01")
THIS_YEAR = year_of(datetime.now(UTC).date(), START)
NEXT_YEAR = next_year(THIS_YEAR)
YEARS = "/api/v1/years"
ROLLOVER = "/api/v1/rollover"
MAPPING = {"6A": "5A", "6B": "5B", "3eB": None}


async def register(client: Client, student_id: str, course: str, **more: Any) -> dict[str, Any]:
    body = student_body(id=student_id, first_name=f"F{student_id}", course=course, **more)
    response = await client.post(API, json=body, params=DUPLICATES_ALLOWED)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def school(client: Client) -> None:
    """Two sixth-year classes, a leaving class, a student withdrawn during the year."""
    for n in range(3):
        await register(client, f"a{n}", "6A")
    await register(client, "b0", "6B")
    await register(client, "c0", "3eB")
    await register(client, "c1", "3eB")
    await register(client, "w0", "6A")
    withdrawal = {"status": "withdrawn", "exit_date": str(datetime.now(UTC).date())}
    response = await client.patch(f"{API}/w0", json={**withdrawal, "exit_reason": "Moved"})
    assert response.status_code == 200, response.text


def rollover_body(**more: Any) -> dict[str, Any]:
    return {"from": THIS_YEAR, "to": NEXT_YEAR, "mapping": MAPPING, **more}


async def ids(client: Client, **params: str) -> list[str]:
    response = await client.get(API, params={"limit": "500", **params})
    assert response.status_code == 200, response.text
    return sorted(s["id"] for s in response.json()["items"])


async def test_a_new_registry_is_in_the_school_year_of_today(client: Client) -> None:
    response = await client.get(YEARS)
    assert response.status_code == 200
    assert response.json() == {"current": THIS_YEAR, "live": THIS_YEAR, "years": [THIS_YEAR]}
    student = await register(client, "s1", "6A")
    assert student["year"] == THIS_YEAR
    assert [e["year"] for e in student["enrolments"]] == [THIS_YEAR]


async def test_a_dry_run_counts_and_changes_nothing(client: Client, redis_url: str) -> None:
    await school(client)
    before = (await client.get(f"{API}/a0")).headers["etag"]
    response = await client.post(ROLLOVER, json=rollover_body(repeat=["a2", "c1"], dry_run=True))
    assert response.status_code == 200, response.text
    assert response.json() == {
        "promoted": 3,
        "repeating": 2,
        "left": 1,
        "unmapped_courses": [],
        "dry_run": True,
    }
    assert (await client.get(YEARS)).json()["current"] == THIS_YEAR
    assert (await client.get(f"{API}/a0")).headers["etag"] == before
    assert not [e for e in trail(redis_url) if e["action"] == "yr"]


async def test_unmapped_courses_are_named_and_nothing_changes(client: Client) -> None:
    await school(client)
    body = rollover_body(mapping={"6A": "5A"})
    problem = assert_problem(await client.post(ROLLOVER, json=body), 422)
    assert problem["unmapped_courses"] == ["3eB", "6B"]
    assert "3eB" in problem["detail"]
    assert (await client.get(YEARS)).json()["live"] == THIS_YEAR
    assert await ids(client, course="6A") == ["a0", "a1", "a2"]


async def test_a_repeater_must_be_enrolled_in_the_year(client: Client) -> None:
    await school(client)
    problem = assert_problem(
        await client.post(ROLLOVER, json=rollover_body(repeat=["w0", "nobody"])), 422
    )
    assert "w0" in problem["detail"]
    assert "nobody" in problem["detail"]


async def test_the_rollover_moves_classes_up_and_keeps_the_year_before(
    client: Client, redis_url: str
) -> None:
    await school(client)
    response = await client.post(ROLLOVER, json=rollover_body(repeat=["a2", "c1"]))
    assert response.status_code == 200, response.text
    assert response.json() == {
        "promoted": 3,
        "repeating": 2,
        "left": 1,
        "unmapped_courses": [],
        "dry_run": False,
    }
    assert (await client.get(YEARS)).json() == {
        "current": NEXT_YEAR,
        "live": NEXT_YEAR,
        "years": [THIS_YEAR, NEXT_YEAR],
    }
    # The new year: promoted students in their next course, repeaters in theirs.
    assert await ids(client, course="5A") == ["a0", "a1"]
    assert await ids(client, course="6A") == ["a2"]
    assert await ids(client, course="5B") == ["b0"]
    assert await ids(client, course="3eB") == ["c1"]
    assert await ids(client, status="all") == ["a0", "a1", "a2", "b0", "c1"]
    # The year before, as it ended: the leaving class withdrawn on its last day.
    assert await ids(client, year=THIS_YEAR) == ["a0", "a1", "a2", "b0", "c1"]
    assert await ids(client, year=THIS_YEAR, status="withdrawn") == ["c0", "w0"]
    assert await ids(client, year=THIS_YEAR, course="6A") == ["a0", "a1", "a2"]
    left = (await client.get(f"{API}/c0")).json()
    assert left["year"] == THIS_YEAR
    assert left["status"] == "withdrawn"
    assert left["exit_date"] == str(last_day(THIS_YEAR, START))
    assert left["exit_reason"]
    promoted = (await client.get(f"{API}/a0")).json()
    assert promoted["course"] == "5A"
    assert promoted["entry_date"] == f"{NEXT_YEAR[:4]}-09-01"
    assert [(e["year"], e["course"]) for e in promoted["enrolments"]] == [
        (NEXT_YEAR, "5A"),
        (THIS_YEAR, "6A"),
    ]
    before = (await client.get(f"{API}/a0", params={"year": THIS_YEAR})).json()
    assert (before["year"], before["course"], before["status"]) == (THIS_YEAR, "6A", "enrolled")
    # One trail entry, with the counts.
    [entry] = [e for e in trail(redis_url) if e["action"] == "yr"]
    assert entry["target"] == f"{THIS_YEAR}:{NEXT_YEAR}"
    audit = await client.get("/api/v1/audit", params={"action": "year.rollover"})
    assert audit.json()["items"][0]["counts"] == {"promoted": 3, "repeating": 2, "left": 1}


async def test_a_second_rollover_changes_nothing_and_answers_the_first_counts(
    client: Client, redis_url: str
) -> None:
    await school(client)
    first = await client.post(ROLLOVER, json=rollover_body(repeat=["a2"]))
    assert first.status_code == 200, first.text
    etags = {i: (await client.get(f"{API}/{i}")).headers["etag"] for i in ("a0", "c0", "w0")}
    again = await client.post(ROLLOVER, json=rollover_body(repeat=["a2"]))
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert {i: (await client.get(f"{API}/{i}")).headers["etag"] for i in etags} == etags
    assert len([e for e in trail(redis_url) if e["action"] == "yr"]) == 1


async def test_a_rollover_cut_short_is_completed_by_running_it_again(
    client: Client, store: RedisStore
) -> None:
    await school(client)
    plan = RolloverPlan(
        from_year=THIS_YEAR,
        to_year=NEXT_YEAR,
        mapping=MAPPING,
        repeat=[],
        entry_date=f"{NEXT_YEAR[:4]}-09-01",
        exit_date=str(last_day(THIS_YEAR, START)),
        reason="Left",
    )

    class CutShort(Exception):
        pass

    calls = 0
    real = store._write

    async def cut(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise CutShort
        return await real(*args, **kwargs)

    store._write = cut  # type: ignore[method-assign]
    with pytest.raises(CutShort):
        await store.rollover(plan, batch=2)
    store._write = real  # type: ignore[method-assign]
    # Meanwhile writes wait for the rollover's end.
    response = await client.post(API, json=student_body(id="late", course="6A"))
    assert_problem(response, 409)
    response = await client.post(ROLLOVER, json=rollover_body())
    assert response.status_code == 200, response.text
    assert response.json()["promoted"] == 4
    assert response.json()["left"] == 2
    assert await ids(client) == ["a0", "a1", "a2", "b0"]
    assert (await client.post(API, json=student_body(id="late", course="6A"))).status_code == 201


async def test_an_earlier_year_shown_is_read_only_until_the_live_one_is_current(
    client: Client, store: RedisStore
) -> None:
    await school(client)
    assert (await client.post(ROLLOVER, json=rollover_body())).status_code == 200
    response = await client.put(f"{YEARS}/current", json={"year": THIS_YEAR})
    assert response.status_code == 200, response.text
    assert response.json()["current"] == THIS_YEAR
    assert await ids(client, course="6A") == ["a0", "a1", "a2"]
    shown = (await client.get(f"{API}/a0")).json()
    assert (shown["year"], shown["course"]) == (THIS_YEAR, "6A")
    problem = assert_problem(await client.post(API, json=student_body(id="n1")), 409)
    assert NEXT_YEAR in problem["detail"]
    assert_problem(await client.patch(f"{API}/a0", json={"last_name": "Zola"}), 409)
    imported = await client.post(
        f"{API}/import",
        content=b"id,first_name,last_name,birth_date,course\nn2,Ada,Lovelace,2009-01-02,6A\n",
        headers={"Content-Type": "text/csv"},
    )
    assert_problem(imported, 409)
    # The command line and the exports' imports write through the store: refused there too.
    row = to_row(parse(student_body(id="n3"), StudentCreate), "n3")
    with pytest.raises(YearClosed):
        await store.import_rows([row], now=datetime.now(UTC), on_conflict="fail", atomic=False)
    assert (await client.get(f"{API}/n3")).status_code == 404
    # An erasure may not wait.
    assert (await client.delete(f"{API}/w0")).status_code == 204
    assert (await client.put(f"{YEARS}/current", json={"year": NEXT_YEAR})).status_code == 200
    assert (await client.patch(f"{API}/a0", json={"last_name": "Zola"})).status_code == 200


async def test_a_year_the_registry_never_held_is_refused(client: Client) -> None:
    await register(client, "s1", "6A")
    assert_problem(await client.get(API, params={"year": "1999-2000"}), 422)
    assert_problem(await client.get(f"{API}/s1", params={"year": "1999-2000"}), 422)
    assert_problem(await client.get("/api/v1/students.csv", params={"year": "1999-2000"}), 422)
    assert_problem(await client.put(f"{YEARS}/current", json={"year": "2040-2041"}), 422)
    assert_problem(await client.get(API, params={"year": "2026"}), 422)


async def test_an_empty_registry_may_start_in_any_year(client: Client) -> None:
    response = await client.put(f"{YEARS}/current", json={"year": NEXT_YEAR})
    assert response.status_code == 200, response.text
    assert response.json() == {"current": NEXT_YEAR, "live": NEXT_YEAR, "years": [NEXT_YEAR]}
    assert (await register(client, "s1", "6A"))["year"] == NEXT_YEAR


async def test_renaming_or_deleting_a_student_reaches_the_years_before(
    client: Client, store: RedisStore
) -> None:
    await school(client)
    assert (await client.post(ROLLOVER, json=rollover_body())).status_code == 200
    response = await client.patch(f"{API}/a0", json={"last_name": "Zola"})
    assert response.status_code == 200, response.text
    found = await client.get(API, params={"q": "zola", "year": THIS_YEAR})
    assert [s["id"] for s in found.json()["items"]] == ["a0"]
    assert (await client.delete(f"{API}/c0")).status_code == 204
    assert (await client.delete(f"{API}/a1")).status_code == 204
    years = await store.years()
    for year in (THIS_YEAR, NEXT_YEAR):
        for status in ("enrolled", "withdrawn"):
            order = keys.order_index() if status == "enrolled" else keys.withdrawn_order_index()
            members = await store.client.zrange(years.key(order, year), 0, -1)
            listed = await ids(client, year=year, status=status)
            assert sorted(m.rsplit("\0", 1)[1] for m in members) == listed
    counts = await client.get(API, params={"year": THIS_YEAR, "course": "3eB", "status": "all"})
    assert counts.json()["total"] == 1


async def test_a_student_of_an_earlier_year_is_enrolled_again_by_a_change(
    client: Client,
) -> None:
    await school(client)
    assert (await client.post(ROLLOVER, json=rollover_body())).status_code == 200
    response = await client.patch(f"{API}/c0", json={"course": "2nde A"})
    assert response.status_code == 200, response.text
    student = response.json()
    assert (student["year"], student["course"], student["status"]) == (
        NEXT_YEAR,
        "2nde A",
        "enrolled",
    )
    assert [e["year"] for e in student["enrolments"]] == [NEXT_YEAR, THIS_YEAR]
    assert await ids(client, course="2nde A") == ["c0"]
    assert await ids(client, year=THIS_YEAR, status="withdrawn") == ["c0", "c1", "w0"]
    # A change of anything else leaves a student of an earlier year where it was.
    response = await client.patch(f"{API}/w0", json={"first_name": "Wanda"})
    assert response.status_code == 200, response.text
    assert response.json()["year"] == THIS_YEAR
    assert await ids(client, status="all") == ["a0", "a1", "a2", "b0", "c0"]


async def test_students_stored_before_years_become_the_current_years(
    client: Client, redis_url: str
) -> None:
    """A store written by the version before school years: no years hash, no y or h."""
    raw = redis.asyncio.Redis.from_url(redis_url, decode_responses=True)
    created = to_micros(datetime(2026, 9, 2, 8, tzinfo=UTC))
    for student_id, course in (("old1", "6A"), ("old2", "3eB")):
        sort_key = make_sort_key(last_name="Durand", first_name=student_id, student_id=student_id)
        await raw.hset(
            keys.student_key(student_id),
            mapping={"f": student_id, "l": "Durand", "b": "20090417", "c": course, "t": created},
        )
        await raw.zadd(keys.order_index(), {sort_key: 0})
        await raw.zadd(keys.first_name_index(), {f"{fold(student_id)}\0{sort_key}": 0})
        await raw.zadd(keys.course_index(course), {sort_key: 0})
        await raw.hincrby(keys.course_counts(), course, 1)
    await raw.aclose()
    student = (await client.get(f"{API}/old1")).json()
    assert student["year"] == THIS_YEAR
    assert student["enrolments"] == [
        {
            "year": THIS_YEAR,
            "course": "6A",
            "status": "enrolled",
            "entry_date": "2026-09-02",
            "exit_date": None,
            "exit_reason": None,
        }
    ]
    assert await ids(client) == ["old1", "old2"]
    response = await client.post(ROLLOVER, json=rollover_body(mapping={"6A": "5A", "3eB": None}))
    assert response.json()["promoted"] == 1
    assert response.json()["left"] == 1
    assert await ids(client, course="5A") == ["old1"]
    assert await ids(client, year=THIS_YEAR, status="withdrawn") == ["old2"]
    stored = json.loads((await client.get(f"{API}/old1")).text)
    assert stored["enrolments"][1]["entry_date"] == "2026-09-02"


async def test_the_year_routes_ask_for_a_token(anonymous_client: Client) -> None:
    assert_problem(await anonymous_client.get(YEARS), 401)
    assert_problem(await anonymous_client.post(ROLLOVER, json=rollover_body()), 401)


async def test_an_import_enrols_a_student_of_an_earlier_year_again_from_today(
    client: Client,
) -> None:
    await school(client)
    assert (await client.post(ROLLOVER, json=rollover_body())).status_code == 200
    rows = "id,first_name,last_name,birth_date,course\nc0,Fc0,Durand,2009-04-17,2nde A\n"
    response = await client.post(
        f"{API}/import",
        params={"on_conflict": "update"},
        content=rows.encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    student = (await client.get(f"{API}/c0")).json()
    assert (student["year"], student["course"], student["status"]) == (
        NEXT_YEAR,
        "2nde A",
        "enrolled",
    )
    assert student["entry_date"] == str(datetime.now(UTC).date())
    assert [e["year"] for e in student["enrolments"]] == [NEXT_YEAR, THIS_YEAR]


async def test_a_second_year_rolls_over_like_the_first(client: Client) -> None:
    """Students rolled into a year roll over out of it the next year."""
    await school(client)
    assert (await client.post(ROLLOVER, json=rollover_body(repeat=["a2"]))).status_code == 200
    await register(client, "n0", "6B")
    third = next_year(NEXT_YEAR)
    body = {
        "from": NEXT_YEAR,
        "to": third,
        "mapping": {"5A": "4A", "6A": "5A", "5B": "4B", "6B": "5B"},
    }
    response = await client.post(ROLLOVER, json=body)
    assert response.status_code == 200, response.text
    assert response.json()["promoted"] == 5
    assert await ids(client, course="4A") == ["a0", "a1"]
    assert await ids(client, course="5A") == ["a2"]
    assert await ids(client, course="4B") == ["b0"]
    assert await ids(client, course="5B") == ["n0"]
    student = (await client.get(f"{API}/a0")).json()
    assert [(e["year"], e["course"]) for e in student["enrolments"]] == [
        (third, "4A"),
        (NEXT_YEAR, "5A"),
        (THIS_YEAR, "6A"),
    ]
    assert await ids(client, year=NEXT_YEAR) == ["a0", "a1", "a2", "b0", "n0"]
    assert await ids(client, year=THIS_YEAR, course="6A") == ["a0", "a1", "a2"]
