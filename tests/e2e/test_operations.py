"""The Compose stack as an operator sees it: Redis asks for a password, metrics stay inside.

Runs before test_stack.py, whose last tests stop and remove containers.
"""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.e2e.stack import Stack, redis_cli, unavailable_reason

reason = unavailable_reason()
pytestmark = [pytest.mark.e2e, pytest.mark.skipif(reason is not None, reason=reason or "")]

SERVICE_USER = "student-registry"


def service_password(stack: Stack) -> str:
    """The service's Redis password, as the api reads it."""
    read = stack.exec("api", "cat", "/run/secrets/redis/password")
    assert read.returncode == 0, read.stderr
    assert len(read.stdout.strip()) >= 32
    return read.stdout.strip()


def test_redis_refuses_a_client_without_password(stack: Stack) -> None:
    assert "NOAUTH" in redis_cli(stack, "ping")
    assert "NOAUTH" in redis_cli(stack, "get", "sr:courses")


def test_the_default_user_is_off(stack: Stack) -> None:
    answer = redis_cli(stack, "ping", user="default", password="")
    assert "PONG" not in answer


@pytest.mark.parametrize(
    "command", [("flushall",), ("config", "get", "*"), ("keys", "*"), ("debug", "sleep", "0")]
)
def test_the_service_user_is_refused_dangerous_commands(
    stack: Stack, command: tuple[str, ...]
) -> None:
    answer = redis_cli(stack, *command, user=SERVICE_USER, password=service_password(stack))
    # DEBUG is refused before the ACL is even asked, unless enable-debug-command is set.
    assert "NOPERM" in answer or (command[0] == "debug" and "not allowed" in answer), answer


def test_the_service_user_may_ping_and_read_only_its_own_keys(stack: Stack) -> None:
    password = service_password(stack)
    assert redis_cli(stack, "ping", user=SERVICE_USER, password=password).strip() == "PONG"
    assert "NOPERM" not in redis_cli(
        stack, "hgetall", "sr:courses", user=SERVICE_USER, password=password
    )
    assert "NOPERM" in redis_cli(stack, "get", "other", user=SERVICE_USER, password=password)


def test_no_password_is_in_an_environment_or_a_command_line(stack: Stack) -> None:
    password = service_password(stack)
    for service in ("api", "redis"):
        details = stack.inspect(service)
        assert password not in " ".join(details["Config"]["Env"] or [])
        assert password not in " ".join(details["Config"]["Cmd"] or [])
        assert password not in " ".join(details["Args"] or [])
        # Every process's command line, as `ps` shows them.
        command_lines = stack.exec(service, "sh", "-c", "cat /proc/[0-9]*/cmdline | tr '\\0' ' '")
        assert command_lines.returncode == 0, command_lines.stderr
        assert "redis" in command_lines.stdout or "student-registry" in command_lines.stdout
        assert password not in command_lines.stdout


def test_redis_and_the_api_are_healthy_with_authenticated_checks(stack: Stack) -> None:
    assert stack.health("redis") == "healthy"
    assert stack.health("api") == "healthy"
    check = " ".join(stack.inspect("redis")["Config"]["Healthcheck"]["Test"])
    assert "--user probe" in check
    assert "= PONG" in check


def test_metrics_are_served_in_the_stack_and_not_published(stack: Stack) -> None:
    scrape = stack.exec(
        "api",
        "python",
        "-c",
        "import urllib.request; "
        "print(urllib.request.urlopen('http://127.0.0.1:9000/metrics', timeout=5).read().decode())",
    )
    assert scrape.returncode == 0, scrape.stderr
    assert "student_registry_students_enrolled" in scrape.stdout
    assert "student_registry_redis_retries_total" in scrape.stdout
    published = stack.inspect("api")["NetworkSettings"]["Ports"]
    assert published.get("9000/tcp") is None
    assert published["5000/tcp"]


def test_the_cli_service_migrates_legacy_hashes_from_this_redis_as_admin(
    stack: Stack, http: httpx.Client
) -> None:
    legacy_id = f"legacy-{uuid.uuid4().hex[:8]}"
    # The original app's hash, written as it wrote them: outside sr:*, so only the admin may.
    write = stack.compose(
        "run", "--rm", "--entrypoint", "python", "cli", "-c",
        "import redis, sys; "
        "r = redis.Redis(host='redis', username='admin', "
        "password=open('/run/secrets/admin/password').read()); "
        f"r.hset('{legacy_id}', mapping={{'Id': '{legacy_id}', 'First name': 'Ana', "
        "'Last name': 'Lopez', 'Date of Birth': '17/04/2009', 'Course': '3eB'})",
    )  # fmt: skip
    assert "Error" not in write
    refused = redis_cli(
        stack, "hgetall", legacy_id, user=SERVICE_USER, password=service_password(stack)
    )
    assert "NOPERM" in refused
    stack.compose(
        "run", "--rm", "cli", "migrate-legacy", "--from", "redis://admin@redis:6379/0",
        "--from-password-file", "/run/secrets/admin/password",
    )  # fmt: skip
    migrated = http.get(f"/api/v1/students/{legacy_id}")
    assert migrated.status_code == 200, migrated.text
    assert migrated.json()["birth_date"] == "2009-04-17"
    assert "students" in stack.compose("run", "--rm", "cli", "stats").lower()
