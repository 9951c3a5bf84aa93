"""Pages in French or English: the switch, its cookie, the browser's wish; the API in English."""

from __future__ import annotations

import re

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.accounts import Credentials
from tests.builders import API, student_body

Client = AsyncTestClient[Litestar]
NBSP = "\u00a0"


async def _csrf(client: Client, path: str = "/") -> str:
    page = await client.get(path)
    found = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


def _html_lang(text: str) -> str:
    found = re.search(r'<html lang="([a-z]+)">', text)
    assert found
    return found.group(1)


async def test_a_page_is_in_english_without_a_wish_or_a_choice(client: Client) -> None:
    page = await client.get("/")

    assert _html_lang(page.text) == "en"
    assert "Register a student" in page.text
    assert "Accept-Language" in page.headers.get_list("vary")[-1]


@pytest.mark.parametrize(
    ("accept_language", "expected"),
    [
        ("fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7", "fr"),
        ("fr-CA", "fr"),
        ("de-DE,de;q=0.9,fr;q=0.5,en;q=0.4", "fr"),
        ("en-GB,fr;q=0.8", "en"),
        ("de, it", "en"),
    ],
)
async def test_the_browsers_accept_language_chooses_the_page_language(
    client: Client, accept_language: str, expected: str
) -> None:
    page = await client.get("/", headers={"Accept-Language": accept_language})

    assert _html_lang(page.text) == expected
    assert ("Inscrire un élève" in page.text) is (expected == "fr")


async def test_the_switch_sets_a_cookie_that_holds_for_the_next_pages(client: Client) -> None:
    switched = await client.get("/", params={"lang": "fr"})

    assert _html_lang(switched.text) == "fr"
    assert "lang=fr" in switched.headers["set-cookie"]
    assert client.cookies.get("lang") == "fr"
    later = await client.get("/import", headers={"Accept-Language": "en"})
    assert _html_lang(later.text) == "fr"
    assert "Importer des élèves" in later.text
    assert "set-cookie" not in later.headers or "lang=" not in later.headers["set-cookie"]

    back = await client.get("/", params={"lang": "en"})
    assert _html_lang(back.text) == "en"
    assert client.cookies.get("lang") == "en"


async def test_an_unknown_language_in_the_switch_is_ignored(client: Client) -> None:
    page = await client.get("/", params={"lang": "xx"}, headers={"Accept-Language": "fr"})

    assert _html_lang(page.text) == "fr"
    assert "lang=" not in page.headers.get("set-cookie", "")


async def test_the_switch_links_keep_the_page_and_its_query(client: Client) -> None:
    page = await client.get("/", params={"q": "dur", "course": "3eB"})

    assert 'href="/?q=dur&amp;course=3eB&amp;lang=fr" lang="fr" hreflang="fr">Français<' in (
        page.text
    )


async def test_french_pages_show_dates_day_first_and_month_names_in_french(client: Client) -> None:
    await client.post(API, json=student_body(id="s1", birth_date="2009-04-17"))

    listing = await client.get("/", params={"lang": "fr"})
    student = await client.get("/students/s1")

    assert '<td data-label="Date de naissance">17/04/2009</td>' in listing.text
    assert 'value="17/04/2009"' in student.text
    assert "Date de naissance" in student.text
    csrf = await _csrf(client, "/students/s1")
    body = {**student_body(birth_date="31/02/2010"), "_csrf_token": csrf}
    answer = await client.post("/students/s1", data={**body, "revision": "1"})
    assert answer.status_code == 422
    assert f"Date de naissance{NBSP}: le 31 février 2010 n’existe pas" in answer.text
    assert "(février 2010 compte 28 jours)" in answer.text


async def test_a_french_page_registers_a_date_typed_day_first_and_explains_errors_in_french(
    client: Client,
) -> None:
    client.cookies.set("lang", "fr", domain="testserver.local")
    csrf = await _csrf(client)
    typed = {**student_body(id="s2", birth_date="17/04/2009"), "_csrf_token": csrf}

    registered = await client.post("/", data=typed)
    refused = await client.post("/", data={**typed, "id": "s3", "first_name": "", "email": "x"})

    assert "Inscription de" in registered.text
    assert (await client.get(f"{API}/s2")).json()["birth_date"] == "2009-04-17"
    assert refused.status_code == 422
    assert f"Prénom{NBSP}: obligatoire" in refused.text
    assert f"Courriel{NBSP}: une adresse électronique valide" in refused.text
    assert f"Veuillez corriger les points suivants{NBSP}:" in refused.text


async def test_english_pages_take_both_date_forms_and_show_year_first(client: Client) -> None:
    csrf = await _csrf(client)
    for at, typed in enumerate(("17/04/2009", "2009-04-17")):
        body = {
            **student_body(id=f"e{at}", first_name=f"Zoé{at}", birth_date=typed),
            "_csrf_token": csrf,
        }
        assert (await client.post("/", data=body)).status_code == 200

    student = await client.get("/students/e0")
    assert 'value="2009-04-17"' in student.text


async def test_the_api_answers_in_english_whatever_the_language_asked(client: Client) -> None:
    client.cookies.set("lang", "fr", domain="testserver.local")
    french = {"Accept-Language": "fr-FR,fr;q=0.9"}

    missing = await client.get(f"{API}/nobody", headers=french, params={"lang": "fr"})
    invalid = await client.post(API, json={"first_name": ""}, headers=french)

    assert missing.status_code == 404
    assert missing.json()["title"] == "Student not found"
    assert missing.json()["detail"] == "No student has the id 'nobody'."
    assert invalid.json()["title"] == "Invalid request"
    assert invalid.json()["detail"] == "Some fields are invalid; see errors."
    assert (
        invalid.json()["errors"][0]["message"]
        == "must be 1 to 100 characters, with no control characters"
    )
    assert "lang=" not in missing.headers.get("set-cookie", "")


async def test_error_pages_follow_the_page_language(client: Client) -> None:
    missing = await client.get("/nowhere", headers={"Accept-Language": "fr"})
    no_student = await client.get("/students/nobody", params={"lang": "fr"})

    assert missing.status_code == 404
    assert "Page introuvable" in missing.text
    assert _html_lang(missing.text) == "fr"
    assert "Aucun élève n’a l’identifiant nobody." in no_student.text


async def test_a_refused_sign_in_is_explained_in_french(
    anonymous_client: Client, admin: Credentials
) -> None:
    anonymous_client.cookies.set("lang", "fr", domain="testserver.local")
    csrf = await _csrf(anonymous_client, "/login")

    answer = await anonymous_client.post(
        "/login", data={"email": "no@example.org", "password": "wrong", "_csrf_token": csrf}
    )

    assert answer.status_code == 400
    assert "Courriel ou mot de passe incorrect" in answer.text
    assert "Se connecter" in answer.text
