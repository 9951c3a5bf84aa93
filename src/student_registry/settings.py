"""The one settings object, read from the environment and validated at startup."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, Struct

from student_registry.capacity import MAX_WORKERS, default_workers
from student_registry.school_years import DEFAULT_START, START_PATTERN, YearStart

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]

ENVIRONMENT = {
    "redis_url": "REDIS_URL",
    "host": "HOST",
    "port": "PORT",
    "log_level": "LOG_LEVEL",
    "workers": "WEB_CONCURRENCY",
    "secret_key": "SECRET_KEY",
    "redis_timeout": "REDIS_TIMEOUT",
    "dev_reload": "DEV_RELOAD",
    "password_min_length": "PASSWORD_MIN_LENGTH",
    "session_idle_minutes": "SESSION_IDLE_MINUTES",
    "session_max_hours": "SESSION_MAX_HOURS",
    "trusted_proxies": "TRUSTED_PROXIES",
    "admin_email": "ADMIN_EMAIL",
    "admin_password_file": "ADMIN_PASSWORD_FILE",
    "import_max_bytes": "IMPORT_MAX_BYTES",
    "metrics_port": "METRICS_PORT",
    "redis_password_file": "REDIS_PASSWORD_FILE",
    "redis_sentinels": "REDIS_SENTINELS",
    "redis_sentinel_master": "REDIS_SENTINEL_MASTER",
    "redis_min_replicas": "REDIS_MIN_REPLICAS",
    "redis_replica_timeout": "REDIS_REPLICA_TIMEOUT",
    "redis_failover_timeout": "REDIS_FAILOVER_TIMEOUT",
    "audit_retention_days": "AUDIT_RETENTION_DAYS",
    "school_year_start": "SCHOOL_YEAR_START",
}
EXPECTED = {
    "redis_url": "a URL starting redis://, rediss:// or unix://, like redis://localhost:6379/0",
    "host": "an address to listen on, like 0.0.0.0",
    "port": "a whole number from 1 to 65535",
    "log_level": "one of DEBUG, INFO, WARNING, ERROR, CRITICAL",
    "workers": "a whole number from 1 to 64",
    "secret_key": "at least 16 characters",
    "redis_timeout": "a number of seconds above 0, at most 60",
    "dev_reload": "true or false (1 or 0)",
    "password_min_length": "a whole number from 8 to 64",
    "session_idle_minutes": "a whole number of minutes from 1 to 1440",
    "session_max_hours": "a whole number of hours from 1 to 720",
    "trusted_proxies": "addresses or networks separated by commas, like 10.0.0.0/8,::1",
    "admin_email": "an email address",
    "admin_password_file": "the path of a file holding the password",
    "import_max_bytes": "a whole number of bytes, at least 1, like 50000000 for 50 MB",
    "metrics_port": "a whole number from 0 (no metrics) to 65535",
    "redis_password_file": "a readable file holding the Redis password",
    "redis_sentinels": "host:port pairs separated by commas, like s1:26379,s2:26379",
    "redis_sentinel_master": "the name the Sentinels give the primary, like registry",
    "redis_min_replicas": "a whole number of replicas from 0 to 16",
    "redis_replica_timeout": "a number of seconds above 0, at most 60",
    "redis_failover_timeout": "a number of seconds from 0 to 300",
    "audit_retention_days": "a whole number of days from 1 to 3650",
    "school_year_start": "the day every school year starts, MM-DD, like 09-01",
}


class SettingsError(ValueError):
    """A setting has a value the service cannot use; the message says which and why."""


class Settings(Struct, kw_only=True, frozen=True):
    """How the service runs. Every field can be set by the environment variable beside it."""

    redis_url: Annotated[str, Meta(pattern=r"^(redis|rediss|unix)://")] = "redis://localhost:6379/0"
    host: str = "127.0.0.1"
    port: Annotated[int, Meta(ge=1, le=65535)] = 5000
    log_level: LogLevel = "INFO"
    # Unset, as many workers as the CPUs and the memory limit of the machine or container allow.
    workers: Annotated[int, Meta(ge=1, le=MAX_WORKERS)] = msgspec.field(
        default_factory=default_workers
    )
    # Signs the anti-forgery cookie. Without one, `serve` makes a random key for its workers:
    # forms then stop working across restarts, so deployments set it.
    secret_key: Annotated[str, Meta(min_length=16)] = ""
    redis_timeout: Annotated[float, Meta(gt=0, le=60)] = 5.0
    # For development only: restart the workers when the code changes and read each template
    # again when it changed. Production serves what it loaded at startup.
    dev_reload: bool = False
    # NIST SP 800-63B: 15 for a password that is the only factor; never below 8.
    password_min_length: Annotated[int, Meta(ge=8, le=64)] = 15
    session_idle_minutes: Annotated[int, Meta(ge=1, le=1440)] = 30
    session_max_hours: Annotated[int, Meta(ge=1, le=720)] = 8
    # Proxies whose X-Forwarded-Proto and X-Forwarded-For are believed; nobody's by default.
    trusted_proxies: Annotated[str, Meta(pattern=r"^[0-9A-Fa-f.:/, ]*$")] = ""
    # The first administrator, created at startup while no user exists (unattended installs).
    admin_email: Annotated[str, Meta(pattern=r"^$|^[^@\s]+@[^@\s]+$")] = ""
    admin_password_file: str = ""
    # The largest file an import through the API or the page takes; the CLI reads any size.
    import_max_bytes: Annotated[int, Meta(ge=1)] = 50_000_000
    # Where `serve` answers /metrics (Prometheus), beside the service's port; 0 turns it off.
    metrics_port: Annotated[int, Meta(ge=0, le=65535)] = 9000
    # The Redis password, read from a file (a mounted secret) rather than put in REDIS_URL,
    # where it would show in the environment. A password in REDIS_URL wins.
    redis_password_file: str = ""
    # Set, the primary is found through these Sentinels under this name; REDIS_URL then gives
    # only the database (and later credentials), not the address.
    redis_sentinels: Annotated[str, Meta(pattern=r"^$|^[^,:\s]+:\d+(,[^,:\s]+:\d+)*$")] = ""
    redis_sentinel_master: str = "registry"
    # A write is answered only once this many replicas confirmed it (WAIT), within the timeout
    # (at most half of REDIS_TIMEOUT, so that the answer comes before the client gives up).
    redis_min_replicas: Annotated[int, Meta(ge=0, le=16)] = 0
    redis_replica_timeout: Annotated[float, Meta(gt=0, le=60)] = 1.0
    # How long a write is tried again while Sentinel promotes a replica; with Sentinels only.
    redis_failover_timeout: Annotated[float, Meta(ge=0, le=300)] = 20.0
    # How long the audit trail keeps an entry (CNIL asks 6 to 12 months for access traces).
    audit_retention_days: Annotated[int, Meta(ge=1, le=3650)] = 365
    # The day every school year starts (its name spans two calendar years: 2026-2027).
    school_year_start: Annotated[str, Meta(pattern=START_PATTERN)] = DEFAULT_START

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read the settings from the environment; SettingsError names any bad value."""
        environ = os.environ if environ is None else environ
        raw: dict[str, object] = {
            field: environ[var] for field, var in ENVIRONMENT.items() if environ.get(var)
        }
        raw["log_level"] = str(raw.get("log_level", "INFO")).upper()
        raw.update({k: v for k, v in overrides.items() if v is not None})
        try:
            settings = msgspec.convert(raw, cls, strict=False)
        except msgspec.ValidationError as exc:
            raise SettingsError(_explain(exc, raw)) from None
        try:
            settings.proxy_networks  # noqa: B018  (validated here, once, at startup)
        except ValueError:
            raise SettingsError(
                f"TRUSTED_PROXIES={settings.trusted_proxies!r} is invalid: it must be "
                f"{EXPECTED['trusted_proxies']}."
            ) from None
        settings.redis_password()  # a missing or unreadable file stops startup here
        try:
            settings.year_start  # noqa: B018  (validated here, once, at startup)
        except ValueError as exc:
            raise SettingsError(f"SCHOOL_YEAR_START: {exc}.") from None
        return settings

    @property
    def year_start(self) -> YearStart:
        """The day every school year starts."""
        return YearStart.parse(self.school_year_start)

    @property
    def proxy_networks(self) -> tuple[IPv4Network | IPv6Network, ...]:
        """The trusted proxies as networks (a single address is a network of one)."""
        return tuple(
            ip_network(part.strip(), strict=False)
            for part in self.trusted_proxies.split(",")
            if part.strip()
        )

    def redis_password(self) -> str | None:
        """The password in REDIS_PASSWORD_FILE (its first line), or None when unset."""
        if not self.redis_password_file:
            return None
        try:
            with Path(self.redis_password_file).open(encoding="utf-8") as file:
                return file.readline().rstrip("\r\n")
        except OSError as exc:
            raise SettingsError(
                f"REDIS_PASSWORD_FILE={self.redis_password_file!r} cannot be read: "
                f"{exc.strerror or exc}."
            ) from None

    @property
    def sentinel_addresses(self) -> tuple[tuple[str, int], ...]:
        """REDIS_SENTINELS as (host, port) pairs; none without Sentinels."""
        pairs = (part.strip().rsplit(":", 1) for part in self.redis_sentinels.split(",") if part)
        return tuple((host, int(port)) for host, port in pairs)

    def with_secret(self) -> Settings:
        """These settings with a secret key, a random one when none is set."""
        if self.secret_key:
            return self
        return msgspec.structs.replace(self, secret_key=secrets.token_urlsafe(32))


def readable_size(size: int) -> str:
    """A number of bytes as a person reads it: 50 MB, 1.5 MB, 2,048 bytes."""
    if size >= 1_000_000:
        return f"{size / 1_000_000:,.1f}".removesuffix(".0") + " MB"
    return f"{size:,} bytes"


def _explain(exc: msgspec.ValidationError, raw: Mapping[str, object]) -> str:
    message = str(exc)
    for field, var in ENVIRONMENT.items():
        if message.endswith(f"`$.{field}`"):
            # The secret's value is never echoed back.
            given = "" if field == "secret_key" else f"={raw[field]!r}"
            return f"{var}{given} is invalid: it must be {EXPECTED[field]}."
    return message
