"""Structured logs: one JSON object a line, and one access line per HTTP request."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

import pytest

from student_registry.logs import (
    ACCESS,
    JsonFormatter,
    access_log,
    configure_logging,
    logging_config,
)


def record(message: str, *args: object, **extra: Any) -> logging.LogRecord:
    made = logging.makeLogRecord(
        {"name": "student_registry.test", "levelno": 20, "levelname": "INFO", "msg": message}
    )
    made.args = args
    made.__dict__.update(extra)
    return made


def test_json_formatter_writes_one_object_on_one_line_with_extras() -> None:
    line = JsonFormatter().format(record("saved %s", "Éloïse\nDurand", student_id="s1"))
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "INFO"
    assert entry["logger"] == "student_registry.test"
    assert entry["message"] == "saved Éloïse\nDurand"
    assert entry["student_id"] == "s1"
    assert "time" in entry


def test_json_formatter_includes_the_exception() -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        failed = record("failed", exc_info=sys.exc_info())
    entry = json.loads(JsonFormatter().format(failed))
    assert "RuntimeError: boom" in entry["exception"]


def test_logs_are_json_when_stderr_is_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    config = logging_config("WARNING")
    assert config["formatters"]["default"] == {"()": JsonFormatter}
    assert config["root"]["level"] == "WARNING"


def test_logs_are_plain_text_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert "format" in logging_config("INFO")["formatters"]["default"]


async def run_request(app: Any, scope: dict[str, Any]) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await access_log(app)(scope, receive, send)
    return sent


def http_scope(method: str = "GET", path: str = "/api/v1/students") -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path, "headers": []}


async def answer_201(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 201, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


async def test_each_request_logs_one_line_with_method_path_status_and_duration(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger=ACCESS.name):
        sent = await run_request(answer_201, http_scope("POST"))
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    [line] = [r for r in caplog.records if r.name == ACCESS.name]
    entry = json.loads(JsonFormatter().format(line))
    assert entry["method"] == "POST"
    assert entry["path"] == "/api/v1/students"
    assert entry["status"] == 201
    assert isinstance(entry["duration_ms"], float)
    assert entry["duration_ms"] >= 0
    assert entry["message"] == "POST /api/v1/students 201"


async def test_a_request_that_crashes_is_logged_as_500(caplog: pytest.LogCaptureFixture) -> None:
    async def crash(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("boom")

    with caplog.at_level(logging.INFO, logger=ACCESS.name), pytest.raises(RuntimeError):
        await run_request(crash, http_scope())
    [line] = [r for r in caplog.records if r.name == ACCESS.name]
    assert line.__dict__["status"] == 500


async def test_nothing_is_logged_below_info(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger=ACCESS.name):
        await run_request(answer_201, http_scope())
    assert not [r for r in caplog.records if r.name == ACCESS.name]


async def test_non_http_traffic_is_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    async def lifespan_app(scope: Any, receive: Any, send: Any) -> None:
        return None

    with caplog.at_level(logging.INFO, logger=ACCESS.name):
        await access_log(lifespan_app)({"type": "lifespan"}, None, None)  # type: ignore[arg-type]
    assert not caplog.records


def test_configure_logging_sends_json_lines_to_stderr(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    root = logging.getLogger()
    saved = (root.level, root.handlers[:])
    try:
        configure_logging("INFO")
        logging.getLogger("student_registry.test").info("hello", extra={"k": 1})
        err = capsys.readouterr().err
    finally:
        root.setLevel(saved[0])
        root.handlers[:] = saved[1]
    [line] = [json.loads(x) for x in err.splitlines() if '"hello"' in x]
    assert line["k"] == 1
