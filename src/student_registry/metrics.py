"""Prometheus metrics that every process counts: requests, Redis errors and retries, imports.

Granian serves the app from several worker processes, so the values live where
prometheus-client's multi-process mode keeps them: one file per process and metric under
PROMETHEUS_MULTIPROC_DIR, which `serve` sets before any worker starts (metrics_server.py adds
them up at each scrape). Without that variable, as in tests and the command line, they are
ordinary in-process values.
"""

from __future__ import annotations

import time

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import Counter, Histogram

NAMESPACE = "student_registry"
# From a cached read to a large import: a few milliseconds up to tens of seconds.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

# Its _count is the number of requests by route, method and status: a separate counter would
# cost a third more per request (each value written is a locked write to a shared file).
REQUESTS = Histogram(
    "http_request_duration_seconds",
    "HTTP requests answered, by route template, method and status, and how long each took "
    "from its arrival to the end of its response.",
    ["route", "method", "status"],
    namespace=NAMESPACE,
    buckets=LATENCY_BUCKETS,
)
REDIS_ERRORS = Counter(
    "redis_errors",
    "Redis calls that failed after their retries, by error class.",
    ["error"],
    namespace=NAMESPACE,
)
REDIS_RETRIES = Counter(
    "redis_retries",
    "Redis commands sent again after a dropped connection or a timeout.",
    namespace=NAMESPACE,
)
IMPORT_ROWS = Counter(
    "import_rows",
    "Rows of bulk imports, by outcome: created, updated, unchanged, skipped or failed (dry runs"
    " left out).",
    ["outcome"],
    namespace=NAMESPACE,
)


def count_requests(app: ASGIApp) -> ASGIApp:
    """ASGI middleware counting each routed HTTP request and timing it, by route template."""
    # Looking a labelled child up takes a lock and builds a key; each combination is met often.
    children: dict[tuple[str, str, int], Histogram] = {}

    def child(route: str, method: str, status: int) -> Histogram:
        key = (route, method, status)
        found = children.get(key)
        if found is None:
            found = children[key] = REQUESTS.labels(route, method, str(status))
        return found

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await app(scope, receive, send_wrapper)
        finally:
            # The template, not the path: one series per route however many students there are.
            route = scope.get("path_template", "")
            child(route, scope["method"], status).observe(time.perf_counter() - start)

    return middleware
