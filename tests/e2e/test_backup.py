"""Backups of the Compose stack: taken while it serves, restored into an emptied stack.

Leaves the stack up and healthy, its data restored, for the tests that follow.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.e2e.stack import (
    ROOT,
    Stack,
    register_through_api,
    register_through_form,
    status_of,
    unavailable_reason,
    wait_until,
)

reason = unavailable_reason()
pytestmark = [pytest.mark.e2e, pytest.mark.skipif(reason is not None, reason=reason or "")]

BACKUPS = ROOT / "backups"
NAME = re.compile(r"^student-registry-\d{8}T\d{6}Z\.rdb$")
IMPORTED = 300


def import_students(http: httpx.Client) -> None:
    """A class-sized CSV through the import API, accents, emails and spaces in courses."""
    lines = ["id,first_name,last_name,birth_date,course,email"]
    lines += [
        f"bk-{n:04d},Zoé{n},N'Guyen-{n % 17},2010-0{1 + n % 9}-1{n % 10},3e {'ABC'[n % 3]},"
        + (f"zoe{n}@example.org" if n % 2 else "")
        for n in range(IMPORTED)
    ]
    response = http.post(
        "/api/v1/students/import",
        content="\n".join(lines) + "\n",
        headers={"content-type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["created"] == IMPORTED


def accounts(http: httpx.Client) -> bytes:
    """The user list, as an administrator sees it."""
    response = http.get("/api/v1/users")
    assert response.status_code == 200, response.text
    return response.content


def everything(http: httpx.Client) -> dict[str, bytes]:
    """What the registry holds, as its exports and searches show it, byte for byte."""
    return {
        "csv": http.get("/api/v1/students.csv").content,
        "ndjson": http.get("/api/v1/students.ndjson").content,
        "search": http.get("/api/v1/students", params={"q": "zoé1", "limit": 200}).content,
        "course": http.get("/api/v1/students", params={"course": "3e B", "limit": 200}).content,
        "accounts": accounts(http),
    }


def backup_file(output: str) -> Path:
    """The backup a `backup` run wrote, from the path it printed."""
    name = output.strip().splitlines()[-1].rsplit("/", 1)[-1]
    assert NAME.match(name), output
    path = BACKUPS / name
    assert path.is_file()
    assert path.read_bytes().startswith(b"REDIS")
    return path


def test_backup_then_restore_into_an_emptied_stack_gives_back_everything(
    stack: Stack, http: httpx.Client
) -> None:
    made = http.post(
        "/api/v1/users", json={"email": "staff@example.org", "password": "a staff pass phrase"}
    )
    assert made.status_code == 201, made.text
    import_students(http)
    one = register_through_api(http)
    register_through_form(http)
    etag = http.get(f"/api/v1/students/{one['id']}").headers["etag"]
    before = everything(http)
    assert before["csv"].count(b"\n") == IMPORTED + 3  # the header and every student
    api = stack.inspect("api")

    path = backup_file(stack.compose("run", "--rm", "backup"))
    try:
        # The service ran on while the snapshot was taken.
        assert stack.inspect("api")["State"]["StartedAt"] == api["State"]["StartedAt"]
        assert status_of(http, "/readyz") == 200

        stack.down("--volumes")
        # Redis alone: with ADMIN_EMAIL set, the api would make its first administrator in an
        # empty Redis, which a restore then refuses to overwrite.
        stack.compose("up", "--detach", "--wait", "redis")
        restored = stack.compose("run", "--rm", "backup", "restore", path.name)
        assert "restored" in restored
        stack.up()
        wait_until(lambda: status_of(http, "/readyz") == 200, what="/readyz to answer 200")
        # The client's token and session were in the backup: it is still signed in.
        assert everything(http) == before
        assert http.get(f"/api/v1/students/{one['id']}").headers["etag"] == etag
        # And the restored data takes writes as before: indexes and counts are whole.
        register_through_api(http)
        assert http.get("/api/v1/students").json()["total"] == IMPORTED + 3
    finally:
        path.unlink(missing_ok=True)


def test_restore_refuses_a_redis_that_holds_data(stack: Stack, http: httpx.Client) -> None:
    register_through_api(http)
    path = backup_file(stack.compose("run", "--rm", "backup"))
    try:
        before = everything(http)
        with pytest.raises(AssertionError, match="an empty Redis only"):
            stack.compose("run", "--rm", "backup", "restore", path.name)
        assert everything(http) == before
    finally:
        path.unlink(missing_ok=True)


def test_backup_user_cannot_write_outside_a_restore(stack: Stack) -> None:
    check = stack.compose(
        "run", "--rm", "--entrypoint", "sh", "backup", "-c",
        'REDISCLI_AUTH="$(cat /run/secrets/backup/password)" '
        "redis-cli -h redis --user backup set sr:x 1; "
        'REDISCLI_AUTH="$(cat /run/secrets/backup/password)" '
        "redis-cli -h redis --user backup flushall",
    )  # fmt: skip
    assert check.count("NOPERM") == 2, check
