"""The page's forms carry sex, INE, birthplace and up to four guardians, errors by the field."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.builders import API, student_body

Client = AsyncTestClient[Litestar]

FORM = {
    "first_name": "Léa",
    "last_name": "Martin",
    "birth_date": "17/04/2009",
    "course": "3eB",
    "sex": "F",
    "ine": "1234567890a",
    "birthplace": "Lyon",
}


async def csrf(client: Client, path: str = "/") -> str:
    page = await client.get(path)
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    return token.group(1)


def guardian(row: int, **values: str) -> dict[str, str]:
    return {f"guardian-{row}-{name}": value for name, value in values.items()}


async def test_the_registration_form_shows_two_empty_guardian_rows_with_labels(
    client: Client,
) -> None:
    page = (await client.get("/")).text
    for name in ("sex", "ine", "birthplace", "guardian-0-name", "guardian-1-phone"):
        assert f'<label for="{name}">' in page or f'for="{name}"' in page, name
        assert f'id="{name}"' in page
    assert 'id="guardian-2-name"' not in page
    assert "Add a guardian" in page


async def test_registering_with_two_guardians_keeps_them_and_skips_empty_rows(
    client: Client,
) -> None:
    form = {
        "_csrf_token": await csrf(client),
        "id": "lea",
        **FORM,
        **guardian(
            0,
            name="Anne Martin",
            relationship="mother",
            phone="06 12 34 56 78",
            parental_authority="true",
        ),
        # An empty row between two filled ones is left out.
        **guardian(1, name="", relationship="", phone="", email=""),
        **guardian(2, name="Luc Martin", relationship="father", email="luc@example.org"),
    }
    response = await client.post("/", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text
    student = (await client.get(f"{API}/lea")).json()
    assert (student["sex"], student["ine"], student["birthplace"]) == ("F", "1234567890A", "Lyon")
    assert [(g["name"], g["parental_authority"]) for g in student["guardians"]] == [
        ("Anne Martin", True),
        ("Luc Martin", False),
    ]
    page = (await client.get("/students/lea")).text
    # Two filled rows and two empty ones, up to four; the phone as a French reader writes it.
    assert 'value="06 12 34 56 78"' in page
    assert 'id="guardian-3-name"' in page
    assert 'value="Luc Martin"' in page


async def test_a_bad_guardian_phone_is_shown_next_to_its_input(client: Client) -> None:
    form = {
        "_csrf_token": await csrf(client),
        **FORM,
        **guardian(0, name="Anne", relationship="mother", phone="12 34"),
    }
    response = await client.post("/", data=form)
    assert response.status_code == 422
    assert 'id="guardian-0-phone-error"' in response.text
    assert 'href="#guardian-0-phone"' in response.text
    assert 'aria-describedby="guardian-0-phone-error"' in response.text
    # What was typed is kept.
    assert 'value="12 34"' in response.text


async def test_a_taken_ine_is_named_on_the_form(client: Client) -> None:
    await client.post(API, json=student_body(id="s1", ine="1234567890A"))
    form = {"_csrf_token": await csrf(client), **FORM, "first_name": "Zoé"}
    response = await client.post("/", data=form)
    assert response.status_code == 409
    assert 'id="ine-error"' in response.text


async def test_the_edit_form_changes_and_removes_the_new_fields(client: Client) -> None:
    body = student_body(
        id="s1",
        sex="M",
        ine="1234567890A",
        guardians=[{"name": "Anne", "relationship": "mother", "parental_authority": True}],
    )
    await client.post(API, json=body)
    page = await client.get("/students/s1")
    revision = re.search(r'name="revision" value="([^"]+)"', page.text)
    assert revision is not None
    form = {
        "_csrf_token": await csrf(client, "/students/s1"),
        "revision": revision.group(1),
        "first_name": "Éloïse",
        "last_name": "Durand",
        "birth_date": "2009-04-17",
        "course": "3eB",
        "sex": "",
        "ine": "",
        "birthplace": "Nantes",
        **guardian(0, name="Anne", relationship="mother", parental_authority=""),
        **guardian(1, name="Paul", relationship="other", phone="+44 20 7946 0958"),
    }
    response = await client.post("/students/s1", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text
    student = (await client.get(f"{API}/s1")).json()
    assert (student["sex"], student["ine"], student["birthplace"]) == (None, None, "Nantes")
    assert student["guardians"] == [
        {
            "name": "Anne",
            "relationship": "mother",
            "phone": None,
            "email": None,
            "parental_authority": False,
        },
        {
            "name": "Paul",
            "relationship": "other",
            "phone": "+442079460958",
            "email": None,
            "parental_authority": False,
        },
    ]
