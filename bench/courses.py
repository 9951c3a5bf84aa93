"""The main page against the number of courses: its size, and the time to render it.

On a fresh redis-server, students are imported one per course (0, then 5,000, then 50,000
courses in all) and the page `GET /` is rendered in-process 20 times at each size. Prints the
page's size (uncompressed), the median time to render it, and the median time Redis takes to
read the course counts that the suggestions are chosen from.

    uv run python bench/courses.py [--courses 0 5000 50000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import redis
from litestar.testing import AsyncTestClient

from harness import Processes, start_redis, stop_on_signals, table
from student_registry.app import create_app
from student_registry.settings import Settings
from student_registry.store import keys

HEADER = "id,first_name,last_name,birth_date,course,email\n"
RUNS = 20


async def measure(url: str, client: redis.Redis, counts: list[int]) -> list[list[str]]:
    """One row of figures per number of courses."""
    app = create_app(Settings(redis_url=url, secret_key="bench-secret-key-0123456789"))
    rows: list[list[str]] = []
    async with AsyncTestClient(app=app, base_url="http://bench.local") as http:
        registered = 0
        for count in counts:
            lines = [
                f"c{i},Ana,Student,2009-04-17,course {i:06d} of the school year,\n"
                for i in range(registered, count)
            ]
            if lines:
                body = (HEADER + "".join(lines)).encode()
                answer = await http.post(
                    "/api/v1/students/import", content=body, headers={"Content-Type": "text/csv"}
                )
                answer.raise_for_status()
            registered = max(registered, count)
            page_times, redis_times, size = [], [], 0
            for _ in range(RUNS):
                started = time.perf_counter()
                page = await http.get("/", headers={"Accept-Encoding": "identity"})
                page_times.append(time.perf_counter() - started)
                size = len(page.content)
                started = time.perf_counter()
                client.hgetall(keys.course_counts())
                redis_times.append(time.perf_counter() - started)
            rows.append(
                [
                    f"{count:,}",
                    f"{size / 1024:,.1f}",
                    f"{statistics.median(page_times) * 1000:.1f}",
                    f"{statistics.median(redis_times) * 1000:.1f}",
                ]
            )
    return rows


def main() -> None:
    """Run the measurements and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--courses", type=int, nargs="+", default=[0, 5000, 50000])
    args = parser.parse_args()
    stop_on_signals()
    with tempfile.TemporaryDirectory() as work, Processes(Path(work)) as procs:
        url, client = start_redis(procs, Path(work) / "redis")
        rows = asyncio.run(measure(url, client, sorted(args.courses)))
        client.close()
    headers = ["courses", "page KiB", "GET / ms (median)", "course counts read ms (median)"]
    print(table(headers, rows))


if __name__ == "__main__":
    main()
