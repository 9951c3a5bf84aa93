"""Signing in and out of the pages: sessions, their cookie, throttling, and where one lands."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from student_registry.store import keys
from student_registry.store.redis_store import RedisStore
from tests.accounts import ADMIN_EMAIL, PASSWORD, SESSION_COOKIE, Credentials, sign_up
from tests.builders import API, student_body

Client = AsyncTestClient[Litestar]
FAILURE = "Invalid email or password"
HOST = "testserver.local"


async def csrf_token(client: Client) -> str:
    """The anti-forgery token of the sign-in form (its cookie is now in the client)."""
    page = await client.get("/login")
    found = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


async def sign_in(client: Client, email: str, password: str, next_path: str = "/") -> object:
    """Post the sign-in form."""
    token = await csrf_token(client)
    return await client.post(
        "/login",
        data={"email": email, "password": password, "next": next_path, "_csrf_token": token},
    )


@pytest.fixture
async def visitor(anonymous_client: Client, admin: Credentials) -> Client:
    """A browser-like client with no session, while an administrator exists."""
    return anonymous_client


async def test_signing_in_gives_a_new_session_id_whatever_the_browser_sent(
    visitor: Client, store: RedisStore
) -> None:
    planted = "attacker-chosen-session-id"
    visitor.cookies.set(SESSION_COOKIE, planted, domain=HOST)
    response = await sign_in(visitor, ADMIN_EMAIL, PASSWORD)
    assert response.status_code == 303  # type: ignore[attr-defined]
    session_id = visitor.cookies.get(SESSION_COOKIE)
    assert session_id
    assert session_id != planted
    assert not await store.client.exists(f"{keys.session_key_prefix()}{planted}")
    assert await store.client.exists(f"{keys.session_key_prefix()}{session_id}")
    assert (await visitor.get("/")).status_code == 200


async def test_signing_in_twice_replaces_the_first_session(visitor: Client) -> None:
    await sign_in(visitor, ADMIN_EMAIL, PASSWORD)
    first = visitor.cookies.get(SESSION_COOKIE)
    await sign_in(visitor, ADMIN_EMAIL, PASSWORD)
    second = visitor.cookies.get(SESSION_COOKIE)
    assert first != second
    visitor.cookies.set(SESSION_COOKIE, str(first), domain=HOST)
    assert (await visitor.get("/")).status_code == 303


async def test_the_session_cookie_is_httponly_and_lax_over_http(visitor: Client) -> None:
    response = await sign_in(visitor, ADMIN_EMAIL, PASSWORD)
    cookie = response.headers["set-cookie"]  # type: ignore[attr-defined]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie


async def test_anonymous_api_static_and_health_requests_get_no_session(
    visitor: Client, store: RedisStore, admin: Credentials
) -> None:
    for path in ("/login", "/", "/static/app.css", "/healthz", "/api/v1/students", "/docs"):
        response = await visitor.get(path)
        assert SESSION_COOKIE not in response.headers.get("set-cookie", ""), path
    sessions = [k async for k in store.client.scan_iter(match=f"{keys.session_key_prefix()}*")]
    assert sessions == [f"{keys.session_key_prefix()}{admin.session_id}"]


async def test_a_failed_sign_in_says_one_thing_for_a_wrong_password_or_an_unknown_email(
    visitor: Client,
) -> None:
    wrong_password = await sign_in(visitor, ADMIN_EMAIL, "not the password at all")
    unknown_email = await sign_in(visitor, "nobody@example.org", PASSWORD)
    for response in (wrong_password, unknown_email):
        assert response.status_code == 400  # type: ignore[attr-defined]
        assert FAILURE in response.text  # type: ignore[attr-defined]
    assert SESSION_COOKIE not in visitor.cookies


@pytest.mark.parametrize(
    ("next_path", "landing"),
    [
        ("/students/s1?saved=true", "/students/s1?saved=true"),
        ("/tokens", "/tokens"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("", "/"),
    ],
)
async def test_sign_in_goes_back_to_next_only_when_it_is_a_local_path(
    visitor: Client, next_path: str, landing: str
) -> None:
    response = await sign_in(visitor, ADMIN_EMAIL, PASSWORD, next_path)
    assert response.headers["location"] == landing  # type: ignore[attr-defined]


async def test_signing_out_ends_the_session_on_the_server(
    visitor: Client, store: RedisStore
) -> None:
    await sign_in(visitor, ADMIN_EMAIL, PASSWORD)
    session_id = visitor.cookies.get(SESSION_COOKIE)
    token = await csrf_token(visitor)
    response = await visitor.post("/logout", data={"_csrf_token": token})
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert not await store.client.exists(f"{keys.session_key_prefix()}{session_id}")
    visitor.cookies.set(SESSION_COOKIE, str(session_id), domain=HOST)
    assert (await visitor.get("/")).status_code == 303


async def test_disabling_a_user_ends_their_sessions_and_tokens_at_once(
    visitor: Client, admin: Credentials, redis_url: str
) -> None:
    staff = await sign_up(redis_url, "staff@example.org", "staff")
    as_admin = {"Authorization": f"Bearer {admin.token}"}
    as_staff = {"Authorization": f"Bearer {staff.token}"}
    visitor.cookies.set(SESSION_COOKIE, staff.session_id)
    assert (await visitor.get("/")).status_code == 200
    assert (await visitor.get(API, headers=as_staff)).status_code == 200

    patch = {"disabled": True}
    changed = await visitor.patch("/api/v1/users/Staff@Example.org", json=patch, headers=as_admin)
    assert changed.status_code == 200, changed.text
    assert changed.json()["disabled"] is True

    assert (await visitor.get("/")).status_code == 303
    assert (await visitor.get(API, headers=as_staff)).status_code == 401
    refused = await sign_in(visitor, "staff@example.org", PASSWORD)
    assert FAILURE in refused.text  # type: ignore[attr-defined]


async def test_a_role_change_ends_the_users_tokens_at_once(client: Client, redis_url: str) -> None:
    staff = await sign_up(redis_url, "staff@example.org", "staff")
    bearer = {"Authorization": f"Bearer {staff.token}"}
    assert (await client.post(API, json=student_body(id="a1"), headers=bearer)).status_code == 201
    await client.patch("/api/v1/users/staff@example.org", json={"role": "viewer"})
    assert (await client.post(API, json=student_body(id="a2"), headers=bearer)).status_code == 401


class FakeClock:
    """Seconds since the epoch that move only when told."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def throttled(app: Litestar, admin: Credentials) -> AsyncIterator[tuple[Client, FakeClock]]:
    """A visitor client whose app reads a fake clock for throttling."""
    clock = FakeClock()
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        client.follow_redirects = False
        app.state.accounts.clock = clock
        yield client, clock


