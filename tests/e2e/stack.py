"""The Docker Compose stack under test, driven from the host with `docker compose`."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
PROJECT = os.environ.get("E2E_PROJECT") or "student-registry-e2e"
BASE_URL = f"http://127.0.0.1:{os.environ.get('API_PORT') or 5000}"
ADMIN_EMAIL = "e2e-admin@example.org"
ADMIN_PASSWORD = "the stack's administrator pass phrase"


def unavailable_reason() -> str | None:
    """Why the end-to-end tests cannot run here, or None when they can."""
    if os.environ.get("E2E") != "1":
        return "end-to-end tests run against the Compose stack only when E2E=1"
    if shutil.which("docker") is None:
        return "docker is not installed"
    for probe in (["docker", "info"], ["docker", "compose", "version"]):
        result = subprocess.run(probe, capture_output=True, check=False, timeout=60)
        if result.returncode != 0:
            return f"`{' '.join(probe)}` failed: Docker is not usable here"
    return None


def wait_until(condition: Callable[[], bool], *, what: str, timeout: float = 60) -> None:
    """Poll until the condition holds; fail saying what never happened."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout:.0f} s waiting for {what}")
        time.sleep(0.25)


class Stack:
    """One Compose project of the repository's compose.yaml (or another Compose file of it)."""

    def __init__(
        self,
        project: str = PROJECT,
        *,
        env: dict[str, str] | None = None,
        file: str = "compose.yaml",
    ) -> None:
        self.project = project
        self.env = {**os.environ, **(env or {})}
        self.file = file

    def compose(self, *args: str, timeout: float = 900) -> str:
        """Run `docker compose` on this project; its output, or AssertionError with it."""
        command = [
            "docker", "compose", "--project-directory", str(ROOT),
            "--file", str(ROOT / self.file), "--project-name", self.project, *args,
        ]  # fmt: skip
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, check=False, env=self.env
        )
        if result.returncode != 0:
            raise AssertionError(
                f"`docker compose {' '.join(args)}` exited {result.returncode}:\n"
                f"{result.stdout}{result.stderr}"
            )
        return result.stdout

    def up(self, *extra: str) -> None:
        """Start the stack and return once every service is healthy."""
        self.compose("up", "--detach", "--wait", "--wait-timeout", "180", *extra)

    def down(self, *extra: str) -> None:
        """Stop and remove the stack's containers and network."""
        self.compose("down", "--remove-orphans", *extra)

    def exec(self, service: str, *command: str) -> subprocess.CompletedProcess[str]:
        """Run a command in a service's running container, whatever its outcome."""
        return subprocess.run(
            ["docker", "compose", "--project-directory", str(ROOT), "--file",
             str(ROOT / self.file), "--project-name", self.project,
             "exec", "--no-TTY", service, *command],
            capture_output=True, text=True, timeout=60, check=False, env=self.env,
        )  # fmt: skip

    def inspect(self, service: str) -> dict[str, Any]:
        """`docker inspect` of the service's container (the first, of a replicated one)."""
        containers = self.compose("ps", "--all", "--quiet", service).split()
        assert containers, f"{service} has no container"
        container = containers[0]
        result = subprocess.run(
            ["docker", "inspect", container], capture_output=True, text=True, check=True
        )
        details: dict[str, Any] = json.loads(result.stdout)[0]
        return details

    def health(self, service: str) -> str:
        """The container's health status: starting, healthy or unhealthy."""
        state = self.inspect(service)["State"]
        return str(state.get("Health", {}).get("Status", state["Status"]))


def sign_in(stack: Stack, http: httpx.Client) -> None:
    """Sign the client in as the stack's first administrator (made from the Compose secret):
    an API token from the command line in the container, a page session from the form."""
    token = stack.exec("api", "student-registry", "tokens", "create", ADMIN_EMAIL, "--name", "e2e")
    assert token.returncode == 0, token.stderr
    http.headers["Authorization"] = f"Bearer {token.stdout.strip()}"
    # A restarted stack without SECRET_KEY signs forms with a new key: start from no cookie.
    http.cookies.clear()
    form = http.get("/login")
    found = re.search(r'name="_csrf_token" value="([^"]+)"', form.text)
    assert found, form.text
    signed_in = http.post(
        "/login",
        data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "_csrf_token": found.group(1)},
    )
    assert signed_in.status_code == 303, signed_in.text
    assert "sr_session" in http.cookies


def status_of(http: httpx.Client, path: str) -> int | None:
    """The status a GET answers, or None while nothing answers."""
    try:
        return http.get(path).status_code
    except httpx.TransportError:
        return None


