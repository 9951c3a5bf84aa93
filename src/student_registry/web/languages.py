"""Which language a page is written in: ``?lang=``, then the ``lang`` cookie, then
``Accept-Language`` (RFC 9110 §12.5.4, with its quality values), else English.

A ``?lang=`` is remembered in the cookie, so that the switch on every page holds for the pages
after it. Pages vary by ``Accept-Language`` and ``Cookie``, and say so.
"""

from __future__ import annotations

from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlencode

from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from student_registry.web.i18n import DEFAULT_LANGUAGE, LANGUAGES, current_language, use_language

COOKIE = "lang"
QUERY = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
# Longer headers than this are not read to the end: no browser sends one.
ACCEPT_LANGUAGE_MAX = 1000
VARY = (b"vary", b"Accept-Language, Cookie")


def negotiate(accept_language: str, supported: tuple[str, ...] = tuple(LANGUAGES)) -> str | None:
    """The supported language an ``Accept-Language`` header prefers most, or None.

    ``fr-CA`` asks for French; ``*`` for any language, the first supported; ``q=0`` refuses
    one. Among equal quality values the first listed wins.
    """
    best: tuple[float, int, str] | None = None
    refused: set[str] = set()
    for at, item in enumerate(accept_language[:ACCEPT_LANGUAGE_MAX].split(",")):
        tag, _, params = item.strip().partition(";")
        primary = tag.strip().lower().split("-", 1)[0]
        quality = _quality(params)
        if quality is None or not primary:
            continue
        matches = [lang for lang in supported if lang not in refused] if primary == "*" else []
        if primary in supported:
            matches = [primary]
        for language in matches:
            if quality == 0:
                refused.add(language)
            elif best is None or (quality, -at) > (best[0], -best[1]):
                best = (quality, at, language)
    if best is None or best[2] in refused:
        return None
    return best[2]


def _quality(params: str) -> float | None:
    """The ``q`` of a language range's parameters (1 when absent), or None when malformed."""
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value.strip())
            except ValueError:
                return None
            return quality if 0 <= quality <= 1 else None
    return 1.0


class Choice(NamedTuple):
    """The language of a request, and whether to remember it in the cookie."""

    language: str
    remember: bool


def choose_language(connection: ASGIConnection[Any, Any, Any, Any]) -> Choice:
    """The language of a page request: the switch, the cookie, the browser's wish, English."""
    cookie = connection.cookies.get(COOKIE, "")
    asked = connection.query_params.get(QUERY, "")
    if asked in LANGUAGES:
        return Choice(asked, remember=asked != cookie)
    if cookie in LANGUAGES:
        return Choice(cookie, remember=False)
    wished = negotiate(connection.headers.get("accept-language", ""))
    return Choice(wished or DEFAULT_LANGUAGE, remember=False)


def _cookie_header(language: str, *, secure: bool) -> tuple[bytes, bytes]:
    value = f"{COOKIE}={language}; Path=/; Max-Age={COOKIE_MAX_AGE}; SameSite=Lax; HttpOnly"
    return b"set-cookie", (value + ("; Secure" if secure else "")).encode()


def language_middleware(app: ASGIApp) -> ASGIApp:
    """ASGI middleware of the pages: choose the request's language, remember a switch."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        choice = choose_language(ASGIConnection(scope))
        use_language(choice.language)
        added = [VARY]
        if choice.remember:
            added.append(_cookie_header(choice.language, secure=scope["scheme"] == "https"))

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *added]
            await send(message)

        await app(scope, receive, send_wrapper)

    return middleware


class LanguageLink(NamedTuple):
    """One language of the switch: its code, its own name, this page in it."""

    code: str
    name: str
    url: str
    current: bool


def language_links(connection: ASGIConnection[Any, Any, Any, Any]) -> list[LanguageLink]:
    """This page (its path and query) in each language, for the switch."""
    # The query as written, in its order (the parsed parameters do not keep it).
    query = parse_qsl(connection.scope["query_string"].decode("latin-1"), keep_blank_values=True)
    kept = [(k, v) for k, v in query if k != QUERY]
    path = connection.url.path
    language = current_language()
    return [
        LanguageLink(code, name, f"{path}?{urlencode([*kept, (QUERY, code)])}", code == language)
        for code, name in LANGUAGES.items()
    ]
