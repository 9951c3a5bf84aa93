"""The service as Redis's ACL user: every route works with only its commands and sr:* keys,
students, users, tokens, sessions and sign-in throttling alike.

The users come from deploy/redis/make-secrets, the script Compose runs at first start, so a
command the code starts to use without the script granting it fails here, not in production.
"""

from __future__ import annotations

import socket
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis
from litestar import Litestar
from litestar.testing import AsyncTestClient

from student_registry.app import create_app
from student_registry.school_years import next_year
from student_registry.settings import Settings, SettingsError
from student_registry.store.client import connect_blocking
from student_registry.store.redis_store import enrolled_count
from tests.accounts import ADMIN_EMAIL, PASSWORD, SESSION_COOKIE, sign_up
from tests.builders import API, student_body
from tests.integration.test_sign_in import sign_in
from tests.redis_secrets import MAKE_SECRETS, make_secrets, password
from tests.redis_server import RedisServer

SERVICE_USER = "student-registry"
CSV = "id,first_name,last_name,birth_date,course\nacl-1,Ana,Lopez,2009-01-02,4eA\n"


@pytest.fixture(scope="module")
def secrets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The users, passwords and ACL file, as the script makes them."""
    return make_secrets(tmp_path_factory.mktemp("redis-secrets"))


@pytest.fixture(scope="module")
def acl_server(secrets: Path) -> Iterator[RedisServer]:
    """A redis-server with the script's users: the default user off. DEBUG is enabled, so that
    what refuses it to the service is the ACL."""
    server = RedisServer(
        extra_args=[
            "--aclfile",
            str(secrets / "redis" / "users.acl"),
            "--enable-debug-command",
            "yes",
        ],
        credentials=("probe", password(secrets, "probe")),
    )
    server.start()
    yield server
    server.cleanup()


@pytest.fixture
def admin(acl_server: RedisServer, secrets: Path) -> Iterator[redis.Redis]:
    """The operator's client, on a flushed database."""
    client = redis.Redis(
        port=acl_server.port, username="admin", password=password(secrets, "admin")
    )
    client.flushall()
    yield client
    client.close()


@pytest.fixture
def service_settings(acl_server: RedisServer, secrets: Path, admin: redis.Redis) -> Settings:
    """Settings as Compose gives them: the user in REDIS_URL, the password in a file."""
    return Settings(
        redis_url=f"redis://{SERVICE_USER}@127.0.0.1:{acl_server.port}/0",
        redis_password_file=str(secrets / "api" / "password"),
        secret_key="test-secret-key-0123456789",
        redis_timeout=2.0,
    )


