"""The operator's account commands, and the first administrator from a secret file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from litestar.testing import TestClient
from typer.testing import CliRunner, Result

from student_registry.app import create_app
from student_registry.settings import Settings
from tests.accounts import PASSWORD
from tests.builders import API

TOKEN = re.compile(r"srg_[A-Za-z0-9_-]{43}")


def cli(*args: str, redis_url: str, stdin: str | None = None) -> Result:
    from student_registry.cli import app

    return CliRunner().invoke(app, [*args, "--redis-url", redis_url], input=stdin)


def test_users_create_reads_the_password_from_stdin_and_lists_the_user(redis_url: str) -> None:
    created = cli(
        "users", "create", "Root@Example.org", "--role", "admin", "--password-stdin",
        redis_url=redis_url, stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    listed = cli("users", "list", redis_url=redis_url)
    assert listed.stdout.strip() == "Root@Example.org\tadmin\tenabled"


def test_users_create_asks_for_the_password_twice_without_echo(redis_url: str) -> None:
    created = cli(
        "users", "create", "a@example.org", redis_url=redis_url, stdin=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert created.exit_code == 0, created.output
    assert PASSWORD not in created.output
    assert "Repeat for confirmation" in created.output


def test_a_weak_password_or_a_taken_email_fails_with_one_line(redis_url: str) -> None:
    weak = cli("users", "create", "a@example.org", "--password-stdin", redis_url=redis_url,
               stdin="password\n")  # fmt: skip
    assert weak.exit_code == 1
    assert "at least 15 characters" in weak.output
    cli("users", "create", "a@example.org", "--password-stdin", redis_url=redis_url,
        stdin=PASSWORD + "\n")  # fmt: skip
    taken = cli("users", "create", "A@example.org", "--password-stdin", redis_url=redis_url,
                stdin=PASSWORD + "\n")  # fmt: skip
    assert taken.exit_code == 1
    assert "exists" in taken.output


def test_tokens_create_prints_the_token_alone_and_revoke_ends_it(redis_url: str) -> None:
    cli("users", "create", "ci@example.org", "--role", "staff", "--password-stdin",
        redis_url=redis_url, stdin=PASSWORD + "\n")  # fmt: skip
    created = cli("tokens", "create", "ci@example.org", "--name", "ci", "--days", "3",
                  "--read-only", redis_url=redis_url)  # fmt: skip
    assert created.exit_code == 0, created.output
    assert TOKEN.fullmatch(created.stdout.strip())
    listed = cli("tokens", "list", redis_url=redis_url)
    token_id, owner, name, _, mode = listed.stdout.strip().split("\t")
    assert (owner, name, mode) == ("ci@example.org", "ci", "read-only")
    assert cli("tokens", "revoke", token_id, redis_url=redis_url).exit_code == 0
    assert cli("tokens", "list", redis_url=redis_url).stdout.strip() == ""
    assert cli("tokens", "revoke", token_id, redis_url=redis_url).exit_code == 1


def test_disable_enable_set_role_and_set_password(redis_url: str) -> None:
    cli("users", "create", "b@example.org", "--password-stdin", redis_url=redis_url,
        stdin=PASSWORD + "\n")  # fmt: skip
    token = cli("tokens", "create", "b@example.org", "--name", "x", redis_url=redis_url)
    assert token.exit_code == 0
    assert cli("users", "disable", "b@example.org", redis_url=redis_url).exit_code == 0
    assert cli("users", "list", redis_url=redis_url).stdout.strip().endswith("disabled")
    assert cli("tokens", "list", redis_url=redis_url).stdout.strip() == ""
    assert cli("users", "enable", "b@example.org", redis_url=redis_url).exit_code == 0
    assert cli("users", "set-role", "b@example.org", "staff", redis_url=redis_url).exit_code == 0
    assert (
        cli("users", "list", redis_url=redis_url).stdout.strip() == "b@example.org\tstaff\tenabled"
    )
    changed = cli("users", "set-password", "b@example.org", "--password-stdin",
                  redis_url=redis_url, stdin="another long pass phrase\n")  # fmt: skip
    assert changed.exit_code == 0, changed.output
    assert cli("users", "set-role", "b@example.org", "root", redis_url=redis_url).exit_code == 2
    assert cli("users", "disable", "nobody@example.org", redis_url=redis_url).exit_code == 1


@pytest.mark.parametrize("users_before", [0, 1])
def test_the_secret_file_creates_the_first_administrator_only_while_no_user_exists(
    redis_url: str, tmp_path: Path, users_before: int
) -> None:
    if users_before:
        cli("users", "create", "first@example.org", "--password-stdin", redis_url=redis_url,
            stdin=PASSWORD + "\n")  # fmt: skip
    secret = tmp_path / "admin_password"
    secret.write_text("the administrator's pass phrase\n")
    settings = Settings(
        redis_url=redis_url,
        secret_key="test-secret-key-0123456789",
        admin_email="boss@example.org",
        admin_password_file=str(secret),
    )
    with TestClient(app=create_app(settings)) as client:
        client.follow_redirects = False
        page = client.get("/login")
        found = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
        assert found
        form = {
            "email": "boss@example.org",
            "password": "the administrator's pass phrase",
            "_csrf_token": found.group(1),
        }
        response = client.post("/login", data=form)
        assert response.status_code == (400 if users_before else 303)
    listed = cli("users", "list", redis_url=redis_url).stdout
    assert ("boss@example.org\tadmin" in listed) == (users_before == 0)


def test_a_token_made_on_the_command_line_works_on_the_api(redis_url: str) -> None:
    cli("users", "create", "v@example.org", "--password-stdin", redis_url=redis_url,
        stdin=PASSWORD + "\n")  # fmt: skip
    token = cli("tokens", "create", "v@example.org", "--name", "x", redis_url=redis_url)
    settings = Settings(redis_url=redis_url, secret_key="test-secret-key-0123456789")
    with TestClient(app=create_app(settings)) as client:
        response = client.get(API, headers={"Authorization": f"Bearer {token.stdout.strip()}"})
        assert response.status_code == 200
