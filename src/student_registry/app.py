"""The application factory: create_app(settings) -> Litestar app. Nothing connects at import."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Litestar, Request, Router
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.middleware import DefineMiddleware
from litestar.middleware.csrf import CSRFMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Response
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig
from litestar.types import ControllerRouterHandler, Middleware

from student_registry import __version__
from student_registry.api import problems
from student_registry.api.audit import AuditController, student_record
from student_registry.api.bulk import IMPORT_LIMIT, BulkController
from student_registry.api.docs import ClosedModels, SwaggerPage, openapi_json
from student_registry.api.health import healthz, readyz
from student_registry.api.students import SKIP_COMPRESSION, StudentController
from student_registry.api.tokens import TokenController, me
from student_registry.api.users import UserController
from student_registry.api.years import YearController
from student_registry.connection import open_store
from student_registry.domain.accounts import Accounts, UserCreate
from student_registry.domain.phones import display_phone
from student_registry.domain.service import Registry
from student_registry.errors import InvalidAccount, RegistryError, StoreUnavailable
from student_registry.logs import access_log, configure_logging
from student_registry.methods import answer_head_and_allow
from student_registry.metrics import count_requests
from student_registry.security.guards import api_guard, page_guard, shown_to
from student_registry.security.headers import add_security_headers
from student_registry.security.proxies import forwarded_headers
from student_registry.security.sessions import STORE_NAME, session_config
from student_registry.settings import Settings
from student_registry.store.accounts_store import AccountsStore
from student_registry.store.session_store import SessionStore
from student_registry.web import errors as web_errors
from student_registry.web.account_pages import AccountPageController
from student_registry.web.audit_pages import AuditPageController
from student_registry.web.bulk_pages import FORM_OVERHEAD, BulkPageController
from student_registry.web.i18n import (
    current_language,
    date_example,
    format_date,
    format_datetime,
    format_timestamp,
    gettext,
    ngettext,
    translate,
)
from student_registry.web.languages import language_links, language_middleware
from student_registry.web.login import LoginController
from student_registry.web.pages import PageController
from student_registry.web.year_pages import YearPageController

WEB_DIR = Path(__file__).parent / "web"
SWAGGER = "/static/vendor/swagger-ui"
FAVICON = '<link rel="icon" type="image/svg+xml" href="/static/favicon.svg">'


def _template_engine(*, auto_reload: bool) -> JinjaTemplateEngine:
    environment = Environment(
        loader=FileSystemLoader(WEB_DIR / "templates"),
        autoescape=select_autoescape(default=True),
        extensions=["jinja2.ext.i18n"],
        auto_reload=auto_reload,
    )
    # The callables read the request's language: one environment serves every language.
    environment.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=gettext, ngettext=ngettext, newstyle=True
    )
    environment.filters["translate"] = translate
    environment.filters["date"] = format_date
    environment.filters["datetime"] = format_datetime
    environment.filters["timestamp"] = format_timestamp
    environment.globals["language"] = current_language
    environment.globals["language_links"] = language_links
    environment.filters["phone"] = display_phone
    environment.globals["date_example"] = date_example
    environment.globals["shown_to"] = shown_to
    return JinjaTemplateEngine.from_environment(environment)


def _on_domain_error(request: Request[Any, Any, Any], exc: RegistryError) -> Response[Any]:
    if problems.is_api_request(request):
        return problems.handle_domain_error(request, exc)
    return web_errors.domain_error_page(request, exc)


def _on_http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if problems.is_api_request(request):
        return problems.handle_http_error(request, exc)
    return web_errors.http_error_page(request, exc)


def _on_unexpected_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    response = problems.handle_unexpected_error(request, exc)
    if problems.is_api_request(request):
        return response
    return web_errors.unexpected_error_page(request, exc)


log = logging.getLogger(__name__)


async def create_first_admin(accounts: Accounts, settings: Settings) -> None:
    """ADMIN_EMAIL with the password in ADMIN_PASSWORD_FILE becomes admin while no user exists.

    Workers starting together race for it; the store creates only the first user.
    """
    if not (settings.admin_email and settings.admin_password_file) or await accounts.has_users():
        return
    try:
        secret = await asyncio.to_thread(Path(settings.admin_password_file).read_text)
    except OSError as exc:
        log.error("ADMIN_PASSWORD_FILE cannot be read (%s); no administrator created.", exc)
        return
    password = secret.rstrip("\r\n")
    data = UserCreate(email=settings.admin_email, password=password, role="admin")
    try:
        if await accounts.create_user(data, only_first=True):
            log.info("Created the first administrator, %s.", settings.admin_email)
    except InvalidAccount as exc:
        log.error("The first administrator was not created: %s.", exc)


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the web application for these settings (from the environment by default)."""
    settings = (settings or Settings.from_env()).with_secret()
    registry_holder: dict[str, Registry] = {}

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        store = open_store(settings)
        registry_holder["registry"] = Registry(store, cursor_secret=settings.secret_key.encode())
        accounts = Accounts(
            AccountsStore(store.client, audit_retention_days=settings.audit_retention_days),
            password_min_length=settings.password_min_length,
        )
        app.state.accounts = accounts
        app.stores.register(STORE_NAME, SessionStore(store.client), allow_override=True)
        try:
            await store.ping()
            await create_first_admin(accounts, settings)
        except StoreUnavailable as exc:
            log.warning(
                "Redis is not reachable at %s (%s). The service runs and answers 503 until it "
                "is; start Redis or set REDIS_URL.",
                settings.redis_url,
                exc.__cause__ or exc,
            )
        # Everything made so far lives as long as the worker: keep it out of the collector's
        # work, so that its full collections scan only what requests leave behind.
        gc.freeze()
        try:
            yield
        finally:
            await store.close()

    def provide_registry() -> Registry:
        return registry_holder["registry"]

    def provide_accounts(state: State) -> Accounts:
        accounts: Accounts = state.accounts
        return accounts

    csrf_config = CSRFConfig(
        secret=settings.secret_key,
        cookie_name="csrftoken",
        header_name="x-csrftoken",
        cookie_samesite="strict",
    )
    # Pages sign in with a session cookie and carry the CSRF token in their forms.
    page_middleware: list[Middleware] = [
        language_middleware,
        session_config(idle_minutes=settings.session_idle_minutes).middleware,
        DefineMiddleware(CSRFMiddleware, config=csrf_config),
    ]
    import_limit = {IMPORT_LIMIT: settings.import_max_bytes}
    handlers: list[ControllerRouterHandler] = [
        healthz,
        readyz,
        openapi_json,
        # The JSON API takes a bearer token and no cookie, so it needs no CSRF token.
        Router(
            path="/",
            route_handlers=[
                StudentController,
                Router(
                    path="/",
                    route_handlers=[BulkController],
                    request_max_body_size=settings.import_max_bytes,
                    opt=import_limit,
                ),
                UserController,
                YearController,
                TokenController,
                me,
                AuditController,
                student_record,
            ],
            guards=[api_guard],
            # Only the API asks for a token; the health routes and the schema answer anyone.
            security=[{"token": []}],
        ),
        Router(
            path="/",
            route_handlers=[
                PageController,
                Router(
                    path="/",
                    route_handlers=[BulkPageController],
                    # A file of the limit, with the form's other fields around it.
                    request_max_body_size=settings.import_max_bytes + FORM_OVERHEAD,
                    opt=import_limit,
                ),
                AccountPageController,
                AuditPageController,
                YearPageController,
            ],
            middleware=page_middleware,
            guards=[page_guard],
        ),
        Router(path="/", route_handlers=[LoginController], middleware=page_middleware),
        create_static_files_router(
            path="/static", directories=[WEB_DIR / "static"], include_in_schema=False
        ),
    ]
    app = Litestar(
        route_handlers=handlers,
        lifespan=[lifespan],
        dependencies={
            "registry": Provide(provide_registry, sync_to_thread=False, use_cache=True),
            "accounts": Provide(provide_accounts, sync_to_thread=False, use_cache=True),
        },
        exception_handlers={
            RegistryError: _on_domain_error,
            HTTPException: _on_http_error,
            Exception: _on_unexpected_error,
        },
        template_config=TemplateConfig(instance=_template_engine(auto_reload=settings.dev_reload)),
        middleware=[forwarded_headers(settings.proxy_networks), access_log, count_requests],
        before_send=[add_security_headers],
        state=State({"session_max_seconds": settings.session_max_hours * 3600}),
        plugins=[ClosedModels()],
        openapi_config=OpenAPIConfig(
            title="Student Registry",
            version=__version__,
            description="Register a school's students: JSON API over the same data as the page.",
            path="/docs",
            components=Components(
                security_schemes={
                    "token": SecurityScheme(
                        type="http",
                        scheme="bearer",
                        description="An API token (srg_...): `student-registry tokens create`, "
                        "the Tokens page, or POST /api/v1/tokens.",
                    )
                }
            ),
            render_plugins=[
                SwaggerPage(
                    path="/",
                    js_url=f"{SWAGGER}/swagger-ui-bundle.js",
                    css_url=f"{SWAGGER}/swagger-ui.css",
                    favicon=FAVICON,
                )
            ],
        ),
        compression_config=CompressionConfig(
            backend="gzip", minimum_size=1024, exclude_opt_key=SKIP_COMPRESSION
        ),
        logging_config=None,
        debug=False,
    )
    return answer_head_and_allow(app)


def create_served_app() -> Litestar:
    """The app as the production server runs it: settings from the environment, logs set up."""
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    return create_app(settings)
