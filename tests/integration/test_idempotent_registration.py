"""Idempotency-Key on registration, and a write no replica confirmed answered as unknown."""

from __future__ import annotations

from collections.abc import AsyncIterator

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from student_registry.app import create_app
from student_registry.settings import Settings
from tests.accounts import Credentials, sign_up
from tests.builders import student_body

STUDENTS = "/api/v1/students"


async def test_the_same_registration_sent_again_with_its_key_answers_the_first_outcome(
    client: AsyncTestClient[Litestar],
) -> None:
    headers = {"Idempotency-Key": "a3c9e7f0-0001"}
    first = await client.post(STUDENTS, json=student_body(id="s1"), headers=headers)
    again = await client.post(STUDENTS, json=student_body(id="s1"), headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["ETag"] == first.headers["ETag"]
    without_key = await client.post(STUDENTS, json=student_body(id="s1"))
    assert without_key.status_code == 409


async def test_a_generated_id_is_answered_again_not_generated_twice(
    client: AsyncTestClient[Litestar],
) -> None:
    headers = {"Idempotency-Key": "generated-once"}
    first = await client.post(STUDENTS, json=student_body(), headers=headers)
    again = await client.post(STUDENTS, json=student_body(), headers=headers)
    assert again.json() == first.json()
    listed = (await client.get(STUDENTS)).json()["items"]
    assert [s["id"] for s in listed] == [first.json()["id"]]


async def test_a_key_sent_again_with_another_body_is_refused_and_nothing_is_written(
    client: AsyncTestClient[Litestar],
) -> None:
    headers = {"Idempotency-Key": "k1"}
    assert (await client.post(STUDENTS, json=student_body(id="s1"), headers=headers)).is_success
    other = await client.post(STUDENTS, json=student_body(id="s2"), headers=headers)
    assert other.status_code == 422
    assert other.json()["type"].endswith("idempotency-key-reused")
    assert (await client.get(f"{STUDENTS}/s2")).status_code == 404


async def test_two_users_keys_never_meet(client: AsyncTestClient[Litestar], redis_url: str) -> None:
    other = await sign_up(redis_url, "clerk@example.org", "admin")
    headers = {"Idempotency-Key": "same"}
    assert (await client.post(STUDENTS, json=student_body(id="s1"), headers=headers)).is_success
    theirs = await client.post(
        STUDENTS,
        json=student_body(id="s2", first_name="Other"),
        headers={**headers, "Authorization": f"Bearer {other.token}"},
    )
    assert theirs.status_code == 201


@pytest.fixture
def unconfirmed_settings(redis_url: str) -> Settings:
    """A service that asks one replica to confirm each write, against a Redis that has none."""
    return Settings(
        redis_url=redis_url,
        secret_key="test-secret-key-0123456789",
        redis_timeout=1.0,
        redis_min_replicas=1,
        redis_replica_timeout=0.05,
    )


@pytest.fixture
async def unconfirmed_client(
    unconfirmed_settings: Settings, admin: Credentials
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """A client of that service, as an administrator."""
    app = create_app(unconfirmed_settings)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as c:
        c.headers["Authorization"] = f"Bearer {admin.token}"
        yield c


async def test_a_write_no_replica_confirmed_answers_503_outcome_unknown_with_retry_after(
    unconfirmed_client: AsyncTestClient[Litestar],
) -> None:
    headers = {"Idempotency-Key": "k1"}
    answer = await unconfirmed_client.post(STUDENTS, json=student_body(id="s1"), headers=headers)
    assert answer.status_code == 503
    assert answer.headers["Retry-After"]
    problem = msgspec.json.decode(answer.content)
    assert problem["type"].endswith("outcome-unknown")
    assert "Idempotency-Key" in problem["detail"]
    # Kept on the primary: sent again with its key, it is the same outcome, not a 409.
    again = await unconfirmed_client.post(STUDENTS, json=student_body(id="s1"), headers=headers)
    assert again.status_code == 503
    assert again.json()["type"].endswith("outcome-unknown")
