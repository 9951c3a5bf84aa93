"""Templates escape whatever data they show, translated messages included."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import Environment, nodes

from student_registry.app import create_app
from student_registry.settings import Settings

TEMPLATES = Path(__file__).parents[2] / "src/student_registry/web/templates"
SCRIPT = "<script>alert(1)</script>"
LABELS = {"id": "Student ID"}
MACROS = '{% from "_macros.html" import field, error_summary %}'
# How many leading arguments of each gettext function are messages.
MESSAGE_ARGUMENTS = {"_": 1, "gettext": 1, "ngettext": 2}


@pytest.fixture(scope="module")
def environment() -> Environment:
    """The Jinja environment the app renders its pages with."""
    engine = create_app(Settings(secret_key="test-secret-key-0123456789")).template_engine
    return engine.engine  # type: ignore[union-attr]


def test_a_field_error_carrying_markup_is_escaped(environment: Environment) -> None:
    html = environment.from_string(MACROS + '{{ field("id", labels, {}, errors) }}').render(
        labels=LABELS, errors={"id": f"is not {SCRIPT}"}
    )
    assert SCRIPT not in html
    assert "is not &lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_error_summary_escapes_messages_and_unknown_field_names(
    environment: Environment,
) -> None:
    html = environment.from_string(MACROS + "{{ error_summary(errors, labels) }}").render(
        labels=LABELS, errors={"id": SCRIPT, SCRIPT: "is not a field of a student", "$": SCRIPT}
    )
    assert "<script>" not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 4


def test_a_message_with_a_percent_sign_is_shown_as_written(environment: Environment) -> None:
    html = environment.from_string(MACROS + '{{ field("id", labels, {}, errors) }}').render(
        labels=LABELS, errors={"id": "must be 100% right"}
    )
    assert "Student ID must be 100% right" in html


def test_values_formatted_into_a_translated_message_are_escaped(environment: Environment) -> None:
    html = environment.from_string('{{ _("Imported {name}").format(name=filename) }}').render(
        filename=SCRIPT
    )
    assert html == "Imported &lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES.glob("*.html")))
def test_templates_translate_only_literal_text(environment: Environment, template: str) -> None:
    # _() marks its message safe: data in it would reach the page unescaped.
    source = (TEMPLATES / template).read_text(encoding="utf-8")
    calls = [
        (call.lineno, call.args[: MESSAGE_ARGUMENTS[call.node.name]])
        for call in environment.parse(source).find_all(nodes.Call)
        if isinstance(call.node, nodes.Name) and call.node.name in MESSAGE_ARGUMENTS
    ]
    assert calls
    not_literal = [line for line, messages in calls if not all(_is_text(m) for m in messages)]
    assert not_literal == []


def _is_text(node: nodes.Node) -> bool:
    return isinstance(node, nodes.Const) and isinstance(node.value, str)
