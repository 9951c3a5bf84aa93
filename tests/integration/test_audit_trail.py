"""The audit trail: exactly one entry per change, on every way in, and never a value."""

from __future__ import annotations

import getpass
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from typer.testing import CliRunner, Result

from student_registry.domain.accounts import token_digest
from student_registry.domain.service import Registry
from student_registry.errors import OutcomeUnknown
from student_registry.store import keys
from student_registry.store.accounts_store import AccountsStore
from student_registry.store.redis_store import Durability, RedisStore, StudentRow
from tests.accounts import ADMIN_EMAIL, PASSWORD, Credentials
from tests.audit import actions, trail
from tests.builders import API, DUPLICATES_ALLOWED, student_body

Client = AsyncTestClient[Litestar]
CSV = "id,first_name,last_name,birth_date,course\nm1,Ada,Lovelace,2009-04-17,3eB\n"
SECRETS = ("Ada", "Lovelace", "2009", "Éloïse", "Dupont", "@school.example", PASSWORD)


def _cli(*args: str, redis_url: str, stdin: str | None = None) -> Result:
    from student_registry.cli import app

    return CliRunner().invoke(app, [*args, "--redis-url", redis_url], input=stdin)


async def _csrf(client: Client) -> str:
    page = await client.get("/login")
    found = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert found
    return found.group(1)


def _admin_token_actor(admin: Credentials) -> str:
    return f"token:{token_digest(admin.token)[:16]}"


def _assert_no_values(redis_url: str) -> None:
    for entry in trail(redis_url):
        # The entry's id is its time in milliseconds, which may hold "2009" by chance.
        for name, value in entry.items():
            assert name == "id" or not any(secret in value for secret in SECRETS), entry


async def test_api_writes_leave_one_entry_each_naming_the_token_and_the_request(
    client: Client, redis_url: str, admin: Credentials
) -> None:
    body = student_body(id="s1", email="ada@school.example")
    created = await client.post(API, json=body)
    changed = await client.patch(f"{API}/s1", json={"course": "4e", "first_name": "Éloïse"})
    deleted = await client.delete(f"{API}/s1")

    entries = trail(redis_url, "s")
    assert actions(redis_url, "s") == ["student.create", "student.update", "student.delete"]
    assert [e["target"] for e in entries] == ["s1", "s1", "s1"]
    assert {e["actor"] for e in entries} == {_admin_token_actor(admin)}
    assert sorted(entries[0]["fields"]) == sorted("flbce")
    assert entries[1]["fields"] == "c"  # the first name given is the one stored
    assert entries[2]["fields"] == ""
    ids = [r.headers["x-request-id"] for r in (created, changed, deleted)]
    assert [e["request_id"] for e in entries] == ids
    assert len(set(ids)) == 3
    _assert_no_values(redis_url)


async def test_refused_writes_leave_no_entry(client: Client, redis_url: str) -> None:
    assert (await client.post(API, json=student_body(id="s1"))).status_code == 201
    assert (await client.post(API, json=student_body(id="s1"))).status_code == 409
    assert (await client.patch(f"{API}/nobody", json={"course": "4e"})).status_code == 404
    assert (await client.delete(f"{API}/s1", headers={"If-Match": '"0"'})).status_code == 412

    assert actions(redis_url, "s") == ["student.create"]


async def test_page_writes_leave_one_entry_each_naming_the_user(
    client: Client, redis_url: str
) -> None:
    token = await _csrf(client)
    form = {**student_body(id="p1"), "_csrf_token": token}
    assert (await client.post("/", data=form, follow_redirects=False)).status_code == 303
    revision = (await client.get(f"{API}/p1")).headers["etag"].strip('"')
    change = {**student_body(), "course": "4e", "revision": revision, "_csrf_token": token}
    assert (await client.post("/students/p1", data=change, follow_redirects=False)).is_redirect
    revision = (await client.get(f"{API}/p1")).headers["etag"].strip('"')
    gone = await client.post(
        "/students/p1/delete", data={"revision": revision, "_csrf_token": token}
    )
    assert gone.status_code in (200, 303)

    entries = trail(redis_url, "s")
    assert actions(redis_url, "s") == ["student.create", "student.update", "student.delete"]
    assert {e["actor"] for e in entries} == {ADMIN_EMAIL}
    assert entries[1]["fields"] == "c"


