"""Checks shared by the integration tests: problem documents and index consistency."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx

from student_registry.domain.text import fold, make_sort_key
from student_registry.store import keys
from student_registry.store.redis_store import Fields, RedisStore

PROBLEM_JSON = "application/problem+json"


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """Assert an RFC 9457 problem with this status; return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    for member in ("type", "title", "detail"):
        assert isinstance(body[member], str)
        assert body[member]
    assert "Traceback" not in response.text
    return body


def field_errors(response: httpx.Response) -> dict[str, str]:
    """The path -> message map of a 422 problem."""
    body = assert_problem(response, 422)
    return {error["path"]: error["message"] for error in body["errors"]}


async def read_students(store: RedisStore) -> dict[str, Fields]:
    """Every stored student by id, found with SCAN."""
    students: dict[str, Fields] = {}
    async for key in store.client.scan_iter(match=f"{keys.student_key_prefix()}*", count=500):
        student_id = key.removeprefix(keys.student_key_prefix())
        fields = await store.get(student_id)
        assert fields is not None
        students[student_id] = fields
    return students


async def assert_indexes_consistent(store: RedisStore) -> dict[str, Fields]:
    """Assert every index holds exactly the stored students; return them by id."""
    client = store.client
    students = await read_students(store)
    # The indexes hold each student's sort key as the service makes it from the names.
    by_sort_key = {
        make_sort_key(
            last_name=fields["last_name"], first_name=fields["first_name"], student_id=student_id
        ): fields
        for student_id, fields in students.items()
    }
    assert len(by_sort_key) == len(students)
    # ... and the store reports the same key for each (from its hash or derived from its names).
    assert all(fields["sort_key"] == sort_key for sort_key, fields in by_sort_key.items())

    # Enrolled students are in the indexes, withdrawn ones in their twins, each in one only.
    statuses = {
        "enrolled": (
            keys.order_index(),
            keys.first_name_index(),
            keys.course_index_prefix(),
            keys.course_counts(),
        ),
        "withdrawn": (
            keys.withdrawn_order_index(),
            keys.withdrawn_first_name_index(),
            keys.withdrawn_course_index_prefix(),
            keys.withdrawn_course_counts(),
        ),
    }
    for status, (order, first, course_prefix, course_counts) in statuses.items():
        of_status = {k: f for k, f in by_sort_key.items() if f.get("status", "enrolled") == status}
        assert set(await client.zrange(order, 0, -1)) == set(of_status)
        assert set(await client.zrange(first, 0, -1)) == {
            f"{fold(fields['first_name'])}\0{sort_key}" for sort_key, fields in of_status.items()
        }
        by_course: dict[str, set[str]] = {}
        for sort_key, fields in of_status.items():
            by_course.setdefault(fields["course"], set()).add(sort_key)
        indexed: dict[str, set[str]] = {}
        async for key in client.scan_iter(match=f"{course_prefix}*", count=500):
            indexed[key.removeprefix(course_prefix)] = set(await client.zrange(key, 0, -1))
        assert indexed == by_course
        counts = {c: int(n) for c, n in (await client.hgetall(course_counts)).items()}
        assert counts == dict(Counter(fields["course"] for fields in of_status.values()))

    assert await client.hgetall(keys.email_index()) == {
        fields["email"].lower(): student_id
        for student_id, fields in students.items()
        if fields.get("email")
    }
    assert await client.hgetall(keys.ine_index()) == {
        fields["ine"]: student_id for student_id, fields in students.items() if fields.get("ine")
    }
    return students


def words_match(words: list[str], *, last: str, first: str) -> bool:
    """The search rule, said another way: the words cut into runs that each start a name."""
    if not words:
        return True
    for cut in range(1, len(words) + 1):
        run = " ".join(words[:cut])
        if (last.startswith(run) or first.startswith(run)) and words_match(
            words[cut:], last=last, first=first
        ):
            return True
    return False


def search_position(words: list[str], plan: int, *, last: str, first: str, sort_key: str) -> bytes:
    """Where a search along word `plan` (1-based) puts a student: its smaller name entry among
    the names starting with "word j ... word plan" (j <= plan), then its sort key."""
    runs = [" ".join(words[j:plan]) for j in range(plan)]
    prefixes = [
        run for j, run in enumerate(runs) if not any(run.startswith(r) for r in runs[j + 1 :])
    ]
    names = [name for name in (last, first) if any(name.startswith(p) for p in prefixes)]
    assert names, "a match is met under one of its names"
    return min(f"{name}\0{sort_key}".encode() for name in names)
