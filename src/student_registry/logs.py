"""Logging: one JSON object a line when not on a terminal, and one line per request."""

from __future__ import annotations

import logging
import logging.config
import sys
import time
from typing import Any

import msgspec
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from student_registry.domain.audit import begin_request
from student_registry.methods import request_method

ACCESS = logging.getLogger("student_registry.access")
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object, with any `extra` fields beside the message."""

    _second = -1
    _time = ""

    def format(self, record: logging.LogRecord) -> str:
        # Formatting the time costs more than the rest of a line: do it once a second.
        if int(record.created) != self._second:
            self._second = int(record.created)
            self._time = self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z")
        entry: dict[str, Any] = {
            "time": self._time,
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return msgspec.json.encode(entry).decode()


def logging_config(level: str) -> dict[str, Any]:
    """A dictConfig sending every log to stderr, as JSON unless stderr is a terminal."""
    formatter: dict[str, Any] = (
        {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
        if sys.stderr.isatty()
        else {"()": JsonFormatter}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "default"}},
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            name: {"handlers": [], "propagate": True, "level": level}
            for name in ("_granian", "granian.access", "granian.server")
        },
    }


def configure_logging(level: str) -> None:
    """Send logs to stderr, as JSON unless stderr is a terminal."""
    logging.config.dictConfig(logging_config(level))


def access_log(app: ASGIApp) -> ASGIApp:
    """ASGI middleware logging method, path, status, duration and id of each HTTP request.

    The id is the one the request's audit trail entries carry, and its X-Request-ID header.
    """

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        request_id = begin_request()
        header = (b"x-request-id", request_id.encode())
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        if not ACCESS.isEnabledFor(logging.INFO):
            await app(scope, receive, send_wrapper)
            return
        method, path = request_method(scope), scope["path"]
        start = time.perf_counter()
        try:
            await app(scope, receive, send_wrapper)
        finally:
            # makeRecord and handle, as Logger.info does, without looking up the caller's frame:
            # every line comes from here.
            extra = {
                "method": method,
                "path": path,
                "status": status,
                "duration_ms": round((time.perf_counter() - start) * 1000, 2),
                "request_id": request_id,
            }
            record = ACCESS.makeRecord(
                ACCESS.name,
                logging.INFO,
                __file__,
                0,
                "%s %s %s",
                (method, path, status),
                None,
                extra=extra,
            )
            ACCESS.handle(record)

    return middleware
