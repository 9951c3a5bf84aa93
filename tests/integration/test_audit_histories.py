"""Where a student's history is kept: packed in a shared bucket, or in an index of its own."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import redis
from litestar import Litestar
from litestar.testing import AsyncTestClient
from typer.testing import CliRunner

from student_registry.store import keys
from student_registry.store.audit_store import AuditTrail, unpack_history
from student_registry.store.redis_store import Expected, RedisStore, StudentRow
from tests.audit import trail
from tests.builders import API, DUPLICATES_ALLOWED, student_body

Client = AsyncTestClient[Litestar]
AUDIT = "/api/v1/audit"
DAY_MS = 86_400_000
# A bucket expires a day after its newest entry would leave the trail (give or take the time a
# write takes).
EXPIRY_MAX_MS = 366 * DAY_MS + 60_000


@pytest.fixture
def plain(redis_url: str) -> Iterator[redis.Redis]:
    """A synchronous client of the test database, to look at the keys themselves."""
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    yield client
    client.close()


def _packed(plain: redis.Redis, student_id: str) -> list[str]:
    return unpack_history(plain.hget(keys.student_histories(student_id), student_id) or "")


async def _register(client: Client, student_id: str) -> None:
    response = await client.post(API, json=student_body(id=student_id), params=DUPLICATES_ALLOWED)
    assert response.status_code == 201


async def _history(client: Client, student_id: str, **params: str) -> list[str]:
    response = await client.get(AUDIT, params={"student": student_id, **params})
    assert response.status_code == 200
    return [item["id"] for item in response.json()["items"]]


def _row(student_id: str) -> StudentRow:
    return StudentRow(
        student_id, "Ada", "Lovelace", "20090417", "3eB", "", "", f"lovelace\0ada\0{student_id}"
    )


def _bucket_mates(student_id: str) -> tuple[str, str]:
    """Two other ids whose histories share the bucket of `student_id`'s."""
    bucket = keys.student_histories(student_id)
    mates = (f"m{n}" for n in range(1_000_000) if keys.student_histories(f"m{n}") == bucket)
    return next(mates), next(mates)


def _as_written_before(plain: redis.Redis, student_id: str) -> str:
    """Rewrite a student's history as the service kept it before the buckets: each entry's id
    in the student's own sorted set, scored by its time in ms, expiring with its newest entry;
    then add an entry written that way. Returns the set's key."""
    index = keys.student_history(student_id)
    for entry_id in _packed(plain, student_id):
        plain.zadd(index, {entry_id: int(entry_id.split("-")[0])})
    plain.hdel(keys.student_histories(student_id), student_id)
    entry = {"a": "cli:root", "o": "su", "g": student_id, "f": "c", "r": "run1"}
    added = plain.xadd(keys.audit_stream(), entry)  # type: ignore[arg-type]
    plain.zadd(index, {added: int(added.split("-")[0])})
    plain.pexpire(index, 365 * DAY_MS)
    return index


async def test_a_students_history_is_packed_in_a_shared_bucket_not_a_key_of_its_own(
    client: Client, redis_url: str, plain: redis.Redis
) -> None:
    await _register(client, "h1")
    await _register(client, "h2")

    created = [e["id"] for e in trail(redis_url, "s")]
    assert _packed(plain, "h1") == created[:1]
    assert _packed(plain, "h2") == created[1:]
    assert plain.exists(keys.student_history("h1"), keys.student_history("h2")) == 0
    assert plain.object("encoding", keys.student_histories("h1")) == "listpack"
    assert 0 < plain.pttl(keys.student_histories("h1")) <= EXPIRY_MAX_MS
    assert await _history(client, "h1") == created[:1]


async def test_a_long_history_moves_to_an_index_of_its_own_and_reads_whole(
    client: Client, redis_url: str, plain: redis.Redis
) -> None:
    await _register(client, "long")
    for n in range(9):
        response = await client.patch(f"{API}/long", json={"course": f"{n}e"})
        assert response.is_success

    written = [e["id"] for e in trail(redis_url, "s")]
    assert len(written) == 10
    assert _packed(plain, "long") == []
    assert plain.zrange(keys.student_history("long"), 0, -1) == written
    assert plain.object("encoding", keys.student_histories("long")) in {None, "listpack"}
    first = await _history(client, "long", limit="4")
    cursor = first[-1]
    rest = await _history(client, "long", cursor=cursor)
    assert first + rest == written[::-1]
    record = (await client.get(f"{API}/long/record")).json()
    assert [e["id"] for e in record["history"]][1:] == written[::-1]


