"""The /metrics endpoint, served by the server's master process on its own port.

The master outlives its workers and takes no requests, so it adds up the workers' metric files
(prometheus-client's multi-process mode) and reads the number of students enrolled from Redis
when scraped, whichever worker wrote what. Call `prepare_directory` before anything imports
prometheus_client: the library picks its storage when first imported.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prometheus_client.core import Metric

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
log = logging.getLogger(__name__)


def prepare_directory() -> Path:
    """PROMETHEUS_MULTIPROC_DIR emptied of an earlier run's files, or a new one when unset."""
    given = os.environ.get(MULTIPROC_DIR)
    if not given:
        # Workers find it through the environment they inherit.
        os.environ[MULTIPROC_DIR] = given = tempfile.mkdtemp(prefix="student-registry-metrics-")
        atexit.register(shutil.rmtree, given, ignore_errors=True)
    directory = Path(given)
    directory.mkdir(parents=True, exist_ok=True)
    # Values of processes that are gone would add to the new ones: counters must start at 0.
    for stale in directory.glob("*.db"):
        stale.unlink()
    return directory


class EnrolledCollector:
    """The number of students enrolled, read when scraped; absent while Redis is unreachable."""

    def __init__(self, count: Callable[[], int]) -> None:
        self._count = count

    def collect(self) -> Iterator[Metric]:
        """The gauge, with the current count."""
        from prometheus_client.core import GaugeMetricFamily

        try:
            enrolled = self._count()
        except Exception as exc:  # a scrape must not fail because Redis does
            log.warning("metrics: cannot read the number of students: %s", exc)
            return
        yield GaugeMetricFamily(
            "student_registry_students_enrolled",
            "Students registered, as the sum of the course counts.",
            value=enrolled,
        )


def start_metrics_server(*, host: str, port: int, enrolled: Callable[[], int]) -> None:
    """Serve /metrics on host:port from a daemon thread of this process."""
    from prometheus_client import CollectorRegistry, start_http_server
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry()
    MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    registry.register(EnrolledCollector(enrolled))
    start_http_server(port, addr=host, registry=registry)
