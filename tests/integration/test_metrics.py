"""Prometheus metrics: scraped from `serve` on their own port, summed over its workers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
from litestar import Litestar
from litestar.testing import AsyncTestClient
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from student_registry.app import create_app
from student_registry.settings import Settings
from tests.accounts import ADMIN_EMAIL, sign_up
from tests.builders import DUPLICATES_ALLOWED
from tests.redis_server import free_port

STUDENT = {"first_name": "Éloïse", "last_name": "Durand", "birth_date": "2009-04-17"}
CSV = "id,first_name,last_name,birth_date,course\nm-1,Ana,Lopez,2009-01-02,4eA\nm-2,,Lopez,,4eA\n"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(url: str) -> Samples:
    """Every sample of a /metrics page, by name and labels."""
    text = httpx.get(url, timeout=5, trust_env=False).text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    """One sample's value, or None when absent."""
    return samples.get((name, frozenset(labels.items())))


@pytest.fixture
def served(redis_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """`student-registry serve` with two workers: its base URL and its metrics URL."""
    port, metrics_port = free_port(), free_port()
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    # An earlier run's leftovers, unreadable: the master must clear them before it serves.
    (metrics_dir / "counter_1.db").write_bytes(b"not a metrics file")
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "PORT": str(port),
        "METRICS_PORT": str(metrics_port),
        "WEB_CONCURRENCY": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "student_registry", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=1, trust_env=False).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, "serve exited"
            assert time.monotonic() < deadline, "serve did not answer within 30 s"
            time.sleep(0.1)
        yield base, f"http://127.0.0.1:{metrics_port}/metrics"
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture
async def bearer(redis_url: str) -> dict[str, str]:
    """The header of an administrator's API token."""
    admin = await sign_up(redis_url, ADMIN_EMAIL, "admin")
    return {"Authorization": f"Bearer {admin.token}"}


def test_metrics_are_served_on_their_own_port_summed_over_every_worker(
    served: tuple[str, str], bearer: dict[str, str]
) -> None:
    base, metrics_url = served
    with httpx.Client(base_url=base, trust_env=False, timeout=10, headers=bearer) as http:
        for course in ("3eB", "3eB", "4eA"):
            body = {**STUDENT, "course": course}
            assert http.post("/api/v1/students", json=body, params=DUPLICATES_ALLOWED).is_success
        for n in range(40):
            assert http.get(f"/api/v1/students/missing-{n}").status_code == 404
        imported = http.post(
            "/api/v1/students/import", content=CSV, headers={"content-type": "text/csv"}
        )
        assert imported.status_code == 207
        assert http.get("/metrics").status_code == 404

    samples = scrape(metrics_url)
    one = "/api/v1/students/{student_id}"
    requests = "student_registry_http_request_duration_seconds"
    assert value(samples, f"{requests}_count", route=one, method="GET", status="404") == 40
    assert value(samples, f"{requests}_bucket", route=one, method="GET", status="404",
                 le="+Inf") == 40  # fmt: skip
    assert value(samples, f"{requests}_count", route="/api/v1/students", method="POST",
                 status="201") == 3  # fmt: skip
    assert value(samples, f"{requests}_sum", route=one, method="GET", status="404") > 0
    assert value(samples, "student_registry_import_rows_total", outcome="created") == 1
    assert value(samples, "student_registry_import_rows_total", outcome="failed") == 1
    assert value(samples, "student_registry_students_enrolled") == 4
    assert value(samples, "student_registry_redis_retries_total") == 0


async def test_a_dropped_redis_connection_counts_a_retry(
    client: AsyncTestClient[Litestar], redis_url: str
) -> None:
    before = REGISTRY.get_sample_value("student_registry_redis_retries_total") or 0
    assert (await client.get("/readyz")).status_code == 200
    admin = redis.Redis.from_url(redis_url)
    admin.client_kill_filter(_type="normal", skipme=True)
    admin.close()
    assert (await client.get("/readyz")).status_code == 200
    assert REGISTRY.get_sample_value("student_registry_redis_retries_total") == before + 1


async def test_an_unreachable_redis_counts_an_error_by_class() -> None:
    settings = Settings(
        redis_url=f"redis://127.0.0.1:{free_port()}/0",
        secret_key="test-secret-key-0123456789",
        redis_timeout=0.5,
    )
    labels = {"error": "ConnectionError"}
    async with AsyncTestClient(app=create_app(settings)) as client:
        before = REGISTRY.get_sample_value("student_registry_redis_errors_total", labels) or 0
        assert (await client.get("/readyz")).status_code == 503
    after = REGISTRY.get_sample_value("student_registry_redis_errors_total", labels)
    assert after == before + 1


def test_serve_runs_without_metrics_saying_why_when_their_port_is_taken(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import granian
    from typer.testing import CliRunner

    from student_registry.cli import app as cli

    served: list[bool] = []

    class Recorder:
        def __init__(self, **options: object) -> None:
            """Keep nothing."""

        def serve(self) -> None:
            served.append(True)

    monkeypatch.setattr(granian, "Granian", Recorder)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "unit-tier-secret-0123456789")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        monkeypatch.setenv("METRICS_PORT", str(port))
        result = CliRunner().invoke(cli, ["serve"])
    assert result.exit_code == 0, result.output
    assert f"no metrics: port {port} cannot be used" in result.output
    assert "METRICS_PORT" in result.output
    assert served
