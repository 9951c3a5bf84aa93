"""Believe X-Forwarded-Proto and X-Forwarded-For only from the proxies the settings trust."""

from __future__ import annotations

from collections.abc import Callable
from ipaddress import IPv4Network, IPv6Network, ip_address

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

Network = IPv4Network | IPv6Network


def _trusted(host: str, networks: tuple[Network, ...]) -> bool:
    try:
        address = ip_address(host)
    except ValueError:
        return False
    return any(address in network for network in networks)


def forwarded_headers(networks: tuple[Network, ...]) -> Callable[[ASGIApp], ASGIApp]:
    """An ASGI middleware taking the scheme and client address from a trusted proxy's headers."""

    def wrap(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            client = scope.get("client")
            if scope["type"] == ScopeType.HTTP and client and _trusted(client[0], networks):
                headers = dict(scope["headers"])
                proto = headers.get(b"x-forwarded-proto", b"").decode("latin-1").strip().lower()
                if proto in ("http", "https"):
                    scope["scheme"] = proto
                forwarded_for = headers.get(b"x-forwarded-for", b"").decode("latin-1")
                # The proxy appends the address it saw: the last one is the one to believe.
                if last := forwarded_for.rsplit(",", 1)[-1].strip():
                    scope["client"] = (last, 0)
            await app(scope, receive, send)

        return middleware if networks else app

    return wrap
