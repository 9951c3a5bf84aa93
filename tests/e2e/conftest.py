"""Fixtures of the end-to-end tier: one Compose stack for the session, an HTTP client."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.stack import BASE_URL, Stack


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    """The stack built from the working tree, healthy; removed with its data afterwards."""
    stack = Stack()
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
    """A client of the published port, ignoring any proxy settings."""
    with httpx.Client(base_url=BASE_URL, timeout=10, trust_env=False) as client:
        yield client