async def test_a_history_written_as_an_index_of_its_own_before_the_buckets_is_read_and_kept(
    client: Client, redis_url: str, plain: redis.Redis
) -> None:
    await _register(client, "old")
    index = _as_written_before(plain, "old")

    assert (await client.patch(f"{API}/old", json={"course": "5e"})).is_success

    written = [e["id"] for e in trail(redis_url, "s")]
    assert _packed(plain, "old") == []
    assert plain.zrange(index, 0, -1) == written
    assert await _history(client, "old") == written[::-1]
    assert await _history(client, "old", action="student.update") == written[:0:-1]
    page = await client.get("/students/old")
    assert page.text.count("student.update") == 2
    record = (await client.get(f"{API}/old/record")).json()
    assert [e["action"] for e in record["history"]] == [
        "record.access",
        "student.update",
        "student.update",
        "student.create",
    ]


def test_the_cli_reads_a_history_written_before_the_buckets(
    redis_url: str, plain: redis.Redis
) -> None:
    from student_registry.cli import app

    def run(*args: str, stdin: str | None = None) -> str:
        result = CliRunner().invoke(app, [*args, "--redis-url", redis_url], input=stdin)
        assert result.exit_code == 0, result.output
        return result.stdout

    run(
        "import",
        "--format",
        "csv",
        "-",
        stdin="id,first_name,last_name,birth_date,course\nk1,Ada,Lovelace,2009-04-17,3eB\n",
    )
    _as_written_before(plain, "k1")

    lines = run("audit", "--student", "k1", "--format", "ndjson")

    assert [json.loads(line)["action"] for line in lines.splitlines()] == [
        "student.update",
        "student.import",
    ]


# An id of the trail's first days, long past the retention: 1000 ms after the epoch, in base 36.
ANCIENT = "rs"


async def test_a_students_own_write_drops_their_ids_past_the_retention(
    store: RedisStore, plain: redis.Redis
) -> None:
    await store.create(
        _row("t1"), now=datetime.now(UTC), op=store.new_operation(), allow_duplicate=True
    )
    bucket = keys.student_histories("t1")
    plain.hset(bucket, "t1", f"{ANCIENT} {plain.hget(bucket, 't1')}")
    assert len(_packed(plain, "t1")) == 2

    stored = await store.get("t1")
    assert stored is not None
    expected = Expected(revision=stored["revision"], course="3eB")
    await store.delete("t1", expected=expected, op=store.new_operation())

    assert _packed(plain, "t1") == [e[0] for e in plain.xrange(keys.audit_stream())]
    history = await AuditTrail(store.client).history("t1")
    assert [e.fields["action"] for e in history] == ["sd", "sc"]


async def test_a_bucket_is_swept_of_histories_past_the_retention_once_a_day(
    store: RedisStore, plain: redis.Redis
) -> None:
    mate, other = _bucket_mates("gone")
    bucket = keys.student_histories("gone")
    # Its last sweep long ago.
    plain.hset(bucket, mapping={"": "0", "gone": ANCIENT, "kept": f"{ANCIENT} zzzzzzzz"})

    await store.create(
        _row(mate), now=datetime.now(UTC), op=store.new_operation(), allow_duplicate=True
    )
    plain.hset(bucket, "late", ANCIENT)
    await store.create(
        _row(other), now=datetime.now(UTC), op=store.new_operation(), allow_duplicate=True
    )

    assert plain.hexists(bucket, "gone") is False
    assert plain.hget(bucket, "kept") == "zzzzzzzz"
    assert len(_packed(plain, mate)) == 1
    # Swept once a day: what went past the retention since waits for the next sweep.
    assert plain.hget(bucket, "late") == ANCIENT
    assert 0 < plain.pttl(bucket) <= EXPIRY_MAX_MS
