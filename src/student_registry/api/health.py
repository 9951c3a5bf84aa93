"""Liveness and readiness probes."""

from __future__ import annotations

from litestar import get
from litestar.di import NamedDependency
from msgspec import Struct

from student_registry.api.problems import problem_responses
from student_registry.domain.service import Registry


class Health(Struct):
    """A probe's answer."""

    status: str


@get("/healthz", tags=["health"], summary="Liveness", include_in_schema=True)
async def healthz() -> Health:
    """200 while the process serves; never touches Redis."""
    return Health(status="ok")


@get("/readyz", tags=["health"], summary="Readiness", responses=problem_responses(503))
async def readyz(registry: NamedDependency[Registry]) -> Health:
    """200 when Redis answers, else a 503 problem with Retry-After, like any request."""
    await registry.check_ready()
    return Health(status="ok")
