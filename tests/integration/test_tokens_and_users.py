"""API tokens from creation to revocation, the users API, and the original app's form."""

from __future__ import annotations

import asyncio
import hashlib
import re

from litestar import Litestar
from litestar.testing import AsyncTestClient

from student_registry.domain.accounts import Accounts, UserCreate
from student_registry.store import keys
from student_registry.store.accounts_store import AccountsStore
from student_registry.store.redis_store import RedisStore
from tests.accounts import ADMIN_EMAIL, Credentials, sign_up
from tests.builders import API
from tests.integration.support import assert_problem

Client = AsyncTestClient[Litestar]
TOKEN = re.compile(r"srg_[A-Za-z0-9_-]{43}")


async def test_a_token_is_shown_once_kept_as_a_digest_and_works_until_revoked(
    anonymous_client: Client, store: RedisStore, admin: Credentials
) -> None:
    client = anonymous_client
    as_admin = {"Authorization": f"Bearer {admin.token}"}
    created = await client.post(
        "/api/v1/tokens", json={"name": "nightly export", "days": 7}, headers=as_admin
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert set(body) == {"id", "name", "token", "expires_at", "read_only"}
    assert TOKEN.fullmatch(body["token"])
    assert body["read_only"] is False

    digest = hashlib.sha256(body["token"].encode()).hexdigest()
    stored = await store.client.hgetall(keys.token_key(digest))
    assert stored["n"] == "nightly export"
    dump = [await store.client.dump(k) async for k in store.client.scan_iter()]
    assert not any(body["token"].encode() in (d or b"") for d in dump)
    ttl = await store.client.ttl(keys.token_key(digest))
    assert 6 * 86400 < ttl <= 7 * 86400

    bearer = {"Authorization": f"Bearer {body['token']}"}
    me = await client.get("/api/v1/me", headers=bearer)
    assert me.json() == {"email": ADMIN_EMAIL, "role": "admin"}

    listed = (await client.get("/api/v1/tokens", headers=as_admin)).json()
    assert body["id"] in [t["id"] for t in listed]
    assert all("token" not in t for t in listed)
    mine = next(t for t in listed if t["id"] == body["id"])
    assert mine["last_used_at"] is not None

    revoked = await client.delete(f"/api/v1/tokens/{body['id']}", headers=as_admin)
    assert revoked.status_code == 204
    assert_problem(await client.get("/api/v1/me", headers=bearer), 401)
    assert_problem(await client.delete(f"/api/v1/tokens/{body['id']}", headers=as_admin), 404)


async def test_token_lifetime_defaults_to_90_days_and_is_at_most_365(client: Client) -> None:
    default = (await client.post("/api/v1/tokens", json={"name": "a"})).json()
    assert default["expires_at"]
    assert (await client.post("/api/v1/tokens", json={"name": "b", "days": 365})).status_code == 201
    assert_problem(await client.post("/api/v1/tokens", json={"name": "c", "days": 366}), 422)
    assert_problem(await client.post("/api/v1/tokens", json={"name": "", "days": 3}), 422)


async def test_an_expired_token_is_refused(
    anonymous_client: Client, store: RedisStore, admin: Credentials
) -> None:
    accounts = Accounts(AccountsStore(store.client), clock=lambda: 1_000_000.0)
    from student_registry.domain.accounts import TokenCreate

    old = await accounts.create_token(ADMIN_EMAIL, TokenCreate(name="old", days=1))
    bearer = {"Authorization": f"Bearer {old.token}"}
    assert_problem(await anonymous_client.get(API, headers=bearer), 401)


async def test_a_token_revoked_from_elsewhere_is_refused_within_a_second(
    anonymous_client: Client, store: RedisStore, admin: Credentials
) -> None:
    bearer = {"Authorization": f"Bearer {admin.token}"}
    assert (await anonymous_client.get(API, headers=bearer)).status_code == 200
    [token_id] = await store.client.hkeys(keys.token_ids())
    # As the command line does: another process, not this worker.
    await Accounts(AccountsStore(store.client)).revoke_token(token_id)
    await asyncio.sleep(0)
    for _ in range(30):
        if (await anonymous_client.get(API, headers=bearer)).status_code == 401:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the revoked token was still accepted after 1.5 s")


async def test_one_cannot_see_or_revoke_someone_elses_token(
    anonymous_client: Client, redis_url: str, admin: Credentials
) -> None:
    viewer = await sign_up(redis_url, "viewer@example.org", "viewer")
    as_viewer = {"Authorization": f"Bearer {viewer.token}"}
    as_admin = {"Authorization": f"Bearer {admin.token}"}
    admin_tokens = (await anonymous_client.get("/api/v1/tokens", headers=as_admin)).json()
    [admin_token] = admin_tokens
    theirs = (await anonymous_client.get("/api/v1/tokens", headers=as_viewer)).json()
    assert admin_token["id"] not in [t["id"] for t in theirs]
    revoke = await anonymous_client.delete(f"/api/v1/tokens/{admin_token['id']}", headers=as_viewer)
    assert_problem(revoke, 404)
    every = await anonymous_client.get("/api/v1/tokens?all=true", headers=as_viewer)
    assert_problem(every, 403)
    everyone = await anonymous_client.get("/api/v1/tokens?all=true", headers=as_admin)
    assert len(everyone.json()) == 2


async def test_an_administrator_creates_users_and_emails_are_unique_ignoring_case(
    client: Client,
) -> None:
    new = {"email": "Ada@Example.org", "password": "a long enough pass phrase", "role": "staff"}
    created = await client.post("/api/v1/users", json=new)
    assert created.status_code == 201, created.text
    assert created.json()["role"] == "staff"
    assert "password" not in created.text
    assert "hash" not in created.text
    again = await client.post("/api/v1/users", json={**new, "email": "ada@example.ORG"})
    assert_problem(again, 409)
    users = (await client.get("/api/v1/users")).json()
    assert [u["email"] for u in users] == ["Ada@Example.org", ADMIN_EMAIL]


async def test_a_short_or_common_password_is_refused_with_the_reason(client: Client) -> None:
    short = await client.post("/api/v1/users", json={"email": "a@b.org", "password": "x" * 14})
    body = assert_problem(short, 422)
    assert body["errors"][0]["path"] == "password"
    assert "at least 15 characters" in body["errors"][0]["message"]
    common = await client.post(
        "/api/v1/users", json={"email": "a@b.org", "password": "1q2w3e4r5t6y7u8i9o0p"}
    )
    assert "common" in assert_problem(common, 422)["errors"][0]["message"]
    assert_problem(
        await client.post(
            "/api/v1/users", json={"email": "a@b.org", "password": "p" * 20, "role": "root"}
        ),
        422,
    )


async def test_an_administrator_cannot_demote_or_disable_themselves_but_another_can(
    anonymous_client: Client, admin: Credentials, redis_url: str
) -> None:
    as_admin = {"Authorization": f"Bearer {admin.token}"}
    own = f"/api/v1/users/{admin.email}"
    for change in ({"role": "staff"}, {"role": "viewer"}, {"disabled": True}):
        refused = await anonymous_client.patch(own, json=change, headers=as_admin)
        assert "another admin" in assert_problem(refused, 409)["detail"]
    other = await sign_up(redis_url, "second.admin@example.org", "admin")
    as_other = {"Authorization": f"Bearer {other.token}"}
    users = (await anonymous_client.get("/api/v1/users", headers=as_other)).json()
    assert {u["email"]: (u["role"], u["disabled"]) for u in users}[admin.email] == ("admin", False)
    assert (await anonymous_client.get("/api/v1/me", headers=as_admin)).status_code == 200

    demoted = await anonymous_client.patch(own, json={"role": "staff"}, headers=as_other)
    assert demoted.json()["role"] == "staff"


async def test_changing_an_unknown_user_is_404(client: Client) -> None:
    assert_problem(
        await client.patch("/api/v1/users/nobody@example.org", json={"role": "staff"}), 404
    )


async def test_every_answer_carries_the_security_headers_errors_included(
    anonymous_client: Client, admin: Credentials
) -> None:
    client = anonymous_client
    anonymous = [await client.get(API), await client.get("/")]
    client.headers["Authorization"] = f"Bearer {admin.token}"
    client.cookies.set("sr_session", admin.session_id, domain="testserver.local")
    answers = [
        *anonymous,
        await client.get("/"),
        await client.get(API),
        await client.get("/nowhere"),
        await client.get(f"{API}/nobody"),
        await client.get("/docs"),
        await client.get("/static/app.css"),
    ]
    for response in answers:
        headers = response.headers
        assert headers["content-security-policy"] == (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
        )
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        assert headers["cross-origin-opener-policy"] == "same-origin"
        assert "strict-transport-security" not in headers
    for response in answers[:-1]:
        assert response.headers["cache-control"] == "no-store", response.url
    assert answers[-1].headers.get("cache-control") != "no-store"


LEGACY = {
    "Id": "leg-1",
    "First name": "Ada",
    "Last name": "Lovelace",
    "Date of Birth": "2009-04-17",
    "Course": "3eB",
}


async def test_the_original_form_works_from_this_site_and_is_refused_from_another(
    client: Client, store: RedisStore
) -> None:
    client.follow_redirects = False
    for headers in (
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site", "Origin": "http://testserver.local"},
    ):
        refused = await client.post("/handle_data", data=LEGACY, headers=headers)
        assert refused.status_code == 403, headers
        assert await store.count() == 0
    ok = await client.post(
        "/handle_data",
        data=LEGACY,
        headers={"Origin": "http://testserver.local", "Sec-Fetch-Site": "same-origin"},
    )
    assert ok.status_code == 303, ok.text
    assert await store.count() == 1


async def test_the_original_form_needs_staff(
    anonymous_client: Client, redis_url: str, store: RedisStore
) -> None:
    viewer = await sign_up(redis_url, "viewer@example.org", "viewer")
    anonymous_client.cookies.set("sr_session", viewer.session_id, domain="testserver.local")
    refused = await anonymous_client.post("/handle_data", data=LEGACY)
    assert refused.status_code == 403
    assert await store.count() == 0


async def test_workers_starting_together_create_one_first_administrator(
    store: RedisStore,
) -> None:
    accounts = Accounts(AccountsStore(store.client))
    candidates = [
        UserCreate(
            email=f"admin{n}@example.org", password=f"first admin password {n}", role="admin"
        )
        for n in range(4)
    ]
    created = await asyncio.gather(*(accounts.create_user(c, only_first=True) for c in candidates))
    assert sum(user is not None for user in created) == 1
    assert len(await accounts.list_users()) == 1
