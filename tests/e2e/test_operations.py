"""The Compose stack as an operator sees it: Redis asks for a password, metrics stay inside.

Runs before test_stack.py, whose last tests stop and remove containers.
"""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.e2e.stack import (
    DANGEROUS_COMMANDS,
    SERVICE_USER,
    Stack,
    assert_password_hidden,
    is_refused,
    redis_cli,
    scrape_metrics,
    service_password,
    unavailable_reason,
)

reason = unavailable_reason()
pytestmark = [pytest.mark.e2e, pytest.mark.skipif(reason is not None, reason=reason or "")]


def test_redis_refuses_a_client_without_password(stack: Stack) -> None:
    assert "NOAUTH" in redis_cli(stack, "ping")
    assert "NOAUTH" in redis_cli(stack, "get", "sr:courses")


def test_the_default_user_is_off(stack: Stack) -> None:
    answer = redis_cli(stack, "ping", user="default", password="")
    assert "PONG" not in answer


@pytest.mark.parametrize("command", DANGEROUS_COMMANDS)
def test_the_service_user_is_refused_dangerous_commands(
    stack: Stack, command: tuple[str, ...]
) -> None:
    answer = redis_cli(stack, *command, user=SERVICE_USER, password=service_password(stack))
    assert is_refused(answer, command), answer


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
        assert_password_hidden(stack, service, password)


def test_redis_and_the_api_are_healthy_with_authenticated_checks(stack: Stack) -> None:
    assert stack.health("redis") == "healthy"
    assert stack.health("api") == "healthy"
    check = " ".join(stack.inspect("redis")["Config"]["Healthcheck"]["Test"])
    assert "--user probe" in check
    assert "= PONG" in check


def test_metrics_are_served_in_the_stack_and_not_published(stack: Stack) -> None:
    scraped = scrape_metrics(stack)
    assert "student_registry_students_enrolled" in scraped
    assert "student_registry_redis_retries_total" in scraped
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
