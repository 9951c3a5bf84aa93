"""The running app writes one access line per request, as JSON when not on a terminal."""

from __future__ import annotations

import json
import logging

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from student_registry.logs import ACCESS, JsonFormatter
from tests.builders import API, student_body


async def test_each_request_is_logged_once_with_method_path_status_and_duration(
    client: AsyncTestClient[Litestar], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger=ACCESS.name):
        await client.post(API, json=student_body(id="s1"))
        await client.get(f"{API}/nobody")
        await client.get("/healthz")
    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == ACCESS.name]
    assert [(e["method"], e["path"], e["status"]) for e in lines] == [
        ("POST", API, 201),
        ("GET", f"{API}/nobody", 404),
        ("GET", "/healthz", 200),
    ]
    assert all(e["duration_ms"] >= 0 for e in lines)