@pytest.fixture
async def acl_client(
    service_settings: Settings, acl_server: RedisServer, secrets: Path
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """The app logged in to Redis as the service's user, its client signed in as an
    administrator, made through the service's user too."""
    service_url = f"redis://{SERVICE_USER}:{password(secrets, 'api')}@127.0.0.1:{acl_server.port}/0"
    admin = await sign_up(service_url, ADMIN_EMAIL, "admin")
    async with AsyncTestClient(
        app=create_app(service_settings), base_url="http://testserver.local"
    ) as client:
        client.headers["Authorization"] = f"Bearer {admin.token}"
        client.cookies.set(SESSION_COOKIE, admin.session_id, domain="testserver.local")
        yield client


async def test_every_student_route_works_as_the_service_user(
    acl_client: AsyncTestClient[Litestar], service_settings: Settings
) -> None:
    client = acl_client
    assert (await client.get("/readyz")).status_code == 200
    created = await client.post(API, json=student_body(id="acl-0", email="a@example.org"))
    assert created.status_code == 201, created.text
    etag = created.headers["etag"]
    assert (await client.get(f"{API}/acl-0")).status_code == 200
    assert (await client.get(API, params={"q": "elo", "course": "3eB"})).json()["total"] == 1
    patched = await client.patch(f"{API}/acl-0", json={"course": "4eA"}, headers={"if-match": etag})
    assert patched.status_code == 200, patched.text
    for atomic in ("false", "true"):
        imported = await client.post(
            f"{API}/import",
            params={"atomic": atomic, "on_conflict": "update"},
            content=CSV,
            headers={"content-type": "text/csv"},
        )
        assert imported.status_code == 200, imported.text
    exported = await client.get(f"{API}.csv")
    assert exported.status_code == 200
    assert exported.text.count("\n") == 3  # the header and two students
    page = await client.get("/", params={"q": "ana"})
    assert page.status_code == 200
    assert "Lopez" in page.text
    metrics_client = connect_blocking(
        service_settings.redis_url, password=service_settings.redis_password()
    )
    assert enrolled_count(metrics_client) == 2
    metrics_client.close()
    deleted = await client.delete(f"{API}/acl-1")
    assert deleted.status_code == 204, deleted.text


async def test_the_school_year_routes_work_as_the_service_user(
    acl_client: AsyncTestClient[Litestar],
) -> None:
    client = acl_client
    for n, course in enumerate(("6A", "3eB")):
        body = student_body(id=f"y-{n}", first_name=f"Y{n}", course=course)
        assert (await client.post(API, json=body)).status_code == 201
    years = (await client.get("/api/v1/years")).json()
    following = next_year(years["live"])
    plan = {"from": years["live"], "to": following, "mapping": {"6A": "5A", "3eB": None}}
    rolled = await client.post("/api/v1/rollover", json=plan)
    assert rolled.status_code == 200, rolled.text
    assert (rolled.json()["promoted"], rolled.json()["left"]) == (1, 1)
    renamed = await client.patch(f"{API}/y-0", json={"last_name": "Zola"})
    assert renamed.status_code == 200, renamed.text
    shown = await client.put("/api/v1/years/current", json={"year": years["live"]})
    assert shown.status_code == 200, shown.text
    assert (await client.get(API, params={"q": "zola"})).json()["total"] == 1
    assert (await client.put("/api/v1/years/current", json={"year": following})).status_code == 200
    assert (await client.delete(f"{API}/y-1")).status_code == 204


async def test_users_tokens_and_sessions_work_as_the_service_user(
    acl_client: AsyncTestClient[Litestar], service_settings: Settings
) -> None:
    client = acl_client
    users = "/api/v1/users"
    made = await client.post(users, json={"email": "v@example.org", "password": PASSWORD})
    assert made.status_code == 201, made.text
    assert {user["email"] for user in (await client.get(users)).json()} == {
        ADMIN_EMAIL,
        "v@example.org",
    }
    token = await client.post("/api/v1/tokens", json={"name": "ci", "read_only": True})
    assert token.status_code == 201, token.text
    assert len((await client.get("/api/v1/tokens", params={"all": "true"})).json()) == 2
    read_only = {"Authorization": f"Bearer {token.json()['token']}"}
    assert (await client.get(API, headers=read_only)).status_code == 200
    revoked = await client.delete(f"/api/v1/tokens/{token.json()['id']}")
    assert revoked.status_code == 204, revoked.text
    assert (await client.get(API, headers=read_only)).status_code == 401
    disabled = await client.patch(f"{users}/v@example.org", json={"disabled": True})
    assert disabled.status_code == 200, disabled.text

    # Pages: a failed sign-in (throttling), a sign-in, a session read and renewed, sign-out.
    async with AsyncTestClient(
        app=create_app(service_settings), base_url="http://testserver.local"
    ) as visitor:
        visitor.follow_redirects = False
        failed = await sign_in(visitor, ADMIN_EMAIL, "not the password at all")
        assert failed.status_code == 400  # type: ignore[attr-defined]
        signed_in = await sign_in(visitor, ADMIN_EMAIL, PASSWORD)
        assert signed_in.status_code == 303  # type: ignore[attr-defined]
        assert (await visitor.get("/")).status_code == 200
        assert (await visitor.get("/users")).status_code == 200
        form = await visitor.get("/tokens")
        csrf = visitor.cookies.get("csrftoken")
        assert form.status_code == 200
        assert csrf
        signed_out = await visitor.post("/logout", headers={"x-csrftoken": csrf})
        assert signed_out.status_code == 303
        assert (await visitor.get("/")).status_code in {302, 303}


@pytest.mark.parametrize(
    "command",
    [("FLUSHALL",), ("CONFIG", "GET", "*"), ("KEYS", "*"), ("DEBUG", "SLEEP", "0")],
)
def test_the_service_user_is_refused_dangerous_commands(
    acl_server: RedisServer, secrets: Path, command: tuple[str, ...]
) -> None:
    client = redis.Redis(
        port=acl_server.port, username=SERVICE_USER, password=password(secrets, "api")
    )
    with pytest.raises(redis.exceptions.NoPermissionError):
        client.execute_command(*command)
    client.close()


def test_the_service_user_cannot_touch_keys_outside_its_prefix(
    acl_server: RedisServer, secrets: Path, admin: redis.Redis
) -> None:
    admin.hset("legacy-1", mapping={"Id": "legacy-1"})
    client = redis.Redis(
        port=acl_server.port, username=SERVICE_USER, password=password(secrets, "api")
    )
    with pytest.raises(redis.exceptions.NoPermissionError):
        client.hgetall("legacy-1")
    assert client.hgetall("sr:courses") == {}
    client.close()


def test_a_client_without_password_gets_noauth(acl_server: RedisServer) -> None:
    # As redis-cli sends it, without a client library's HELLO or error parsing.
    with socket.create_connection(("127.0.0.1", acl_server.port), timeout=5) as conn:
        conn.sendall(b"PING\r\n")
        assert conn.recv(100).startswith(b"-NOAUTH ")


async def test_writes_survive_a_restart_with_the_default_user_off(
    secrets: Path, tmp_path: Path
) -> None:
    server = RedisServer(
        persistent=True,
        extra_args=["--aclfile", str(secrets / "redis" / "users.acl")],
        credentials=("probe", password(secrets, "probe")),
    )
    server.start()
    try:
        settings = Settings(
            redis_url=f"redis://{SERVICE_USER}@127.0.0.1:{server.port}/0",
            redis_password_file=str(secrets / "api" / "password"),
            secret_key="test-secret-key-0123456789",
        )
        service_url = f"redis://{SERVICE_USER}:{password(secrets, 'api')}@127.0.0.1:{server.port}/0"
        admin = await sign_up(service_url, ADMIN_EMAIL, "admin")
        bearer = {"Authorization": f"Bearer {admin.token}"}
        async with AsyncTestClient(app=create_app(settings)) as client:
            created = await client.post(API, json=student_body(id="kept"), headers=bearer)
            assert created.status_code == 201
        server.stop()  # SIGTERM: the AOF, written by the scripts as transactions, is replayed
        server.start()
        async with AsyncTestClient(app=create_app(settings)) as client:
            # The student, and the user, token and session made in transactions, are back.
            assert (await client.get(f"{API}/kept", headers=bearer)).status_code == 200
            assert (await client.get(API, headers=bearer)).json()["total"] == 1
            client.cookies.set(SESSION_COOKIE, admin.session_id, domain="testserver.local")
            client.follow_redirects = False
            assert (await client.get("/")).status_code == 200
    finally:
        server.cleanup()


def test_an_unreadable_password_file_stops_startup_naming_the_variable(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    with pytest.raises(SettingsError, match=r"REDIS_PASSWORD_FILE=.*cannot be read"):
        Settings.from_env({"REDIS_PASSWORD_FILE": str(missing)})


def test_the_script_keeps_the_secrets_of_its_first_run(secrets: Path) -> None:
    before = {path: path.read_bytes() for path in secrets.rglob("*") if path.is_file()}
    subprocess.run(["sh", str(MAKE_SECRETS), str(secrets)], check=True, capture_output=True)
    assert {path: path.read_bytes() for path in secrets.rglob("*") if path.is_file()} == before
    acl = (secrets / "redis" / "users.acl").read_text()
    assert "user default off resetpass" in acl
    assert password(secrets, "api") not in acl
