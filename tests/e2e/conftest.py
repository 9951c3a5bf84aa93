"""Fixtures of the end-to-end tier: one Compose stack for the session, an HTTP client."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.stack import ADMIN_EMAIL, ADMIN_PASSWORD, BASE_URL, Stack, sign_in


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The stack built from the working tree, healthy; removed with its data afterwards.

    Its first administrator comes from ADMIN_EMAIL and the Compose secret ADMIN_PASSWORD_FILE.
    """
    secret = tmp_path_factory.mktemp("secrets") / "admin_password"
    secret.write_text(ADMIN_PASSWORD + "\n")
    secret.chmod(0o644)  # read by the container's unprivileged user
    stack = Stack(env={"ADMIN_EMAIL": ADMIN_EMAIL, "ADMIN_PASSWORD_FILE": str(secret)})
    stack.down("--volumes")  # whatever an interrupted run left behind
    try:
        stack.up("--build")
    except AssertionError as exc:
        logs = stack.compose("logs", "--no-color", "--tail", "50")
        stack.down("--volumes")
        raise AssertionError(f"{exc}\n{logs}") from None
    yield stack
    stack.down("--volumes", "--rmi", "local")


@pytest.fixture
def http(stack: Stack) -> Iterator[httpx.Client]:
    """A client of the published port, ignoring any proxy settings, signed in as the
    administrator: a token for the API, a session for the pages."""
    with httpx.Client(base_url=BASE_URL, timeout=10, trust_env=False) as client:
        sign_in(stack, client)
        yield client
