"""Choosing a page's language, translating per request, and the French catalogue."""

from __future__ import annotations

import asyncio
import re
from datetime import date
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from hypothesis import given
from hypothesis import strategies as st

from student_registry.domain import rules
from student_registry.domain.dates import MONTHS, DateProblem, read_date
from student_registry.domain.passwords import password_problem
from student_registry.web import i18n
from student_registry.web.languages import negotiate

# The catalogue's source, from the checkout: the installed package carries only the .mo.
ROOT = Path(__file__).resolve().parents[2]
FRENCH_PO = (
    ROOT
    / "src"
    / "student_registry"
    / "web"
    / "locale"
    / "fr"
    / "LC_MESSAGES"
    / f"{i18n.DOMAIN}.po"
)
NBSP, NARROW_NBSP = "\u00a0", "\u202f"


@pytest.fixture(autouse=True)
def _english_after() -> object:
    yield None
    i18n.use_language("en")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("fr", "fr"),
        ("fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7", "fr"),
        ("en-US,en;q=0.9,fr;q=0.8", "en"),
        ("FR-ca", "fr"),
        ("de-DE,de;q=0.9,fr;q=0.3,en;q=0.2", "fr"),
        ("fr;q=0.2, en;q=0.8", "en"),
        ("en;q=0, fr;q=0.1", "fr"),
        ("fr;q=0.5, en;q=0.5", "fr"),
        ("en;q=0.5, fr;q=0.5", "en"),
        ("*", "en"),
        ("de, *;q=0.5", "en"),
        ("en;q=0, *", "fr"),
        ("de, it;q=0.8", None),
        ("", None),
        ("fr;q=2, en;q=abc", None),
        ("fr;q=0", None),
        (" , ;q=1, fr ; q=0.7 ", "fr"),
    ],
)
def test_accept_language_chooses_the_most_wanted_supported_language(
    header: str, expected: str | None
) -> None:
    assert negotiate(header) == expected


@given(st.text(max_size=300))
def test_any_accept_language_header_gives_a_supported_language_or_none(header: str) -> None:
    assert negotiate(header) in (None, *i18n.LANGUAGES)


async def test_concurrent_requests_each_keep_their_own_language() -> None:
    async def render(language: str) -> list[str]:
        i18n.use_language(language)
        seen = []
        for _ in range(5):
            await asyncio.sleep(0)
            seen.append(i18n.gettext("First name"))
        return seen

    french, english = await asyncio.gather(render("fr"), render("en"))

    assert french == ["Prénom"] * 5
    assert english == ["First name"] * 5


def test_an_unknown_language_falls_back_to_english() -> None:
    i18n.use_language("xx")

    assert i18n.current_language() == "en"
    assert i18n.gettext("Course") == "Course"


@pytest.mark.parametrize(
    ("english", "french"),
    [
        ("Student ID", "Identifiant"),
        ("First name", "Prénom"),
        ("Last name", "Nom"),
        ("Date of birth", "Date de naissance"),
        ("Course", "Classe"),
        ("Email", "Courriel"),
        ("Register", "Inscrire"),
        ("Search", "Rechercher"),
        ("Import", "Importer"),
        ("Export as CSV", "Exporter en CSV"),
        ("Sign in", "Se connecter"),
        ("Registered students", "Élèves inscrits"),
        ("State", "État"),
    ],
)
def test_french_pages_use_the_words_of_a_french_school(english: str, french: str) -> None:
    i18n.use_language("fr")

    assert i18n.gettext(english) == french


def test_french_dates_are_written_day_first_and_months_named_in_french() -> None:
    i18n.use_language("fr")
    problem = read_date("31/02/2010")
    assert isinstance(problem, DateProblem)

    assert i18n.date_example() == "17/04/2009"
    assert i18n.format_date(date(2010, 2, 1)) == "01/02/2010"
    assert i18n.explain_date(problem) == (
        "le 31 février 2010 n’existe pas (février 2010 compte 28 jours)"
    )


def test_a_message_written_with_values_is_translated_with_the_same_values() -> None:
    english = rules.INVISIBLE_CHARACTER.format(character="U+202E (RIGHT-TO-LEFT OVERRIDE)")
    short = password_problem("abc", min_length=12)
    assert short is not None
    i18n.use_language("fr")

    assert i18n.translate(english).startswith("ne doit pas contenir U+202E (RIGHT-TO-LEFT")
    assert i18n.translate(short) == "au moins 12 caractères"
    assert i18n.translate("a message nobody marked") == "a message nobody marked"


def test_english_messages_are_shown_as_written() -> None:
    assert i18n.translate(rules.REQUIRED) == "is required"
    assert i18n.format_date(date(2009, 4, 17)) == "2009-04-17"


def _french_catalogue() -> list[tuple[str, str]]:
    with FRENCH_PO.open("rb") as file:
        catalog = read_po(file, locale="fr")
    pairs = []
    for message in catalog:
        if message.id and not message.fuzzy and message.string:
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            pairs += [(ids[-1], string) for string in strings]
    return pairs


def test_every_french_message_is_translated_and_compiled() -> None:
    with FRENCH_PO.open("rb") as file:
        catalog = read_po(file, locale="fr")
    messages = [m for m in catalog if m.id]
    compiled = i18n.catalog("fr")

    assert len(messages) > 200
    assert [m.id for m in messages if m.fuzzy or not m.string] == []
    singular = [m for m in messages if isinstance(m.id, str)]
    assert [m.id for m in singular if compiled.gettext(m.id) != m.string] == []
    assert compiled.ngettext("%(num)d student", "%(num)d students", 0) == "%(num)d élève"
    assert compiled.ngettext("%(num)d student", "%(num)d students", 2) == "%(num)d élèves"


@pytest.mark.parametrize(("english", "french"), _french_catalogue())
def test_french_messages_follow_french_typography(english: str, french: str) -> None:
    code = re.sub(r"Authorization: Bearer|%\w|https?:", "", french)
    assert not re.search(r" [:;?!»]|« ", french), "a breaking space before : ; ? ! or »"
    assert not re.search(r"\w[;?!]", code), "no space before ; ? !"
    assert not re.search(r"\w:\s", code), "no space before :"
    assert "'" not in french.replace("'_'", "").replace("'-'", ""), "the apostrophe is ’"
    assert '"' not in french, "quotes are « guillemets »"
    assert not re.search(r"\b(Eleve|Etat|Ecole|Echec|Electronique)", french), "É, not E"
    assert sorted(re.findall(r"\{\w*\}", english)) == sorted(re.findall(r"\{\w*\}", french))


def test_every_label_and_domain_message_a_page_shows_has_its_french() -> None:
    shown = [
        *i18n.FIELD_LABELS.values(),
        *i18n.ERROR_LABELS.values(),
        *rules.MESSAGES.values(),
        rules.REQUIRED,
        rules.UNKNOWN,
        rules.RESERVED_ID,
        rules.FUTURE_BIRTH_DATE,
        rules.EARLY_BIRTH_DATE,
        rules.NOTHING_VISIBLE,
        *MONTHS,
    ]
    french = i18n.catalog("fr")

    assert [message for message in shown if french.gettext(message) == message] == []
