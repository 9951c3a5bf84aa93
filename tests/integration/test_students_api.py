"""Registering, reading, changing and removing students through the JSON API."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from student_registry.store.redis_store import RedisStore
from tests.builders import API, DUPLICATES_ALLOWED, student_body
from tests.integration.support import assert_indexes_consistent, assert_problem

Client = AsyncTestClient[Litestar]


async def register(client: Client, **overrides: object) -> dict:
    response = await client.post(API, json=student_body(**overrides), params=DUPLICATES_ALLOWED)
    assert response.status_code == 201, response.text
    return response.json()


async def test_registration_answers_201_with_location_etag_and_the_student(
    client: Client,
) -> None:
    before = datetime.now(UTC)
    response = await client.post(
        API, json=student_body(id="2024-0042", first_name="  Éloïse ", email="E.Durand@Example.org")
    )
    assert response.status_code == 201
    assert response.headers["location"] == f"{API}/2024-0042"
    assert re.fullmatch(r'"[^"]+"', response.headers["etag"])
    student = response.json()
    assert student == {
        "id": "2024-0042",
        "first_name": "Éloïse",
        "last_name": "Durand",
        "birth_date": "2009-04-17",
        "course": "3eB",
        "email": "E.Durand@Example.org",
        "sex": None,
        "ine": None,
        "birthplace": None,
        "guardians": None,
        "created_at": student["created_at"],
        "updated_at": student["created_at"],
        "status": "enrolled",
        "entry_date": student["created_at"][:10],
        "exit_date": None,
        "exit_reason": None,
        "year": student["year"],
        "enrolments": [
            {
                "year": student["year"],
                "course": "3eB",
                "status": "enrolled",
                "entry_date": student["created_at"][:10],
                "exit_date": None,
                "exit_reason": None,
            }
        ],
    }
    assert re.fullmatch(r"\d{4}-\d{4}", student["year"])
    created = datetime.fromisoformat(student["created_at"])
    assert student["created_at"].endswith("Z")
    assert before <= created <= datetime.now(UTC)


async def test_registered_student_reads_back_the_same_with_the_same_etag(client: Client) -> None:
    created = await client.post(API, json=student_body(id="s1", email="a@b.org"))
    fetched = await client.get(f"{API}/s1")
    assert fetched.status_code == 200
    assert fetched.json() == created.json()
    assert fetched.headers["etag"] == created.headers["etag"]


async def test_missing_id_is_generated_short_url_safe_and_unique(client: Client) -> None:
    ids = []
    for _ in range(20):
        response = await client.post(API, json=student_body(), params=DUPLICATES_ALLOWED)
        assert response.status_code == 201
        student_id = response.json()["id"]
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,16}", student_id)
        assert response.headers["location"] == f"{API}/{student_id}"
        ids.append(student_id)
    assert len(set(ids)) == len(ids)
    response = await client.post(API, json=student_body(id=None), params=DUPLICATES_ALLOWED)
    assert response.status_code == 201


async def test_duplicate_id_is_rejected_and_original_kept(client: Client) -> None:
    original = await register(client, id="s1", first_name="Léa", email="lea@example.org")
    response = await client.post(
        API, json=student_body(id="s1", first_name="Other", email="other@example.org")
    )
    body = assert_problem(response, 409)
    assert "s1" in body["detail"]
    assert (await client.get(f"{API}/s1")).json() == original
    free = await client.post(API, json=student_body(email="other@example.org"))
    assert free.status_code == 201, "the refused registration must not keep its email"


async def test_duplicate_email_is_rejected_ignoring_case_and_original_kept(
    client: Client, store: RedisStore
) -> None:
    original = await register(client, id="s1", email="Lea.Martin@Example.org")
    response = await client.post(API, json=student_body(id="s2", email="lea.martin@EXAMPLE.ORG"))
    assert_problem(response, 409)
    assert (await client.get(f"{API}/s1")).json() == original
    assert_problem(await client.get(f"{API}/s2"), 404)
    await assert_indexes_consistent(store)


async def test_students_without_email_do_not_conflict(client: Client) -> None:
    await register(client, id="s1")
    await register(client, id="s2", email=None)


async def test_unknown_student_is_404_problem(client: Client) -> None:
    body = assert_problem(await client.get(f"{API}/nobody"), 404)
    assert "nobody" in body["detail"]


@pytest.mark.parametrize(
    "name",
    ["Éloïse", "Ñúñez", "王小明", "O'Brien", "Jean-Pierre", "Anne-Marie de la Tour", "Ødegård"],
)
async def test_unicode_names_round_trip_exactly(client: Client, name: str) -> None:
    created = await register(client, first_name=name, last_name=name, course=name)
    fetched = (await client.get(f"{API}/{created['id']}")).json()
    assert (fetched["first_name"], fetched["last_name"], fetched["course"]) == (name,) * 3


@pytest.mark.parametrize("form", ["NFC", "NFD"])
async def test_names_are_stored_composed_whatever_form_they_were_sent_in(
    client: Client, form: str
) -> None:
    name = unicodedata.normalize(form, "Éloïse Lefèvre")
    created = await register(client, first_name=name)
    fetched = (await client.get(f"{API}/{created['id']}")).json()
    assert fetched["first_name"] == created["first_name"] == "Éloïse Lefèvre"
    assert fetched["first_name"].encode() == "\u00c9lo\u00efse Lef\u00e8vre".encode()


async def test_nfc_and_nfd_spellings_sort_and_search_alike(client: Client) -> None:
    await register(client, id="nfd", first_name=unicodedata.normalize("NFD", "Éloïse"))
    await register(client, id="nfc", first_name=unicodedata.normalize("NFC", "Éloïse"))
    page = (await client.get(API, params={"q": "éloï"})).json()
    assert [s["id"] for s in page["items"]] == ["nfc", "nfd"]


async def test_patch_changes_only_the_fields_sent(client: Client) -> None:
    created = await register(client, id="s1", email="a@b.org")
    response = await client.patch(f"{API}/s1", json={"course": " 4eA ", "last_name": "Zola"})
    assert response.status_code == 200
    changed = response.json()
    assert changed == {
        **created,
        "course": "4eA",
        "last_name": "Zola",
        "updated_at": changed["updated_at"],
        "enrolments": [{**created["enrolments"][0], "course": "4eA"}],
    }
    assert changed["updated_at"] > created["updated_at"]
    assert changed["created_at"] == created["created_at"]
    assert (await client.get(f"{API}/s1")).json() == changed


async def test_patch_changes_the_etag(client: Client) -> None:
    created = await client.post(API, json=student_body(id="s1"))
    patched = await client.patch(f"{API}/s1", json={"first_name": "Léa"})
    assert patched.headers["etag"] != created.headers["etag"]
    assert (await client.get(f"{API}/s1")).headers["etag"] == patched.headers["etag"]


async def test_patch_with_current_etag_applies(client: Client) -> None:
    created = await client.post(API, json=student_body(id="s1"))
    etag = created.headers["etag"]
    response = await client.patch(f"{API}/s1", json={"course": "4e"}, headers={"If-Match": etag})
    assert response.status_code == 200
    listed = await client.patch(
        f"{API}/s1", json={"course": "5e"}, headers={"If-Match": f'"0", {response.headers["etag"]}'}
    )
    assert listed.status_code == 200
    anything = await client.patch(f"{API}/s1", json={"course": "6e"}, headers={"If-Match": "*"})
    assert anything.status_code == 200


async def test_patch_with_stale_etag_is_412_and_changes_nothing(client: Client) -> None:
    created = await client.post(API, json=student_body(id="s1"))
    stale = created.headers["etag"]
    current = (await client.patch(f"{API}/s1", json={"course": "4e"})).json()
    response = await client.patch(f"{API}/s1", json={"course": "5e"}, headers={"If-Match": stale})
    assert_problem(response, 412)
    assert (await client.get(f"{API}/s1")).json() == current


async def test_patch_of_unknown_student_is_404(client: Client) -> None:
    assert_problem(await client.patch(f"{API}/nobody", json={"course": "4e"}), 404)


async def test_patch_cannot_change_the_id(client: Client) -> None:
    created = await register(client, id="s1")
    response = await client.patch(f"{API}/s1", json={"id": "s2", "course": "4e"})
    body = assert_problem(response, 422)
    assert {e["path"] for e in body["errors"]} == {"id"}
    assert (await client.get(f"{API}/s1")).json() == created
    assert_problem(await client.get(f"{API}/s2"), 404)


async def test_patch_to_a_taken_email_is_409_and_changes_nothing(
    client: Client, store: RedisStore
) -> None:
    await register(client, id="s1", email="one@example.org")
    second = await register(client, id="s2", email="two@example.org")
    response = await client.patch(f"{API}/s2", json={"email": "ONE@example.org", "course": "x"})
    assert_problem(response, 409)
    assert (await client.get(f"{API}/s2")).json() == second
    await assert_indexes_consistent(store)


async def test_patch_may_change_the_case_of_its_own_email(client: Client) -> None:
    await register(client, id="s1", email="lea@example.org")
    response = await client.patch(f"{API}/s1", json={"email": "Lea@Example.org"})
    assert response.status_code == 200
    assert response.json()["email"] == "Lea@Example.org"


async def test_patch_with_null_email_removes_it_and_frees_it(
    client: Client, store: RedisStore
) -> None:
    await register(client, id="s1", email="lea@example.org")
    response = await client.patch(f"{API}/s1", json={"email": None})
    assert response.status_code == 200
    assert response.json()["email"] is None
    assert (await client.get(f"{API}/s1")).json()["email"] is None
    await register(client, id="s2", email="LEA@example.org")
    await assert_indexes_consistent(store)


async def test_patch_moves_the_student_between_courses_and_in_the_order(
    client: Client, store: RedisStore
) -> None:
    await register(client, id="s1", last_name="Zola", course="3eA")
    await register(client, id="s2", last_name="Martin", course="3eA")
    await client.patch(f"{API}/s1", json={"last_name": "Adam", "course": "3eB"})
    everyone = (await client.get(API)).json()["items"]
    assert [s["id"] for s in everyone] == ["s1", "s2"]
    in_a = (await client.get(API, params={"course": "3eA"})).json()
    assert [s["id"] for s in in_a["items"]] == ["s2"]
    await assert_indexes_consistent(store)


async def test_patch_with_invalid_fields_lists_them_and_changes_nothing(client: Client) -> None:
    created = await register(client, id="s1")
    response = await client.patch(
        f"{API}/s1", json={"first_name": "", "birth_date": "2999-01-01", "email": "x"}
    )
    body = assert_problem(response, 422)
    assert {e["path"] for e in body["errors"]} == {"first_name", "birth_date", "email"}
    assert (await client.get(f"{API}/s1")).json() == created


async def test_delete_answers_204_then_the_student_is_gone(
    client: Client, store: RedisStore
) -> None:
    await register(client, id="s1", email="lea@example.org")
    response = await client.delete(f"{API}/s1")
    assert response.status_code == 204
    assert response.content == b""
    assert_problem(await client.get(f"{API}/s1"), 404)
    assert_problem(await client.delete(f"{API}/s1"), 404)
    assert (await client.get(API)).json()["items"] == []
    assert await assert_indexes_consistent(store) == {}
    await register(client, id="s1", email="lea@example.org")


async def test_delete_honours_if_match(client: Client) -> None:
    created = await client.post(API, json=student_body(id="s1"))
    stale = created.headers["etag"]
    current = (await client.patch(f"{API}/s1", json={"course": "4e"})).headers["etag"]
    assert_problem(await client.delete(f"{API}/s1", headers={"If-Match": stale}), 412)
    assert (await client.get(f"{API}/s1")).status_code == 200
    assert (await client.delete(f"{API}/s1", headers={"If-Match": current})).status_code == 204
    assert_problem(await client.get(f"{API}/s1"), 404)
