"""Liveness and readiness probes."""

from __future__ import annotations

from litestar import Response, get
from litestar.di import NamedDependency
from litestar.status_codes import HTTP_503_SERVICE_UNAVAILABLE
from msgspec import Struct

from student_registry.api.problems import RETRY_AFTER_SECONDS
from student_registry.domain.service import Registry
from student_registry.errors import StoreUnavailable


class Health(Struct):
    """A probe's answer."""

    status: str


@get("/healthz", tags=["health"], summary="Liveness", include_in_schema=True)
async def healthz() -> Health:
    """200 while the process serves; never touches Redis."""
    return Health(status="ok")


@get("/readyz", tags=["health"], summary="Readiness")
async def readyz(registry: NamedDependency[Registry]) -> Response[Health]:
    """200 when Redis answers, else 503."""
    try:
        await registry.check_ready()
    except StoreUnavailable:
        return Response(
            Health(status="redis unavailable"),
            status_code=HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": RETRY_AFTER_SECONDS},
        )
    return Response(Health(status="ok"))
