"""Development reloading: off in production, and when on, templates re-read without a restart."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar

import granian
import pytest
from litestar.plugins.jinja import JinjaTemplateEngine
from typer.testing import CliRunner

import student_registry
from student_registry.app import create_app
from student_registry.cli import app as cli
from student_registry.settings import Settings

PACKAGE = Path(student_registry.__file__).parent


def template_auto_reload(settings: Settings) -> bool:
    engine = create_app(settings).template_engine
    assert isinstance(engine, JinjaTemplateEngine)
    return bool(engine.engine.auto_reload)


def test_templates_are_read_once_in_production() -> None:
    assert template_auto_reload(Settings()) is False


def test_templates_are_read_again_when_changed_while_developing() -> None:
    assert template_auto_reload(Settings(dev_reload=True)) is True


class GranianRecorder:
    """Stands in for granian's server: keeps the options `serve` gives it, serves nothing."""

    options: ClassVar[dict[str, Any]] = {}

    def __init__(self, **options: Any) -> None:
        GranianRecorder.options = options

    def serve(self) -> None:
        """Return at once."""


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> type[GranianRecorder]:
    """`serve` runs against the recorder; the variables it exports are restored afterwards."""
    monkeypatch.setattr(granian, "Granian", GranianRecorder)
    monkeypatch.setenv("SECRET_KEY", "unit-tier-secret-0123456789")
    # Empty counts as unset; unlike delenv of an unset variable, the value `serve` sets is undone.
    monkeypatch.setenv("DEV_RELOAD", "")
    # No metrics server in the test process: it would outlive the test, holding its port.
    monkeypatch.setenv("METRICS_PORT", "0")
    GranianRecorder.options = {}
    return GranianRecorder


def test_serve_watches_no_file_by_default(recorded: type[GranianRecorder]) -> None:
    result = CliRunner().invoke(cli, ["serve"])
    assert result.exit_code == 0, result.output
    assert recorded.options["target"] == "student_registry.app:create_served_app"
    assert not recorded.options.get("reload")


def test_serve_reload_restarts_on_code_but_not_on_templates_or_static_files(
    recorded: type[GranianRecorder],
) -> None:
    result = CliRunner().invoke(cli, ["serve", "--reload"])
    assert result.exit_code == 0, result.output
    options = recorded.options
    assert options["reload"] is True
    assert options["reload_paths"] == [PACKAGE]
    assert set(options["reload_ignore_paths"]) == {
        PACKAGE / "web" / "templates",
        PACKAGE / "web" / "static",
    }
    # The workers build the app from the environment: they must re-read templates too.
    assert Settings.from_env(os.environ).dev_reload is True


def test_dev_reload_variable_turns_reloading_on(
    recorded: type[GranianRecorder], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEV_RELOAD", "true")
    result = CliRunner().invoke(cli, ["serve"])
    assert result.exit_code == 0, result.output
    assert recorded.options["reload"] is True


def test_serve_help_names_the_reload_variable() -> None:
    result = CliRunner().invoke(cli, ["serve", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "[env: DEV_RELOAD]" in result.stdout
