"""No change without its trail entry, even when a worker is killed in the middle of writes."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from student_registry.store import keys
from tests.accounts import ADMIN_EMAIL, Credentials, sign_up
from tests.audit import trail
from tests.builders import API, DUPLICATES_ALLOWED, student_body
from tests.live_server import LiveServer

WRITERS = 6
LOAD_SECONDS = 4.0


@pytest.fixture
def server(redis_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    """`student-registry serve` with three workers."""
    live = LiveServer(redis_url=redis_url, log_path=tmp_path / "serve.log", workers=3)
    live.start()
    deadline = time.monotonic() + 20
    while len(live.worker_pids()) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    yield live
    live.stop()


def _write_load(url: str, token: str, writer: int, stop: threading.Event) -> None:
    """Register, change and remove students until told to stop, ignoring failed requests."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=5, trust_env=False) as client:
        n = 0
        while not stop.is_set():
            n += 1
            student_id = f"w{writer}-{n}"
            try:
                client.post(API, json=student_body(id=student_id), params=DUPLICATES_ALLOWED)
                if n % 3 == 0:
                    client.patch(f"{API}/w{writer}-{n - 1}", json={"course": "4e"})
                if n % 5 == 0:
                    client.delete(f"{API}/w{writer}-{n - 2}")
            except httpx.TransportError:
                continue


async def test_killing_a_worker_mid_load_leaves_no_change_without_its_entry(
    server: LiveServer, redis_url: str
) -> None:
    admin: Credentials = await sign_up(redis_url, ADMIN_EMAIL, "admin")
    stop = threading.Event()
    writers = [
        threading.Thread(target=_write_load, args=(server.url, admin.token, i, stop))
        for i in range(WRITERS)
    ]
    for writer in writers:
        writer.start()
    await asyncio.sleep(LOAD_SECONDS / 3)
    victim = server.worker_pids()[0]
    os.kill(victim, signal.SIGKILL)
    await asyncio.sleep(LOAD_SECONDS * 2 / 3)
    stop.set()
    for writer in writers:
        writer.join()

    client = redis.Redis.from_url(redis_url, decode_responses=True)
    prefix = keys.student_key_prefix()
    stored = {
        key.removeprefix(prefix): client.hgetall(key) for key in client.scan_iter(f"{prefix}*")
    }
    client.close()
    entries = trail(redis_url, "s")
    by_action: dict[str, list[str]] = {"sc": [], "su": [], "sd": []}
    for entry in entries:
        by_action[entry["action"]].append(entry["target"])
    created, updated, deleted = (set(by_action[a]) for a in ("sc", "su", "sd"))

    assert victim not in server.worker_pids()
    assert len(stored) > 50, "too little load to mean anything"
    assert deleted, "no delete ran"
    # Every stored student has its creation's entry, and its change's when it was changed.
    assert set(stored) <= created
    assert {i for i, fields in stored.items() if "u" in fields} <= updated
    # Every creation entry has its student, unless a deletion entry says where it went.
    assert created - deleted <= set(stored)
    assert not deleted & set(stored)
    # One entry per change: nobody was created twice.
    assert len(by_action["sc"]) == len(created)