async def test_the_legacy_form_leaves_one_entry(client: Client, redis_url: str) -> None:
    legacy = {
        "Id": "2024-0042",
        "First name": "Éloïse",
        "Last name": "Dupont",
        "Date of Birth": "2009-04-17",
        "Course": "3eB",
    }
    response = await client.post("/handle_data", data=legacy, follow_redirects=False)

    assert response.status_code == 303
    [entry] = trail(redis_url, "s")
    assert (entry["action"], entry["target"], entry["actor"]) == ("sc", "2024-0042", ADMIN_EMAIL)
    _assert_no_values(redis_url)


async def test_an_api_import_leaves_one_entry_with_its_counts_and_ids(
    client: Client, redis_url: str
) -> None:
    text = CSV + "m2,Grace,Hopper,2008-12-09,3eB\n"
    response = await client.post(
        f"{API}/import", content=text, headers={"Content-Type": "text/csv"}
    )

    assert response.status_code == 200, response.text
    [entry] = trail(redis_url, "s")
    assert (entry["action"], entry["target"], entry["fields"]) == ("si", "m1 m2", "c2")


async def test_a_page_import_leaves_one_entry(client: Client, redis_url: str) -> None:
    token = await _csrf(client)
    response = await client.post(
        "/import",
        data={"_csrf_token": token, "on_conflict": "fail"},
        files={"file": ("students.csv", CSV, "text/csv")},
    )

    assert response.status_code == 200, response.text
    assert actions(redis_url, "s") == ["student.import"]
    assert trail(redis_url, "s")[0]["actor"] == ADMIN_EMAIL


def test_a_cli_import_leaves_one_entry_naming_the_operator(tmp_path: Path, redis_url: str) -> None:
    path = tmp_path / "students.csv"
    path.write_text(CSV)

    assert _cli("import", str(path), redis_url=redis_url).exit_code == 0

    [entry] = trail(redis_url, "s")
    assert (entry["action"], entry["target"]) == ("si", "m1")
    assert entry["actor"] == f"cli:{getpass.getuser()}"
    assert entry["request_id"]


def test_cli_user_and_token_commands_leave_one_entry_each(redis_url: str) -> None:
    operator = f"cli:{getpass.getuser()}"
    create = ("users", "create", "u@example.org", "--role", "staff", "--password-stdin")
    assert _cli(*create, redis_url=redis_url, stdin=PASSWORD + "\n").exit_code == 0
    assert _cli("users", "set-role", "u@example.org", "admin", redis_url=redis_url).exit_code == 0
    made = _cli("tokens", "create", "u@example.org", "--name", "ci", redis_url=redis_url)
    assert made.exit_code == 0
    token_id = token_digest(made.stdout.strip().split()[-1])[:16]
    assert _cli("tokens", "revoke", token_id, redis_url=redis_url).exit_code == 0

    entries = trail(redis_url)
    assert actions(redis_url) == ["user.create", "user.update", "token.create", "token.revoke"]
    assert {e["actor"] for e in entries} == {operator}
    targets = [e["target"] for e in entries]
    assert targets == ["u@example.org", "u@example.org", token_id, token_id]
    assert entries[1]["fields"] == "r"
    _assert_no_values(redis_url)


async def test_api_user_and_token_writes_leave_one_entry_each(
    client: Client, redis_url: str, admin: Credentials
) -> None:
    before = len(trail(redis_url))
    user = {"email": "v@example.org", "password": PASSWORD, "role": "viewer"}
    assert (await client.post("/api/v1/users", json=user)).status_code == 201
    assert (await client.patch("/api/v1/users/v@example.org", json={"disabled": True})).is_success
    token = (await client.post("/api/v1/tokens", json={"name": "x"})).json()
    assert (await client.delete(f"/api/v1/tokens/{token['id']}")).status_code == 204

    entries = trail(redis_url)[before:]
    assert [keys.AUDIT_ACTIONS[e["action"]] for e in entries] == [
        "user.create",
        "user.update",
        "token.create",
        "token.revoke",
    ]
    assert entries[1]["fields"] == "d"
    assert {e["actor"] for e in entries} == {_admin_token_actor(admin)}
    _assert_no_values(redis_url)


