"""Who may use which route: the role matrix, tokens on the API only, sessions on pages only."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any, Literal

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.accounts import SESSION_COOKIE, Credentials, sign_up
from tests.builders import API, student_body
from tests.integration.support import assert_problem

Client = AsyncTestClient[Litestar]
Who = Literal["anonymous", "viewer", "staff", "admin", "read-only token"]
WHO: list[Who] = ["anonymous", "viewer", "staff", "admin", "read-only token"]
RANK = {"anonymous": -1, "viewer": 0, "staff": 1, "admin": 2}
CSV = "id,first_name,last_name,birth_date,course\nm2,Ada,Lovelace,2009-04-17,3eB\n"

# (method, path, body kind, body, least role). Paths name the seeded student s1, the seeded
# user target@example.org and token id 0000 (unknown: an allowed caller gets 404).
API_ROUTES: list[tuple[str, str, str, Any, str]] = [
    ("GET", API, "", None, "viewer"),
    ("GET", f"{API}/s1", "", None, "viewer"),
    ("POST", API, "json", student_body(id="m1"), "staff"),
    ("PATCH", f"{API}/s1", "json", {"course": "4e"}, "staff"),
    ("GET", f"{API}/s1/record", "", None, "staff"),
    ("DELETE", f"{API}/s1", "", None, "admin"),
    ("POST", f"{API}/import", "csv", CSV, "staff"),
    ("GET", "/api/v1/students.csv", "", None, "staff"),
    ("GET", "/api/v1/students.ndjson", "", None, "staff"),
    ("GET", "/api/v1/me", "", None, "viewer"),
    ("GET", "/api/v1/tokens", "", None, "viewer"),
    ("POST", "/api/v1/tokens", "json", {"name": "matrix"}, "viewer"),
    ("DELETE", "/api/v1/tokens/0000", "", None, "viewer"),
    ("GET", "/api/v1/users", "", None, "admin"),
    ("GET", "/api/v1/audit", "", None, "admin"),
    (
        "POST",
        "/api/v1/users",
        "json",
        {"email": "new@example.org", "password": "a long enough pass phrase"},
        "admin",
    ),
    ("PATCH", "/api/v1/users/target@example.org", "json", {"role": "viewer"}, "admin"),
]
PAGE_ROUTES: list[tuple[str, str, str, Any, str]] = [
    ("GET", "/", "", None, "viewer"),
    ("POST", "/", "form", {"first_name": "A", "last_name": "B"}, "staff"),
    ("GET", "/students/s1", "", None, "viewer"),
    ("POST", "/students/s1", "form", {"first_name": "A"}, "staff"),
    ("GET", "/students/s1/record", "", None, "staff"),
    ("POST", "/students/s1/withdraw", "form", {"exit_reason": "Moved"}, "staff"),
    ("POST", "/students/s1/reinstate", "form", {}, "staff"),
    ("GET", "/students/s1/delete", "", None, "admin"),
    ("POST", "/students/s1/delete", "form", {}, "admin"),
    ("GET", "/import", "", None, "staff"),
    ("GET", "/students.csv", "", None, "staff"),
    ("GET", "/students.ndjson", "", None, "staff"),
    ("POST", "/handle_data", "form", {"Id": "m3", "First name": "A"}, "staff"),
    ("GET", "/tokens", "", None, "viewer"),
    ("POST", "/tokens", "form", {"name": "matrix", "days": "5"}, "viewer"),
    ("POST", "/tokens/0000/revoke", "form", {}, "viewer"),
    ("GET", "/users", "", None, "admin"),
    ("GET", "/audit", "", None, "admin"),
    ("POST", "/users/target@example.org", "form", {"role": "viewer"}, "admin"),
]
PUBLIC = ["/healthz", "/readyz", "/login", "/static/app.css", "/docs", "/openapi.json"]


@pytest.fixture
async def anyone(
    app: Litestar, redis_url: str, admin: Credentials
) -> AsyncIterator[tuple[Client, dict[str, Credentials]]]:
    """A client without credentials of its own, and a user of each role (and a read-only
    token), with the student s1 and the user target@example.org stored."""
    people = {
        "viewer": await sign_up(redis_url, "viewer@example.org", "viewer"),
        "staff": await sign_up(redis_url, "staff@example.org", "staff"),
        "admin": admin,
        "read-only token": await sign_up(
            redis_url, admin.email, "admin", read_only=True, with_user=False
        ),
    }
    await sign_up(redis_url, "target@example.org", "viewer")
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        client.follow_redirects = False
        seeded = await client.post(
            API, json=student_body(id="s1"), headers={"Authorization": f"Bearer {admin.token}"}
        )
        assert seeded.status_code == 201
        yield client, people


async def _csrf(client: Client) -> str:
    page = await client.get("/login")
    found = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert found
    return found.group(1)


async def _call(
    client: Client, method: str, path: str, kind: str, body: Any, headers: dict[str, str]
) -> Any:
    if kind == "json":
        return await client.request(method, path, json=body, headers=headers)
    if kind == "csv":
        return await client.request(
            method, path, content=body, headers={**headers, "Content-Type": "text/csv"}
        )
    if kind == "form":
        return await client.request(method, path, data=body, headers=headers)
    return await client.request(method, path, headers=headers)


@pytest.mark.parametrize("who", WHO)
async def test_every_api_route_lets_in_exactly_the_roles_it_names(
    anyone: tuple[Client, dict[str, Credentials]], who: Who
) -> None:
    client, people = anyone
    person = people.get(who)
    headers = {"Authorization": f"Bearer {person.token}"} if person else {}
    if person:
        # A session cookie means nothing to the API.
        client.cookies.set(SESSION_COOKIE, person.session_id)
    for method, path, kind, body, role in API_ROUTES:
        response = await _call(client, method, path, kind, body, headers)
        where = f"{who}: {method} {path} -> {response.status_code} {response.text[:200]}"
        if person is None:
            assert_problem(response, 401)
            assert response.headers["www-authenticate"] == "Bearer", where
        elif RANK[person.role] < RANK[role] or (who == "read-only token" and method != "GET"):
            assert_problem(response, 403)
        else:
            assert response.status_code not in (401, 403), where
            assert response.status_code < 500, where


@pytest.mark.parametrize("who", WHO)
async def test_every_page_lets_in_exactly_the_roles_it_names(
    anyone: tuple[Client, dict[str, Credentials]], who: Who
) -> None:
    client, people = anyone
    person = people.get(who)
    token = await _csrf(client)
    # Pages take no token: a read-only token's holder is as anonymous there.
    signed_in = person if who != "read-only token" else None
    if signed_in:
        client.cookies.set(SESSION_COOKIE, signed_in.session_id)
    headers = {"Authorization": f"Bearer {person.token}"} if person else {}
    for method, path, kind, body, role in PAGE_ROUTES:
        if kind == "form":
            body = {**body, "_csrf_token": token}
        response = await _call(client, method, path, kind, body, headers)
        where = f"{who}: {method} {path} -> {response.status_code}"
        if signed_in is None:
            assert response.status_code == 303, where
            assert response.headers["location"].startswith("/login?next="), where
        elif RANK[signed_in.role] < RANK[role]:
            assert response.status_code == 403, where
            assert "Not allowed" in response.text
        else:
            assert response.status_code not in (401, 403), where
            assert not response.headers.get("location", "").startswith("/login"), where
            assert response.status_code < 500, where


@pytest.mark.parametrize("path", PUBLIC)
async def test_the_public_routes_need_no_credentials(anonymous_client: Client, path: str) -> None:
    response = await anonymous_client.get(path)
    assert response.status_code == 200, response.text


async def test_an_anonymous_page_request_is_sent_to_sign_in_and_back(
    anonymous_client: Client,
) -> None:
    response = await anonymous_client.get("/students/s1?saved=true")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fstudents%2Fs1%3Fsaved%3Dtrue"


async def test_a_bad_token_is_401_with_an_invalid_token_challenge(
    anonymous_client: Client,
) -> None:
    for value in ("Bearer srg_nope", "Bearer nope", "Basic YTpi"):
        response = await anonymous_client.get(API, headers={"Authorization": value})
        assert_problem(response, 401)
        assert response.headers["www-authenticate"].startswith("Bearer")


async def test_a_token_in_the_url_is_not_accepted(
    anonymous_client: Client, admin: Credentials
) -> None:
    for name in ("token", "access_token"):
        response = await anonymous_client.get(API, params={name: admin.token})
        assert_problem(response, 401)


async def test_past_its_absolute_limit_a_session_no_longer_signs_in(
    anonymous_client: Client, redis_url: str
) -> None:
    old = await sign_up(redis_url, "old@example.org", "admin", signed_in=0)
    anonymous_client.cookies.set(SESSION_COOKIE, old.session_id)
    response = await anonymous_client.get("/")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


async def test_until_a_user_exists_the_sign_in_page_names_the_command_and_serves_nothing(
    anonymous_client: Client,
) -> None:
    response = await anonymous_client.get("/login")
    assert response.status_code == 200
    assert "docker compose exec api student-registry users create EMAIL --role admin" in (
        response.text
    )
    assert '<input id="password"' not in response.text
    assert (await anonymous_client.get("/")).status_code == 303


async def test_the_api_takes_no_session_cookie_and_pages_take_no_token(
    anonymous_client: Client, admin: Credentials
) -> None:
    anonymous_client.cookies.set(SESSION_COOKIE, admin.session_id, domain="testserver.local")
    assert_problem(await anonymous_client.get(API), 401)
    anonymous_client.cookies.clear()
    bearer = {"Authorization": f"Bearer {admin.token}"}
    assert (await anonymous_client.get("/", headers=bearer)).status_code == 303


async def test_on_the_users_page_an_administrator_cannot_disable_themselves(
    anyone: tuple[Client, dict[str, Credentials]],
) -> None:
    client, people = anyone
    admin = people["admin"]
    token = await _csrf(client)
    client.cookies.set(SESSION_COOKIE, admin.session_id)
    form = {"disabled": "true", "_csrf_token": token}
    refused = await client.post(f"/users/{admin.email}", data=form)
    assert refused.status_code == 409
    assert "another admin can" in refused.text
    assert (await client.get("/users")).status_code == 200
