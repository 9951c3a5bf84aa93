"""The Compose stack from the host: registration, persistence, recovery and confinement.

Tests run in the order written; those that stop or remove containers come last, and each
leaves the stack up and healthy for the next.
"""

from __future__ import annotations

import os
import signal

import httpx
import pytest

from tests.e2e.stack import (
    BASE_URL,
    Stack,
    register_through_api,
    register_through_form,
    sign_in,
    status_of,
    stored,
    unavailable_reason,
    wait_until,
)

reason = unavailable_reason()
pytestmark = [pytest.mark.e2e, pytest.mark.skipif(reason is not None, reason=reason or "")]


def test_api_runs_as_a_non_root_user(stack: Stack) -> None:
    uid = stack.exec("api", "id", "-u")
    assert uid.returncode == 0, uid.stderr
    assert int(uid.stdout) != 0


def test_api_root_filesystem_is_read_only_and_tmp_writable(stack: Stack) -> None:
    root = stack.exec("api", "sh", "-c", "echo probe > /probe")
    assert root.returncode != 0
    assert "Read-only file system" in root.stderr
    tmp = stack.exec("api", "sh", "-c", "echo probe > /tmp/probe && rm /tmp/probe")
    assert tmp.returncode == 0, tmp.stderr


def test_api_has_no_capabilities(stack: Stack) -> None:
    status = stack.exec("api", "grep", "^CapEff:", "/proc/self/status")
    assert status.stdout.split() == ["CapEff:", "0000000000000000"]


def test_registers_through_the_json_api(http: httpx.Client) -> None:
    student = register_through_api(http)
    assert stored(http, student) is not None


def test_the_api_needs_a_token_and_the_pages_a_session(stack: Stack) -> None:
    with httpx.Client(base_url=BASE_URL, timeout=10, trust_env=False) as anonymous:
        assert anonymous.get("/api/v1/students").status_code == 401
        page = anonymous.get("/")
        assert page.status_code == 303
        assert page.headers["location"] == "/login?next=%2F"
        assert "content-security-policy" in page.headers


def test_registers_through_the_legacy_form(http: httpx.Client) -> None:
    student = register_through_form(http)
    assert stored(http, student) is not None


def test_students_survive_a_redis_restart(stack: Stack, http: httpx.Client) -> None:
    students = [register_through_api(http), register_through_form(http)]
    stack.compose("restart", "redis")
    wait_until(lambda: status_of(http, "/readyz") == 200, what="/readyz to answer 200")
    assert all(stored(http, student) is not None for student in students)


def test_redis_outage_answers_503_and_service_resumes_without_restarting_the_api(
    stack: Stack, http: httpx.Client
) -> None:
    student = register_through_api(http)
    before = stack.inspect("api")
    stack.compose("stop", "redis")
    try:
        wait_until(lambda: status_of(http, "/readyz") == 503, what="/readyz to answer 503")
        page = http.get("/")
        assert page.status_code == 503
        assert page.headers["content-type"].startswith("text/html")
        assert "Traceback" not in page.text
        api = http.get(f"/api/v1/students/{student['id']}")
        assert api.status_code == 503
        assert api.headers["content-type"] == "application/problem+json"
        assert "retry-after" in api.headers
    finally:
        stack.compose("start", "redis")
    wait_until(lambda: status_of(http, "/readyz") == 200, what="/readyz to answer 200 again")
    assert stored(http, student) is not None
    after = stack.inspect("api")
    assert after["State"]["StartedAt"] == before["State"]["StartedAt"]
    assert after["RestartCount"] == before["RestartCount"]


def test_api_killed_from_the_host_is_restarted_and_healthy(
    stack: Stack, http: httpx.Client
) -> None:
    student = register_through_api(http)
    before = stack.inspect("api")
    pid = before["State"]["Pid"]
    try:
        os.kill(pid, signal.SIGKILL)
    except (PermissionError, ProcessLookupError) as exc:
        pytest.skip(f"the container's process {pid} cannot be signalled from here: {exc}")
    wait_until(
        lambda: stack.inspect("api")["RestartCount"] > before["RestartCount"],
        what="the restart policy to restart the api",
    )
    wait_until(lambda: stack.health("api") == "healthy", what="the api to be healthy again")
    assert stored(http, student) is not None


def test_students_survive_down_and_up(stack: Stack, http: httpx.Client) -> None:
    students = [register_through_api(http), register_through_form(http)]
    stack.down()
    stack.up()
    sign_in(stack, http)
    assert all(stored(http, student) is not None for student in students)


def test_down_with_volumes_deletes_the_students(stack: Stack, http: httpx.Client) -> None:
    students = [register_through_api(http), register_through_form(http)]
    stack.down("--volumes")
    stack.up()
    # Users went with the volume too: the secret makes the administrator again at startup.
    sign_in(stack, http)
    assert all(stored(http, student) is None for student in students)
