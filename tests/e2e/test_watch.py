"""Developing with Docker only: `docker compose watch` carries each edit to the running stack.

The stack of compose.yaml and compose.dev.yaml runs from a scratch copy of the checkout; each test
edits the copy as a developer saves a file, waits for the change to show through the published
port and prints the seconds from the save to the change being visible.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.e2e.stack import ROOT, unavailable_reason, wait_until
from tests.e2e.watched import WatchedCheckout, copy_checkout

reason = unavailable_reason() or (None if shutil.which("git") else "git is not installed")
pytestmark = [pytest.mark.e2e, pytest.mark.skipif(reason is not None, reason=reason or "")]

Report = Callable[[str, float], None]


@pytest.fixture(scope="module")
def watched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WatchedCheckout]:
    """The scratch copy's stack, built, healthy and watched; removed with its images after."""
    directory = tmp_path_factory.mktemp("checkout")
    copy_checkout(directory)
    checkout = WatchedCheckout(directory)
    checkout.compose("down", "--volumes", "--remove-orphans")  # what an interrupted run left
    try:
        checkout.start()
        yield checkout
    finally:
        checkout.stop()


@pytest.fixture
def report(capsys: pytest.CaptureFixture[str], watched: WatchedCheckout) -> Report:
    """Print a latency where the run's output shows it, captured or not."""

    def say(what: str, seconds: float) -> None:
        with capsys.disabled():
            print(f"\n  watch: {what} visible at {watched.base_url} {seconds:.2f} s after the save")

    return say


def marker(kind: str) -> str:
    """Text that no file of the checkout contains yet."""
    return f"{kind}-edit-{uuid.uuid4().hex[:12]}"


def api_service(*files: str) -> dict[str, Any]:
    """The api service as Compose reads it from these files of the checkout."""
    command = ["docker", "compose", "--project-directory", str(ROOT)]
    for file in files:
        command += ["--file", str(ROOT / file)]
    result = subprocess.run(
        [*command, "config", "--format", "json"], capture_output=True, text=True, check=True
    )
    service: dict[str, Any] = json.loads(result.stdout)["services"]["api"]
    return service


def test_compose_up_keeps_the_production_settings_and_only_the_dev_file_syncs_edits() -> None:
    production = api_service("compose.yaml")
    assert production["read_only"] is True
    assert production["cap_drop"] == ["ALL"]
    # Watched on its own, the production service is rebuilt, never written into.
    assert {rule["action"] for rule in production["develop"]["watch"]} == {"rebuild"}
    # No target: the Dockerfile's last stage, the production image with no reloader.
    assert "target" not in production["build"]
    stages = re.findall(r"^FROM \S+ AS (\S+)$", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    assert stages[-1] == "runtime"
    development = api_service("compose.yaml", "compose.dev.yaml")
    assert development["build"]["target"] == "dev"
    assert development["cap_drop"] == ["ALL"]
    assert [rule["action"] for rule in development["develop"]["watch"]] == [
        "sync",
        "rebuild",
        "rebuild",
    ]


def test_watched_api_runs_as_a_non_root_user_without_capabilities(
    watched: WatchedCheckout,
) -> None:
    uid = watched.compose("exec", "--no-TTY", "api", "id", "-u")
    assert int(uid) != 0
    status = watched.compose("exec", "--no-TTY", "api", "grep", "^CapEff:", "/proc/self/status")
    assert status.split() == ["CapEff:", "0000000000000000"]


def test_template_edit_shows_on_the_next_page_load_without_a_restart(
    watched: WatchedCheckout, report: Report
) -> None:
    container, reloads = watched.api_container(), watched.reloads()
    text = marker("template")
    saved = watched.edit(
        "src/student_registry/web/templates/base.html", "</main>", f"</main>\n  <p>{text}</p>"
    )
    # The sign-in page: it needs no session, and it extends base.html like every page.
    report("a template edit", watched.seconds_until_shown("/login", text, saved=saved))
    assert watched.reloads() == reloads
    assert watched.api_container() == container


def test_static_file_edit_is_served_on_the_next_request_without_a_restart(
    watched: WatchedCheckout, report: Report
) -> None:
    container, reloads = watched.api_container(), watched.reloads()
    text = marker("static")
    saved = watched.edit(
        "src/student_registry/web/static/app.css",
        ":root {",
        f"/* {text} */\n:root {{",
    )
    report("a static file edit", watched.seconds_until_shown("/static/app.css", text, saved=saved))
    assert watched.reloads() == reloads
    assert watched.api_container() == container


def test_code_edit_restarts_the_workers_in_the_same_container(
    watched: WatchedCheckout, report: Report
) -> None:
    container, reloads = watched.api_container(), watched.reloads()
    text = marker("code")
    saved = watched.edit(
        "src/student_registry/api/health.py",
        'return Health(status="ok")',
        f'return Health(status="{text}")',
    )
    report("a Python module edit", watched.seconds_until_shown("/healthz", text, saved=saved))
    assert watched.reloads() > reloads
    assert watched.api_container() == container


def test_dependency_change_rebuilds_the_image_and_replaces_the_container(
    watched: WatchedCheckout, report: Report
) -> None:
    container = watched.api_container()
    saved = watched.edit("pyproject.toml", "[build-system]", "# edited\n[build-system]")

    def replaced() -> bool:
        now = watched.api_container()
        return now not in ("", container) and watched.answers("/healthz")

    wait_until(replaced, what="a rebuilt api container to answer", timeout=900)
    report("a pyproject.toml edit (rebuild)", time.monotonic() - saved)
