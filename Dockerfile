# Student Registry.
#   docker build -t student-registry .            the production image (last stage)
#   docker build --target test -t sr-tests .      the test image: runs the whole suite
#   docker build --target dev -t sr-dev .         the development image of compose.dev.yaml

ARG PYTHON_IMAGE=python:3.13-slim-trixie

# uv installs exactly what uv.lock says into /opt/venv, compiled to bytecode.
FROM ${PYTHON_IMAGE} AS uv
ENV UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON=python3 \
    UV_PYTHON_DOWNLOADS=never \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install uv==0.13.9
WORKDIR /src


# Dependencies first, in their own layer: a change to the code alone reuses it.
# Left out: what Litestar requires for features the service does not use. faker and
# polyfactory make OpenAPI examples (not generated here), rich-click is Litestar's own command
# line, httpx and its stack serve litestar.testing. The container checks run the service and
# every command in this image, so an import of any of them fails CI.
# Debug information is stripped from compiled extensions (uvloop's alone is 14 MB of it);
# UV_LINK_MODE=copy keeps the uv cache's copies intact.
FROM uv AS builder
ARG NOT_SHIPPED="faker polyfactory rich-click httpx httpcore h11 certifi"
RUN apt-get update \
    && apt-get install -y --no-install-recommends binutils \
    && rm -rf /var/lib/apt/lists/*
# The unquoted $(...) is split on purpose: one --no-install-package per name.
# hadolint ignore=SC2046
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=uv.lock,target=uv.lock \
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \
    uv sync --frozen --no-dev --no-install-project \
        $(printf -- '--no-install-package %s ' $NOT_SHIPPED) \
    && find /opt/venv -name '*.so' -exec strip --strip-debug {} +
COPY pyproject.toml uv.lock README.md ./
COPY src ./src
# hadolint ignore=SC2046
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable $(printf -- '--no-install-package %s ' $NOT_SHIPPED)


# The suite as CI runs it: its own redis-server, headless Chromium, the dev tools.
FROM uv AS test
RUN apt-get update \
    && apt-get install -y --no-install-recommends redis-server chromium fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --uid 10001 --user-group --create-home --shell /usr/sbin/nologin app \
    && chown app:app /src
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=uv.lock,target=uv.lock \
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \
    uv sync --frozen --no-install-project
COPY pyproject.toml uv.lock README.md ./
COPY src ./src
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-editable
COPY --chown=app:app tests ./tests
# The integration tests check the ACL that Compose gives Redis, made by this script.
COPY --chown=app:app deploy/redis ./deploy/redis
ENV PATH="/opt/venv/bin:$PATH" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
USER 10001:10001
CMD ["pytest"]


# Development only, for `docker compose -f compose.yaml -f compose.dev.yaml watch`: the code
# installed editable from /app/src, where watch copies each edit, and the reloader (the `reload`
# dependency group) restarting the workers on a code change. Never what `docker compose up` runs.
FROM uv AS dev
RUN useradd --uid 10001 --user-group --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin app
WORKDIR /app
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=uv.lock,target=uv.lock \
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \
    uv sync --frozen --no-dev --group reload --no-install-project
COPY pyproject.toml uv.lock README.md ./
COPY --chown=app:app src ./src
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --group reload
ENV PATH="/opt/venv/bin:$PATH" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
# The user alone, its group from /etc/passwd: the engine gives copied files to the container's
# user by looking it up there, and finds no entry named "10001:10001".
USER 10001
EXPOSE 5000
CMD ["student-registry", "serve", "--host", "0.0.0.0", "--port", "5000", "--reload"]


# The production image: the virtualenv alone on a fresh base, run by an unprivileged user.
FROM ${PYTHON_IMAGE} AS runtime
ARG VERSION=1.0.0
LABEL org.opencontainers.image.title="Student Registry" \
      org.opencontainers.image.description="Register a school's students in Redis: a web page, a JSON API and a command line." \
      org.opencontainers.image.source="https://github.com/student-registry/student-registry" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="MIT"
RUN useradd --uid 10001 --user-group --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin app
COPY --from=builder /opt/venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
USER 10001:10001
WORKDIR /app
# 5000: the service; 9000: its Prometheus metrics (METRICS_PORT).
EXPOSE 5000 9000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:5000/healthz', timeout=2)"]
CMD ["student-registry", "serve", "--host", "0.0.0.0", "--port", "5000"]
