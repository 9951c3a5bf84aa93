"""Settings come from the environment, and a bad value is refused with its variable's name."""

from __future__ import annotations

import pytest

from student_registry.settings import Settings, SettingsError, readable_size


def test_defaults_apply_when_the_environment_is_empty() -> None:
    settings = Settings.from_env({})
    assert settings.redis_url == "redis://localhost:6379/0"
    assert settings.port == 5000
    assert settings.log_level == "INFO"
    assert settings.workers >= 1
    assert settings.import_max_bytes == 50_000_000


def test_every_variable_is_read() -> None:
    settings = Settings.from_env(
        {
            "REDIS_URL": "redis://cache:6380/2",
            "HOST": "0.0.0.0",
            "PORT": "8080",
            "LOG_LEVEL": "debug",
            "WEB_CONCURRENCY": "3",
            "SECRET_KEY": "s" * 32,
            "REDIS_TIMEOUT": "0.5",
            "DEV_RELOAD": "true",
            "IMPORT_MAX_BYTES": "1000000",
        }
    )
    assert settings == Settings(
        redis_url="redis://cache:6380/2",
        host="0.0.0.0",
        port=8080,
        log_level="DEBUG",
        workers=3,
        secret_key="s" * 32,
        redis_timeout=0.5,
        dev_reload=True,
        import_max_bytes=1_000_000,
    )


def test_empty_variables_count_as_unset() -> None:
    assert Settings.from_env({"PORT": "", "REDIS_URL": ""}) == Settings.from_env({})


def test_overrides_win_over_the_environment_and_none_is_ignored() -> None:
    settings = Settings.from_env({"PORT": "8080", "HOST": "::"}, port=9000, host=None)
    assert (settings.port, settings.host) == (9000, "::")


@pytest.mark.parametrize("url", ["rediss://h:6379/0", "unix:///run/redis.sock"])
def test_tls_and_socket_urls_are_accepted(url: str) -> None:
    assert Settings.from_env({"REDIS_URL": url}).redis_url == url


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PORT", "http"),
        ("PORT", "0"),
        ("PORT", "65536"),
        ("PORT", "-1"),
        ("REDIS_URL", "localhost:6379"),
        ("REDIS_URL", "http://localhost:6379"),
        ("LOG_LEVEL", "verbose"),
        ("WEB_CONCURRENCY", "0"),
        ("WEB_CONCURRENCY", "many"),
        ("REDIS_TIMEOUT", "0"),
        ("SECRET_KEY", "short"),
        ("DEV_RELOAD", "sometimes"),
        ("IMPORT_MAX_BYTES", "0"),
        ("IMPORT_MAX_BYTES", "50MB"),
    ],
)
def test_bad_value_is_refused_naming_the_variable_and_what_it_must_be(
    variable: str, value: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({variable: value})
    message = str(caught.value)
    assert message.startswith(variable)
    assert " is invalid: it must be " in message
    assert "$." not in message


def test_bad_value_is_quoted_back() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"PORT": "http"})
    assert str(caught.value) == "PORT='http' is invalid: it must be a whole number from 1 to 65535."


def test_bad_secret_is_never_quoted_back() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"SECRET_KEY": "hunter2"})
    assert "hunter2" not in str(caught.value)


def test_bad_override_is_refused_naming_its_variable() -> None:
    with pytest.raises(SettingsError, match=r"^PORT=70000 is invalid"):
        Settings.from_env({}, port=70000)


def test_a_random_secret_is_made_only_when_none_is_set() -> None:
    generated = Settings.from_env({}).with_secret()
    assert len(generated.secret_key) >= 32
    assert Settings.from_env({}).with_secret().secret_key != generated.secret_key
    given = Settings.from_env({"SECRET_KEY": "k" * 20})
    assert given.with_secret() is given


def test_reloading_is_off_unless_asked_for() -> None:
    assert Settings.from_env({}).dev_reload is False
    assert Settings.from_env({"DEV_RELOAD": "0"}).dev_reload is False
    assert Settings.from_env({"DEV_RELOAD": "1"}).dev_reload is True


@pytest.mark.parametrize(
    ("size", "said"),
    [(50_000_000, "50 MB"), (1_500_000, "1.5 MB"), (100_000, "100,000 bytes")],
)
def test_sizes_read_as_a_person_says_them(size: int, said: str) -> None:
    assert readable_size(size) == said


def test_metrics_port_defaults_to_9000_and_zero_turns_it_off() -> None:
    assert Settings.from_env({}).metrics_port == 9000
    assert Settings.from_env({"METRICS_PORT": "0"}).metrics_port == 0
    with pytest.raises(SettingsError, match="METRICS_PORT='70000' is invalid"):
        Settings.from_env({"METRICS_PORT": "70000"})


def test_sentinels_and_write_confirmation_are_read() -> None:
    settings = Settings.from_env(
        {
            "REDIS_SENTINELS": "sentinel-1:26379,sentinel-2:26380",
            "REDIS_SENTINEL_MASTER": "registry",
            "REDIS_MIN_REPLICAS": "1",
            "REDIS_REPLICA_TIMEOUT": "0.5",
            "REDIS_FAILOVER_TIMEOUT": "30",
        }
    )
    assert settings.sentinel_addresses == (("sentinel-1", 26379), ("sentinel-2", 26380))
    assert (settings.redis_min_replicas, settings.redis_replica_timeout) == (1, 0.5)
    assert settings.redis_failover_timeout == 30.0
    assert Settings.from_env({}).sentinel_addresses == ()


@pytest.mark.parametrize("sentinels", ["sentinel-1", "sentinel-1:x", "a:1,,b:2", "a:1, b:2"])
def test_sentinels_without_a_port_each_are_refused_by_name(sentinels: str) -> None:
    with pytest.raises(SettingsError, match="REDIS_SENTINELS"):
        Settings.from_env({"REDIS_SENTINELS": sentinels})
