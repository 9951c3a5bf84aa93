"""What the audit trail costs in Redis memory: bytes per entry, stream and histories apart.

On a fresh redis-server, writes through the store's scripts as the service does (an actor's
email, a request id each) in three mixes of 10,000 entries: registrations (one history each,
the worst case for the histories), a tenth as many students changed nine times each, and
sign-ins (no history). For each, `INFO memory` used_memory is read before and after deleting
the trail's keys: the difference is what the trail holds. The bar: at most 150 bytes an entry.

    uv run python bench/audit_memory.py [--entries 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import redis

from harness import Processes, start_redis, table
from student_registry.domain.models import StudentCreate
from student_registry.domain.service import to_row
from student_registry.store import keys
from student_registry.store.accounts_store import AccountsStore
from student_registry.store.client import connect
from student_registry.store.redis_store import Expected, RedisStore, Trace

BAR = 150
ACTOR = "marie.dupont@school.example"


def _trace() -> Trace:
    return Trace(actor=ACTOR, request_id=secrets.token_urlsafe(9))


def _student(n: int) -> StudentCreate:
    return StudentCreate(
        id=f"2026-{n:05d}",
        first_name="Éloïse",
        last_name="Durand",
        birth_date=datetime(2009, 4, 17).date(),
        course="3eB",
        email=f"eloise.{n}@school.example",
    )


async def _write(url: str, mix: str, entries: int) -> None:
    store = RedisStore(connect(url))
    try:
        now = datetime.now(UTC)
        if mix == "registrations":
            for n in range(entries):
                row = to_row(_student(n), f"2026-{n:05d}")
                await store.create(
                    row,
                    now=now,
                    op=store.new_operation(),
                    allow_duplicate=True,
                    trace=_trace(),
                    changed="flbce",
                )
        elif mix == "changes":
            for n in range(entries // 10):
                row = to_row(_student(n), f"2026-{n:05d}")
                await store.create(
                    row,
                    now=now,
                    op=store.new_operation(),
                    allow_duplicate=True,
                    trace=_trace(),
                    changed="flbce",
                )
                for _ in range(9):
                    fields = await store.get(row.id)
                    assert fields is not None
                    expected = Expected(revision=fields["revision"], course=row.course)
                    await store.replace(
                        row,
                        now=datetime.now(UTC),
                        expected=expected,
                        op=store.new_operation(),
                        trace=_trace(),
                        changed="c",
                    )
        else:
            accounts = AccountsStore(store.client)
            for n in range(entries):
                await accounts.record_success(
                    f"user{n % 50}@school.example", "192.168.10.23", trace=_trace()
                )
    finally:
        await store.close()


def measure(client: redis.Redis, url: str, mix: str, entries: int) -> list[str]:
    """One mix's row: entries, bytes an entry in all, in the stream, in the histories."""
    client.flushall()
    asyncio.run(_write(url, mix, entries))
    count = client.xlen(keys.audit_stream())
    histories = list(client.scan_iter(match=keys.student_history("*"), count=1000))
    used = int(client.info("memory")["used_memory"])
    if histories:
        client.delete(*histories)
    without_histories = int(client.info("memory")["used_memory"])
    client.delete(keys.audit_stream())
    without_trail = int(client.info("memory")["used_memory"])
    stream, history = without_histories - without_trail, used - without_histories
    per_entry = (used - without_trail) / count
    return [
        mix,
        f"{count:,}",
        f"{stream / count:.0f}",
        f"{history / count:.0f}",
        f"{per_entry:.0f}",
        "yes" if per_entry <= BAR else "no",
    ]


def main(argv: list[str] | None = None) -> int:
    """Print the table; exit 1 when a mix is over the bar."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=10_000, help="entries per mix (10,000)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp, Processes(Path(tmp)) as procs:
        url, client = start_redis(procs, Path(tmp) / "data")
        rows = [
            measure(client, url, mix, args.entries)
            for mix in ("registrations", "changes", "sign-ins")
        ]
        client.close()
    headers = ["mix", "entries", "B/entry stream", "B/entry histories", "B/entry all", f"<= {BAR}"]
    print(table(headers, rows))
    return 0 if all(row[-1] == "yes" for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
