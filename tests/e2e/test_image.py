"""The production image's command line, run inside the api container against the stack's Redis.

The image leaves out packages that the service's dependencies declare but never import; these
tests prove each command still starts and works there.
"""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

from tests.e2e.stack import Stack, unavailable_reason

reason = unavailable_reason()
pytestmark = [pytest.mark.e2e, pytest.mark.skipif(reason is not None, reason=reason or "")]

COMMANDS = ["serve", "import", "export", "migrate-legacy", "stats"]


@pytest.mark.parametrize("command", [[], *([name] for name in COMMANDS)])
def test_every_command_shows_its_help_in_the_image(stack: Stack, command: list[str]) -> None:
    result = stack.exec("api", "student-registry", *command, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage: student-registry" in result.stdout


def test_cli_imports_exports_and_counts_in_the_image(stack: Stack, http: httpx.Client) -> None:
    course = f"img-{uuid.uuid4().hex[:8]}"
    header = "id,first_name,last_name,birth_date,course"
    rows = f"{header}\n{course}-1,Éloïse,Durand,2009-04-17,{course}\n"
    imported = stack.exec("api", "sh", "-c", f"printf '%s' '{rows}' | student-registry import -")
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert "Created 1" in imported.stdout

    exported = stack.exec("api", "student-registry", "export", "-f", "ndjson", "--course", course)
    assert exported.returncode == 0, exported.stderr
    assert [json.loads(line)["id"] for line in exported.stdout.splitlines()] == [f"{course}-1"]

    counted = stack.exec("api", "student-registry", "stats")
    assert counted.returncode == 0, counted.stderr
    assert course in counted.stdout
    assert http.get(f"/api/v1/students/{course}-1").status_code == 200


def test_a_second_server_starts_in_the_image(stack: Stack) -> None:
    # `serve` as the image's CMD runs it already; this one listens beside it and answers.
    script = (
        "student-registry serve --port 5001 --workers 1 & pid=$!; "
        'for _ in $(seq 50); do python -c "import urllib.request; '
        "print(urllib.request.urlopen('http://127.0.0.1:5001/readyz').read().decode())\" "
        "2>/dev/null && break; sleep 0.2; done; kill $pid"
    )
    served = stack.exec("api", "sh", "-c", script)
    assert '{"status":"ok"}' in served.stdout, served.stdout + served.stderr