async def test_after_five_failures_each_attempt_waits_longer_and_a_success_resets(
    throttled: tuple[Client, FakeClock],
) -> None:
    client, clock = throttled
    for _ in range(5):
        assert (await sign_in(client, ADMIN_EMAIL, "wrong password!")).status_code == 400  # type: ignore[attr-defined]
    refused = await sign_in(client, ADMIN_EMAIL, PASSWORD)
    assert refused.status_code == 429  # type: ignore[attr-defined]
    assert refused.headers["retry-after"] == "1"  # type: ignore[attr-defined]

    clock.now += 1
    assert (await sign_in(client, ADMIN_EMAIL, "wrong password!")).status_code == 400  # type: ignore[attr-defined]
    again = await sign_in(client, ADMIN_EMAIL, PASSWORD)
    assert again.headers["retry-after"] == "2"  # type: ignore[attr-defined]

    clock.now += 2
    assert (await sign_in(client, ADMIN_EMAIL, PASSWORD)).status_code == 303  # type: ignore[attr-defined]
    # Reset by the success: five more failures before any delay.
    for _ in range(5):
        assert (await sign_in(client, ADMIN_EMAIL, "wrong password!")).status_code == 400  # type: ignore[attr-defined]


async def test_the_delay_stops_growing_at_fifteen_minutes(
    throttled: tuple[Client, FakeClock],
) -> None:
    client, clock = throttled
    for _ in range(16):
        await sign_in(client, ADMIN_EMAIL, "wrong password!")
        clock.now += 3600
    refused = await sign_in(client, ADMIN_EMAIL, "wrong password!")
    clock.now += 0
    await sign_in(client, ADMIN_EMAIL, "wrong password!")
    assert refused.status_code == 400  # type: ignore[attr-defined]
    last = await sign_in(client, ADMIN_EMAIL, PASSWORD)
    assert last.status_code == 429  # type: ignore[attr-defined]
    assert int(last.headers["retry-after"]) == 15 * 60  # type: ignore[attr-defined]


async def test_one_address_has_a_budget_of_failures_across_accounts(
    throttled: tuple[Client, FakeClock],
) -> None:
    client, _clock = throttled
    for n in range(100):
        await sign_in(client, f"guess{n}@example.org", "wrong password!")
    refused = await sign_in(client, ADMIN_EMAIL, PASSWORD)
    assert refused.status_code == 429  # type: ignore[attr-defined]
    assert int(refused.headers["retry-after"]) > 0  # type: ignore[attr-defined]


async def test_forwarded_headers_from_an_untrusted_client_are_ignored(
    anonymous_client: Client,
) -> None:
    response = await anonymous_client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "strict-transport-security" not in response.headers
