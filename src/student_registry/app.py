"""The application factory: create_app(settings) -> Litestar app. Nothing connects at import."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.types import ControllerRouterHandler

from student_registry import __version__
from student_registry.api.health import healthz, readyz
from student_registry.api.problems import (
    handle_domain_error,
    handle_http_error,
    handle_unexpected_error,
)
from student_registry.api.students import StudentController
from student_registry.domain.service import Registry
from student_registry.errors import RegistryError, StoreUnavailable
from student_registry.logs import access_log, configure_logging
from student_registry.settings import Settings
from student_registry.store.redis_store import RedisStore, connect

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the web application for these settings (from the environment by default)."""
    settings = (settings or Settings.from_env()).with_secret()
    registry_holder: dict[str, Registry] = {}

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        store = RedisStore(connect(settings.redis_url, timeout=settings.redis_timeout))
        registry_holder["registry"] = Registry(store)
        try:
            await store.ping()
        except StoreUnavailable as exc:
            log.warning(
                "Redis is not reachable at %s (%s). The service runs and answers 503 until it "
                "is; start Redis or set REDIS_URL.",
                settings.redis_url,
                exc.__cause__ or exc,
            )
        try:
            yield
        finally:
            await store.close()

    def provide_registry() -> Registry:
        return registry_holder["registry"]

    handlers: list[ControllerRouterHandler] = [StudentController, healthz, readyz]
    return Litestar(
        route_handlers=handlers,
        lifespan=[lifespan],
        dependencies={"registry": Provide(provide_registry, sync_to_thread=False, use_cache=True)},
        exception_handlers={
            RegistryError: handle_domain_error,
            HTTPException: handle_http_error,
            Exception: handle_unexpected_error,
        },
        middleware=[access_log],
        openapi_config=OpenAPIConfig(
            title="Student Registry",
            version=__version__,
            description="Register a school's students: JSON API over the same data as the page.",
            path="/docs",
            render_plugins=[ScalarRenderPlugin(path="/")],
        ),
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_name="csrftoken",
            header_name="x-csrftoken",
            cookie_samesite="strict",
            exclude=["/api/", "/handle_data"],
        ),
        compression_config=CompressionConfig(backend="gzip", minimum_size=1024),
        logging_config=None,
        debug=False,
    )


def create_served_app() -> Litestar:
    """The app as the production server runs it: settings from the environment, logs set up."""
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    return create_app(settings)
