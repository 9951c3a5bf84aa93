"""What a student costs in Redis memory, with the registration fields French schools keep.

On a fresh redis-server, 10,000 generated students (bench/students.py) are imported through
the store's import script, as `student-registry import` does, in three kinds: with today's
fields only (the email of every other one), with sex, INE and birthplace too (no guardian), and
with those and two guardians (names, phones, an email). For each, `INFO memory` used_memory is
read before and after: the bytes a student takes in all (its hash, the indexes, its history in
the audit trail), and without the trail's keys. The bar: at most 600 bytes a student with no
guardian, in all. Redis keeps a hash compact (listpack) while each value is at most
hash-max-listpack-value bytes (64 by default): two guardians take more, and
`--listpack-value 256` measures the hashes kept compact with that setting.

    uv run python bench/student_memory.py [--students 10000] [--listpack-value 256]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis

from harness import Processes, start_redis, table
from student_registry.domain.models import StudentCreate
from student_registry.domain.service import to_row
from student_registry.domain.validation import parse
from student_registry.store import keys
from student_registry.store.client import connect
from student_registry.store.redis_store import RedisStore
from students import student

BAR = 600
BATCH = 5000
KINDS = ("today's fields", "sex, INE, birthplace", "and two guardians")


def _body(n: int, kind: str) -> dict[str, Any]:
    body: dict[str, Any] = {k: v for k, v in student(n).items() if v}
    if kind == KINDS[0]:
        return body
    body |= {"sex": "FM"[n % 2], "ine": f"{n:010d}K", "birthplace": "Saint-Étienne"}
    if kind == KINDS[2]:
        last = body["last_name"]
        body["guardians"] = [
            {
                "name": f"Anne {last}",
                "relationship": "mother",
                "phone": f"06 12 {n % 100:02d} {n // 100 % 100:02d} 78",
                "email": f"anne.{n}@example.org",
                "parental_authority": True,
            },
            {
                "name": f"Marc {last}",
                "relationship": "father",
                "phone": "+33 7 98 76 54 32",
                "parental_authority": True,
            },
        ]
    return body


async def _import(url: str, kind: str, count: int) -> None:
    store = RedisStore(connect(url))
    try:
        rows = [to_row(parse(_body(n, kind), StudentCreate), f"S{n:07d}") for n in range(count)]
        for start in range(0, count, BATCH):
            ok, _ = await store.import_rows(
                rows[start : start + BATCH],
                now=datetime.now(UTC),
                on_conflict="fail",
                atomic=False,
                allow_duplicates=True,
            )
            assert ok
    finally:
        await store.close()


def measure(client: redis.Redis, url: str, kind: str, count: int) -> list[str]:
    """One kind's row: bytes a student in all, without the trail, and its hash alone."""
    client.flushall()
    empty = int(client.info("memory")["used_memory"])
    asyncio.run(_import(url, kind, count))
    assert client.zcard(keys.order_index()) == count
    used = int(client.info("memory")["used_memory"])
    hash_bytes = client.memory_usage(keys.student_key("S0000001")) or 0
    encoding = client.object("encoding", keys.student_key("S0000001"))
    # Histories: a key each for long ones, most packed into shared hashes (keys.py).
    histories = [
        *client.scan_iter(match=keys.student_history("*"), count=1000),
        *client.scan_iter(match=keys.student_histories("x").rsplit(":", 1)[0] + ":*", count=1000),
    ]
    for at in range(0, len(histories), 1000):
        client.delete(*histories[at : at + 1000])
    client.delete(keys.audit_stream())
    without_trail = int(client.info("memory")["used_memory"])
    per_student = (used - empty) / count
    return [
        kind,
        f"{count:,}",
        f"{per_student:.0f}",
        f"{(without_trail - empty) / count:.0f}",
        f"{hash_bytes} ({encoding})",
        # The bar is for a student with no guardian; the last kind is reported only.
        "n/a" if kind == KINDS[2] else "yes" if per_student <= BAR else "no",
    ]


def main(argv: list[str] | None = None) -> int:
    """Print the table; exit 1 when a student with no guardian is over the bar."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=10_000, help="students per kind")
    parser.add_argument(
        "--listpack-value", type=int, default=0, help="hash-max-listpack-value (Redis's default)"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp, Processes(Path(tmp)) as procs:
        url, client = start_redis(procs, Path(tmp) / "data")
        if args.listpack_value:
            client.config_set("hash-max-listpack-value", args.listpack_value)
        rows = [measure(client, url, kind, args.students) for kind in KINDS]
        client.close()
    headers = ["students with", "students", "B/student", "B without trail", "one hash", f"<= {BAR}"]
    print(table(headers, rows))
    return 0 if all(row[-1] != "no" for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