def new_student() -> dict[str, str]:
    """A student nobody registered yet, with names that are not plain ASCII."""
    token = uuid.uuid4().hex[:12]
    # A last name of its own: the same names and birth date would be a possible duplicate.
    suffix = "".join(chr(ord("a") + int(digit, 16)) for digit in token[:8])
    return {
        "id": f"e2e-{token}",
        "first_name": "Éloïse",
        "last_name": f"N'Diaye-Lefèvre {suffix}",
        "birth_date": "2009-04-17",
        "course": "3eB",
    }


def register_through_api(http: httpx.Client) -> dict[str, str]:
    """Register a new student with the JSON API; the student as sent."""
    student = new_student()
    response = http.post("/api/v1/students", json=student)
    assert response.status_code == 201, response.text
    return student


def register_through_form(http: httpx.Client) -> dict[str, str]:
    """Register a new student with the legacy form's fields; the student as sent."""
    student = new_student()
    response = http.post(
        "/handle_data",
        data={
            "Id": student["id"],
            "First name": student["first_name"],
            "Last name": student["last_name"],
            "Date of Birth": student["birth_date"],
            "Course": student["course"],
        },
    )
    assert response.status_code == 303, response.text
    return student


def stored(http: httpx.Client, student: dict[str, str]) -> dict[str, Any] | None:
    """The registry's record of the student, or None when it has none."""
    response = http.get(f"/api/v1/students/{student['id']}")
    if response.status_code == 404:
        return None
    assert response.status_code == 200, response.text
    record: dict[str, Any] = response.json()
    assert {key: record[key] for key in student} == student
    return record


SERVICE_USER = "student-registry"
# What the service's user must be refused, on every Redis of a stack.
DANGEROUS_COMMANDS = [("flushall",), ("config", "get", "*"), ("keys", "*"), ("debug", "sleep", "0")]


def redis_cli(
    stack: Stack,
    *args: str,
    host: str = "redis",
    port: int = 6379,
    user: str | None = None,
    password: str | None = None,
) -> str:
    """What redis-cli prints, run in a new container on the stack's network, as a client of
    the stack's Redis (or Sentinel) service `host` would be; the password goes through the
    environment, not the command."""
    image = stack.inspect(host)["Config"]["Image"]
    login = ["--user", user] if user else []
    env = {**os.environ, "REDISCLI_AUTH": password} if password else None
    result = subprocess.run(
        ["docker", "run", "--rm", "--network", f"{stack.project}_default",
         *(["--env", "REDISCLI_AUTH"] if password else []),
         "--entrypoint", "redis-cli", image, "-h", host, "-p", str(port), *login, *args],
        capture_output=True, text=True, timeout=60, check=False, env=env,
    )  # fmt: skip
    return result.stdout + result.stderr


def probe(stack: Stack, service: str, *args: str, port: int = 6379) -> str:
    """What redis-cli prints in a Redis or Sentinel container, logged in as its healthcheck's
    user (probe: PING, ROLE, and Sentinel's quorum and primary); '' when it cannot run."""
    login = 'REDISCLI_AUTH="$(cat /run/secrets/probe/password)" exec redis-cli --user probe "$@"'
    result = stack.exec(service, "sh", "-c", login, "sh", "-p", str(port), *args)
    return result.stdout if result.returncode == 0 else ""


def service_password(stack: Stack) -> str:
    """The service's Redis password, as the api reads it."""
    read = stack.exec("api", "cat", "/run/secrets/redis/password")
    assert read.returncode == 0, read.stderr
    assert len(read.stdout.strip()) >= 32
    return read.stdout.strip()


def is_refused(answer: str, command: tuple[str, ...]) -> bool:
    """Whether Redis refused the command to the user: NOPERM, or DEBUG refused before the ACL
    is even asked, unless enable-debug-command is set."""
    return "NOPERM" in answer or (command[0] == "debug" and "not allowed" in answer)


def assert_password_hidden(stack: Stack, service: str, password: str) -> None:
    """The password is in no environment, command or argument of the service's container,
    nor on the command line of any process in it, as `ps` shows them."""
    details = stack.inspect(service)
    assert password not in " ".join(details["Config"]["Env"] or [])
    assert password not in " ".join(details["Config"]["Cmd"] or [])
    assert password not in " ".join(details["Config"]["Entrypoint"] or [])
    assert password not in " ".join(details["Args"] or [])
    command_lines = stack.exec(service, "sh", "-c", "cat /proc/[0-9]*/cmdline | tr '\\0' ' '")
    assert command_lines.returncode == 0, command_lines.stderr
    assert "redis" in command_lines.stdout or "student-registry" in command_lines.stdout
    assert password not in command_lines.stdout


def scrape_metrics(stack: Stack) -> str:
    """/metrics as Prometheus reads it on the stack's network, from inside an api container."""
    scrape = stack.exec(
        "api",
        "python",
        "-c",
        "import urllib.request; "
        "print(urllib.request.urlopen('http://127.0.0.1:9000/metrics', timeout=5).read().decode())",
    )
    assert scrape.returncode == 0, scrape.stderr
    return scrape.stdout