async def test_sign_ins_are_trailed_with_the_email_tried_and_the_address(
    anonymous_client: Client, redis_url: str, admin: Credentials
) -> None:
    token = await _csrf(anonymous_client)
    for password in ("wrong password, long enough", PASSWORD):
        form = {"email": ADMIN_EMAIL, "password": password, "next": "/", "_csrf_token": token}
        await anonymous_client.post("/login", data=form)

    failure, success = trail(redis_url, "l")
    assert [failure["action"], success["action"]] == ["lf", "ls"]
    assert failure["actor"] == failure["target"] == ADMIN_EMAIL
    assert failure["fields"] == success["fields"] == "testclient"
    _assert_no_values(redis_url)


async def test_exports_are_trailed_with_their_filter(client: Client, redis_url: str) -> None:
    assert (await client.get("/api/v1/students.csv", params={"course": "3eB"})).is_success
    assert (await client.get("/api/v1/students.ndjson", params={"q": "ada"})).is_success

    first, second = trail(redis_url, "s")[-2:]
    assert (first["action"], first["fields"]) == ("se", "course=3eB")
    assert (second["action"], second["fields"]) == ("se", "search")


async def test_a_retried_write_leaves_one_entry(store: RedisStore, redis_url: str) -> None:
    op = store.new_operation()
    row = StudentRow("r1", "Ada", "Lovelace", "20090417", "3eB", "", "", "lovelace\0ada\0r1")
    now = datetime.now(UTC)
    first = await store.create(row, now=now, op=op)
    again = await store.create(row, now=now, op=op)
    await store.import_rows(
        [row._replace(id="r2")], now=now, on_conflict="fail", atomic=False, allow_duplicates=True
    )

    assert first == again
    assert actions(redis_url, "s") == ["student.create", "student.import"]


async def test_a_registration_replayed_under_its_idempotency_key_leaves_one_entry(
    client: Client, redis_url: str
) -> None:
    headers = {"Idempotency-Key": "trail-once"}
    first = await client.post(API, json=student_body(), headers=headers)
    again = await client.post(API, json=student_body(), headers=headers)

    assert (first.status_code, again.status_code) == (201, 201)
    assert [(e["action"], e["target"]) for e in trail(redis_url, "s")] == [
        ("sc", first.json()["id"])
    ]


async def test_a_write_no_replica_confirmed_and_sent_again_leaves_one_entry(
    store: RedisStore, redis_url: str
) -> None:
    waiting = RedisStore(store.client, Durability(min_replicas=1, replica_timeout=0.05))
    op = waiting.new_operation()
    row = StudentRow("w1", "Ada", "Lovelace", "20090417", "3eB", "", "", "lovelace\0ada\0w1")
    for _ in range(2):
        with pytest.raises(OutcomeUnknown):
            await waiting.create(row, now=datetime.now(UTC), op=op)

    assert actions(redis_url, "s") == ["student.create"]


async def test_each_students_history_holds_their_entries_only(
    registry: Registry, client: Client
) -> None:
    for student_id in ("h1", "h2"):
        response = await client.post(
            API, json=student_body(id=student_id), params=DUPLICATES_ALLOWED
        )
        assert response.status_code == 201
    assert (await client.patch(f"{API}/h1", json={"course": "4e"})).is_success

    history = await registry.audit.history("h1")

    assert [(e.action, e.target) for e in history] == [
        ("student.update", "h1"),
        ("student.create", "h1"),
    ]
    assert history[0].fields == ["course"]


async def test_a_retried_user_change_leaves_one_entry(
    store: RedisStore, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    accounts = AccountsStore(store.client)
    await accounts.create_user(
        email="u@example.org",
        email_norm="u@example.org",
        role="viewer",
        password_hash="x",
        created=1,
    )
    script = accounts._user_update
    answers: list[Any] = []

    async def sent_twice(**call: Any) -> Any:
        answers.append(await script(**call))
        answers.append(await script(**call))  # as redis-py sends it again after a lost reply
        return answers[0]

    monkeypatch.setattr(accounts, "_user_update", sent_twice)
    await accounts.update_user("u@example.org", {"role": "staff"}, end_access=False)

    assert answers == ["ok", "ok"]
    assert actions(redis_url) == ["user.create", "user.update"]
