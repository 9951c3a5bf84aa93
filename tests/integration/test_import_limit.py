"""IMPORT_MAX_BYTES: an upload larger than the limit is refused with 413 before the rest is read."""

from __future__ import annotations

import select
import socket
from collections.abc import AsyncIterator, Iterator

import httpx
import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from student_registry.app import create_app
from student_registry.settings import Settings
from tests.accounts import SESSION_COOKIE, Credentials
from tests.builders import API, IMPORT_DUPLICATES_ALLOWED
from tests.live_server import LiveServer
from tests.redis_server import RedisServer

Client = AsyncTestClient[Litestar]
IMPORT = f"{API}/import"
LIMIT = 100_000
HEADER = b"id,first_name,last_name,birth_date,course,email\n"


def rows(count: int, *, start: int = 0) -> bytes:
    """CSV rows of valid students with ids from `start`."""
    return b"".join(
        b"s%d,L\xc3\xa9a,Durand,2009-04-17,3eB,\n" % i for i in range(start, start + count)
    )


@pytest.fixture
async def client(settings: Settings, admin: Credentials) -> AsyncIterator[Client]:
    """The app with a small import limit, and an administrator's token and session."""
    app = create_app(msgspec.structs.replace(settings, import_max_bytes=LIMIT))
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as test_client:
        test_client.headers["Authorization"] = f"Bearer {admin.token}"
        test_client.cookies.set(SESSION_COOKIE, admin.session_id, domain="testserver.local")
        yield test_client


async def test_an_import_over_the_limit_is_a_413_problem_that_writes_nothing(
    client: Client,
) -> None:
    body = HEADER + rows(5000)
    assert len(body) > LIMIT
    response = await client.post(IMPORT, content=body, headers={"Content-Type": "text/csv"})
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 413
    assert "larger than 100,000 bytes" in problem["detail"]
    assert "IMPORT_MAX_BYTES" in problem["detail"]
    assert (await client.get(API)).json()["total"] == 0


async def test_an_import_within_the_limit_goes_in(
    client: Client,
) -> None:
    body = HEADER + rows(100)
    assert len(body) < LIMIT
    response = await client.post(
        IMPORT,
        content=body,
        headers={"Content-Type": "text/csv"},
        params=IMPORT_DUPLICATES_ALLOWED,
    )
    assert (response.status_code, response.json()["created"]) == (200, 100)


async def test_the_page_states_the_limit_and_refuses_a_larger_file_with_413(
    client: Client,
) -> None:
    form = await client.get("/import")
    assert "Files up to 100,000 bytes" in form.text
    token = client.cookies["csrftoken"]
    response = await client.post(
        "/import",
        files={"file": ("big.csv", HEADER + rows(5000), "text/csv")},
        data={"on_conflict": "fail"},
        headers={"x-csrftoken": token},
    )
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    assert "larger than 100,000 bytes, the most this page takes" in response.text
    assert (await client.get(API)).json()["total"] == 0


# --- The real server: the answer comes while the client is still sending. ---


@pytest.fixture(scope="module")
def limited_server(
    redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """`student-registry serve` with IMPORT_MAX_BYTES at 100,000."""
    server = LiveServer(
        redis_url=redis_server.url,
        log_path=tmp_path_factory.mktemp("limited") / "server.log",
        env={"IMPORT_MAX_BYTES": str(LIMIT)},
    )
    server.start()
    yield server
    server.stop()


def send_until_answered(port: int, head: bytes, chunks: Iterator[bytes]) -> tuple[bytes, int]:
    """Send a request's head, then its body chunk by chunk until an answer can be read.

    Returns the answer's first bytes and how many body bytes had gone out by then.
    """
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(head)
        for chunk in chunks:
            if select.select([connection], [], [], 0)[0]:
                break
            try:
                connection.sendall(chunk)
            except OSError:  # the server closed its side: its answer is waiting to be read
                break
            sent += len(chunk)
        return connection.recv(65536), sent


def chunked(data: Iterator[bytes]) -> Iterator[bytes]:
    """Data framed as HTTP/1.1 chunks, with the last chunk."""
    for piece in data:
        yield b"%x\r\n%s\r\n" % (len(piece), piece)
    yield b"0\r\n\r\n"


BODY_CHUNKS = 400  # 400 chunks of about 45 KB: 180 times the limit


def body_chunks() -> Iterator[bytes]:
    """A CSV of valid students, far larger than the limit, made as it is sent."""
    yield HEADER
    for n in range(BODY_CHUNKS):
        yield rows(1000, start=n * 1000)


def api(server: LiveServer, admin: Credentials) -> httpx.Client:
    """A client of the live server with the administrator's token."""
    token = {"Authorization": f"Bearer {admin.token}"}
    return httpx.Client(base_url=server.url, headers=token, trust_env=False)


def test_a_body_announced_larger_than_the_limit_is_refused_before_it_is_sent(
    limited_server: LiveServer, admin: Credentials
) -> None:
    total = sum(len(chunk) for chunk in body_chunks())
    head = (
        f"POST {IMPORT} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/csv\r\n"
        f"Authorization: Bearer {admin.token}\r\nContent-Length: {total}\r\n\r\n"
    ).encode()
    answer, sent = send_until_answered(limited_server.port, head, body_chunks())
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert b"application/problem+json" in answer
    assert sent < total
    with api(limited_server, admin) as client:
        assert client.get(API).json()["total"] == 0


def test_a_chunked_body_is_refused_where_it_passes_the_limit(
    limited_server: LiveServer, admin: Credentials
) -> None:
    total = sum(len(chunk) for chunk in chunked(body_chunks()))
    head = (
        f"POST {IMPORT}?atomic=true HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/csv\r\n"
        f"Authorization: Bearer {admin.token}\r\nTransfer-Encoding: chunked\r\n\r\n"
    ).encode()
    answer, sent = send_until_answered(limited_server.port, head, chunked(body_chunks()))
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert sent < total
    with api(limited_server, admin) as client:
        assert client.get(API).json()["total"] == 0  # all or nothing: nothing
