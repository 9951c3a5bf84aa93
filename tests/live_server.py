"""The service as production runs it: `student-registry serve` in a process of its own."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

from tests.redis_server import free_port


class LiveServer:
    """`student-registry serve` running in a process of its own."""

    def __init__(
        self,
        *,
        redis_url: str,
        log_path: Path,
        env: Mapping[str, str] | None = None,
        workers: int = 1,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self.redis_url = redis_url
        self.env = dict(env or {})
        self.workers = workers

    def start(self) -> None:
        """Start serving and wait until /healthz answers."""
        env = {
            **os.environ,
            "REDIS_URL": self.redis_url,
            "REDIS_TIMEOUT": "1",
            "LOG_LEVEL": "WARNING",
            # The metrics port, 9000 by default, may be another server's on a shared machine.
            "METRICS_PORT": "0",
            **self.env,
        }
        command = [sys.executable, "-m", "student_registry", "serve"]
        command += ["--host", "127.0.0.1", "--port", str(self.port), "--workers", str(self.workers)]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(command, env=env, stdout=log, stderr=log)
        deadline = time.monotonic() + 20
        with httpx.Client(base_url=self.url, timeout=1, trust_env=False) as client:
            while True:
                try:
                    if client.get("/healthz").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise RuntimeError(f"the server did not start:\n{self.log_tail()}")
                time.sleep(0.1)

    def stop(self) -> None:
        """Stop the server and its worker."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def worker_pids(self) -> list[int]:
        """The ids of the server's worker processes (its children)."""
        assert self.process is not None
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                found.append(int(stat.parent.name))
        return found

    def log_tail(self, lines: int = 40) -> str:
        """The end of the server's log."""
        text = self.log_path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])
