"""`docker compose watch` of compose.dev.yaml, run from a scratch copy of the checkout."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import httpx

from tests.e2e.stack import ROOT, wait_until
from tests.redis_server import free_port

# Named after the caller's project, so that runs from different projects never meet.
PROJECT = f"{os.environ.get('COMPOSE_PROJECT_NAME') or 'student-registry'}-watch"
RELOADED = "Changes detected, reloading workers"


def copy_checkout(destination: Path) -> None:
    """Copy the checkout's files as the working tree has them: tracked, and new ones not ignored."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout  # fmt: skip
    for name in listed.decode().split("\0"):
        source = ROOT / name
        if name and source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


class WatchedCheckout:
    """A copy of the checkout whose stack `docker compose watch` keeps up to date."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        # Not 5000: the stack of the other end-to-end tests may still hold it.
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = directory.parent / f"{directory.name}-watch.log"
        self.process: subprocess.Popen[bytes] | None = None

    def command(self, *args: str) -> list[str]:
        """`docker compose` on this copy's compose.yaml and compose.dev.yaml."""
        return [
            "docker", "compose", "--project-directory", str(self.directory),
            "--file", str(self.directory / "compose.yaml"),
            "--file", str(self.directory / "compose.dev.yaml"),
            "--project-name", PROJECT, *args,
        ]  # fmt: skip

    def compose(self, *args: str, timeout: float = 300) -> str:
        """Run `docker compose` on this copy; its output, or AssertionError with it."""
        result = subprocess.run(
            self.command(*args), env=self.environment(), capture_output=True, text=True,
            timeout=timeout, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise AssertionError(
                f"`docker compose {' '.join(args)}` exited {result.returncode}:\n"
                f"{result.stdout}{result.stderr}"
            )
        return result.stdout

    def environment(self) -> dict[str, str]:
        """The caller's environment with this copy's published port."""
        return {**os.environ, "API_PORT": str(self.port)}

    def start(self) -> None:
        """Build, start and watch; return once the api answers and Compose watches the files."""
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self.command("watch"), env=self.environment(), stdout=log,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )  # fmt: skip

        def ready() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"`docker compose watch` exited:\n{self.watch_log()}")
            return self.answers("/healthz") and "Watch enabled" in self.watch_log()

        wait_until(ready, what="the watched stack to answer and watch", timeout=900)

    def stop(self) -> None:
        """Stop watching, then remove the stack, its data and the images it built."""
        if self.process is not None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
        self.compose("down", "--volumes", "--remove-orphans", "--rmi", "local")
        # What a rebuild replaced is left untagged: remove it too.
        subprocess.run(
            ["docker", "image", "prune", "--force", "--filter",
             f"label=com.docker.compose.project={PROJECT}"],
            capture_output=True, check=False,
        )  # fmt: skip

    def watch_log(self) -> str:
        """What `docker compose watch` printed so far."""
        return self.log_path.read_text(errors="replace")

    def api_log(self) -> str:
        """The api container's log."""
        return self.compose("logs", "--no-color", "--no-log-prefix", "api")

    def reloads(self) -> int:
        """How many times the server in the api container restarted its workers."""
        return self.api_log().count(RELOADED)

    def api_container(self) -> str:
        """The id of the api's running container."""
        return self.compose("ps", "--quiet", "api").strip()

    def answers(self, path: str) -> bool:
        """Whether a GET of the path answers 200 now."""
        return self.get(path) is not None

    def get(self, path: str) -> str | None:
        """The body a GET answers with 200, or None."""
        try:
            response = httpx.get(self.base_url + path, timeout=5, trust_env=False)
        except httpx.TransportError:
            return None
        return response.text if response.status_code == 200 else None

    def edit(self, relative: str, old: str, new: str) -> float:
        """Replace text in one file of the copy, as an editor saves; the time it was saved."""
        path = self.directory / relative
        text = path.read_text()
        assert old in text, f"{relative} no longer contains {old!r}"
        path.write_text(text.replace(old, new, 1))
        return time.monotonic()

    def seconds_until_shown(self, path: str, marker: str, *, saved: float) -> float:
        """Poll the path until its body shows the marker; the seconds since the save."""
        # Polled more often than wait_until does: the figure is the point.
        while marker not in (self.get(path) or ""):
            if time.monotonic() - saved > 120:
                raise AssertionError(f"{marker!r} never showed at {path}:\n{self.watch_log()}")
            time.sleep(0.05)
        return time.monotonic() - saved
