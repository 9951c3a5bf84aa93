"""Behind a TLS-terminating proxy the service trusts: Secure cookies and HSTS."""

from __future__ import annotations

import re

import httpx
import pytest

from student_registry.settings import Settings
from tests.accounts import ADMIN_EMAIL, PASSWORD


@pytest.fixture
def settings(redis_url: str) -> Settings:
    """Settings trusting the proxy at 127.0.0.1, where the in-process client comes from."""
    return Settings(
        redis_url=redis_url,
        secret_key="test-secret-key-0123456789",
        redis_timeout=1.0,
        trusted_proxies="127.0.0.1, 10.0.0.0/8",
    )


async def test_over_https_the_session_cookie_is_secure_with_the_host_prefix_and_hsts_is_sent(
    concurrent_client: httpx.AsyncClient,
) -> None:
    concurrent_client.headers["X-Forwarded-Proto"] = "https"
    page = await concurrent_client.get("/login")
    assert page.headers["strict-transport-security"].startswith("max-age=")
    found = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert found
    response = await concurrent_client.post(
        "/login",
        data={"email": ADMIN_EMAIL, "password": PASSWORD, "_csrf_token": found.group(1)},
    )
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-sr_session=")
    assert "Secure" in cookie
    assert "Path=/" in cookie
    assert "Domain" not in cookie


async def test_without_the_proxys_header_the_answer_is_plain_http(
    concurrent_client: httpx.AsyncClient,
) -> None:
    response = await concurrent_client.get("/login")
    assert "strict-transport-security" not in response.headers
