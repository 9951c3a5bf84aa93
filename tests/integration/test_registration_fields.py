"""Sex, INE, birthplace and guardians: through the API, unique INEs, and older students."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import msgspec
from litestar import Litestar
from litestar.testing import AsyncTestClient
from typer.testing import CliRunner

from student_registry.cli import app as cli_app
from student_registry.store import keys
from student_registry.store.redis_store import RedisStore
from tests.builders import API, DUPLICATES_ALLOWED, student_body
from tests.integration.support import assert_indexes_consistent, assert_problem, field_errors

Client = AsyncTestClient[Litestar]

MOTHER = {
    "name": "Marie Durand",
    "relationship": "mother",
    "phone": "06 12 34 56 78",
    "email": "marie.durand@example.org",
    "parental_authority": True,
}
FATHER = {"name": "Paul Durand", "relationship": "father", "parental_authority": False}


def french_fields(**overrides: Any) -> dict[str, Any]:
    """A registration with every new field filled."""
    return student_body(
        sex="F", ine="1234567890a", birthplace=" Lyon ", guardians=[MOTHER, FATHER], **overrides
    )


async def test_registration_keeps_sex_ine_birthplace_and_guardians_normalised(
    client: Client,
) -> None:
    response = await client.post(API, json=french_fields(id="s1"))
    assert response.status_code == 201, response.text
    student = response.json()
    assert student["sex"] == "F"
    assert student["ine"] == "1234567890A"
    assert student["birthplace"] == "Lyon"
    assert student["guardians"] == [
        {**MOTHER, "phone": "+33612345678"},
        {**FATHER, "phone": None, "email": None},
    ]
    read = (await client.get(f"{API}/s1")).json()
    assert read == student


async def test_absent_fields_read_as_null_and_cost_no_hash_field(
    client: Client, store: RedisStore
) -> None:
    response = await client.post(API, json=student_body(id="s1"))
    student = response.json()
    assert [student[f] for f in ("sex", "ine", "birthplace", "guardians")] == [None] * 4
    stored = set(await store.client.hkeys(keys.student_key("s1")))
    assert stored.isdisjoint({"x", "i", "p", "g"})


async def test_invalid_guardians_are_named_by_their_place_in_the_list(client: Client) -> None:
    guardians = [
        MOTHER,
        {"name": "", "relationship": "aunt", "phone": "12 34", "email": "x", "extra": 1}
        | {"parental_authority": True},
        {"relationship": "other"},
    ]
    response = await client.post(
        API, json=student_body(guardians=guardians, sex="X", ine="12345678901")
    )
    assert field_errors(response).keys() == {
        "sex",
        "ine",
        "guardians[1].name",
        "guardians[1].relationship",
        "guardians[1].phone",
        "guardians[1].email",
        "guardians[1].extra",
        "guardians[2].name",
        "guardians[2].parental_authority",
    }


async def test_more_than_four_guardians_are_refused(client: Client) -> None:
    response = await client.post(API, json=student_body(guardians=[FATHER] * 5))
    assert "guardians" in field_errors(response)


async def test_a_taken_ine_is_409_naming_the_ine_and_the_original_kept(client: Client) -> None:
    await client.post(API, json=french_fields(id="s1"))
    response = await client.post(
        API, json=student_body(id="s2", first_name="Zoé", ine="1234567890A")
    )
    body = assert_problem(response, 409)
    assert "INE" in body["detail"]
    assert (await client.get(f"{API}/s2")).status_code == 404
    assert (await client.get(f"{API}/s1")).json()["ine"] == "1234567890A"


async def test_patch_sets_replaces_and_removes_the_new_fields(
    client: Client, store: RedisStore
) -> None:
    await client.post(API, json=french_fields(id="s1"))
    response = await client.patch(
        f"{API}/s1", json={"guardians": [FATHER], "ine": "123456789ab", "sex": None}
    )
    assert response.status_code == 200, response.text
    student = response.json()
    assert student["guardians"] == [{**FATHER, "phone": None, "email": None}]
    assert student["ine"] == "123456789AB"
    assert student["sex"] is None
    assert student["birthplace"] == "Lyon"
    response = await client.patch(f"{API}/s1", json={"guardians": None, "ine": None})
    assert response.json()["guardians"] is None
    assert set(await store.client.hkeys(keys.student_key("s1"))).isdisjoint({"g", "i", "x"})
    # The INE removed is free again.
    second = await client.post(
        API, json=student_body(id="s2", ine="123456789AB"), params=DUPLICATES_ALLOWED
    )
    assert second.status_code == 201, second.text
    await assert_indexes_consistent(store)


async def test_patch_to_a_taken_ine_is_409_and_changes_nothing(client: Client) -> None:
    await client.post(API, json=french_fields(id="s1"))
    await client.post(API, json=student_body(id="s2", first_name="Zoé", ine="1111111111B"))
    response = await client.patch(f"{API}/s2", json={"ine": "1234567890A", "course": "x"})
    assert_problem(response, 409)
    student = (await client.get(f"{API}/s2")).json()
    assert (student["ine"], student["course"]) == ("1111111111B", "3eB")


async def test_patch_with_a_bad_guardian_phone_names_its_path(client: Client) -> None:
    await client.post(API, json=french_fields(id="s1"))
    guardians = [MOTHER, {**FATHER, "phone": "+33 0 12"}]
    response = await client.patch(f"{API}/s1", json={"guardians": guardians})
    assert field_errors(response) == {
        "guardians[1].phone": "must be a phone number, like 06 12 34 56 78 or +44 20 7946 0958"
    }


async def test_deleting_a_student_frees_its_ine(client: Client, store: RedisStore) -> None:
    await client.post(API, json=french_fields(id="s1"))
    assert (await client.delete(f"{API}/s1")).status_code == 204
    assert await store.client.hgetall(keys.ine_index()) == {}
    response = await client.post(API, json=french_fields(id="s2"))
    assert response.status_code == 201, response.text


async def test_two_concurrent_registrations_with_one_ine_give_one_201_and_one_409(
    concurrent_client: httpx.AsyncClient, store: RedisStore
) -> None:
    for round_ in range(5):
        ine = f"{round_:010d}Z"
        responses = await asyncio.gather(
            *(
                concurrent_client.post(
                    API,
                    json=student_body(first_name=f"Name{round_}{i}", ine=ine),
                    params=DUPLICATES_ALLOWED,
                )
                for i in range(2)
            )
        )
        assert Counter(r.status_code for r in responses) == {201: 1, 409: 1}
        [refused] = [r.json() for r in responses if r.status_code == 409]
        assert "INE" in refused["detail"]
    assert len(await assert_indexes_consistent(store)) == 5


async def test_a_student_stored_before_these_fields_reads_lists_changes_and_exports(
    client: Client, store: RedisStore
) -> None:
    # The hash and indexes as the scripts wrote them before: no x, i, p or g field.
    await store.client.hset(
        keys.student_key("old1"),
        mapping={
            "f": "Ada",
            "l": "Martin",
            "b": "20090417",
            "c": "3eB",
            "e": "Ada@example.org",
            "t": "1700000000000000",
        },
    )
    await store.client.hset(keys.email_index(), "ada@example.org", "old1")
    await store.client.zadd(keys.order_index(), {"martin\0ada\0old1": 0})
    await store.client.zadd(keys.first_name_index(), {"ada\0martin\0ada\0old1": 0})
    await store.client.zadd(keys.course_index("3eB"), {"martin\0ada\0old1": 0})
    await store.client.hset(keys.course_counts(), "3eB", 1)

    student = (await client.get(f"{API}/old1")).json()
    assert student["first_name"] == "Ada"
    assert [student[f] for f in ("sex", "ine", "birthplace", "guardians")] == [None] * 4
    listed = (await client.get(API)).json()["items"]
    assert [s["id"] for s in listed] == ["old1"]
    exported = (await client.get("/api/v1/students.csv")).text
    enrolment = "enrolled,2023-11-14,,,"  # entered the day it was created, as older students
    assert "old1,Ada,Martin,2009-04-17,3eB,Ada@example.org," + enrolment + "," * 12 in exported
    response = await client.patch(f"{API}/old1", json={"ine": "1234567890A", "guardians": [FATHER]})
    assert response.status_code == 200, response.text
    response = await client.patch(f"{API}/old1", json={"course": "3eA"})
    assert response.json()["guardians"] == [{**FATHER, "phone": None, "email": None}]
    await assert_indexes_consistent(store)


FRENCH_CSV = (
    "Identifiant;Prénom;Nom;Date de naissance;Classe;Sexe;INE;Lieu de naissance;"
    "Responsable 1 nom;Responsable 1 lien;Responsable 1 téléphone;Responsable 1 courriel;"
    "Responsable 1 autorité parentale;Responsable 2 nom;Responsable 2 lien;"
    "Responsable 2 téléphone;Responsable 2 courriel;Responsable 2 autorité parentale\n"
    "f1;Léa;Martin;17/04/2009;3eB;f;1234567890a;Saint-Étienne;Anne Martin;Mère;"
    "06.12.34.56.78;anne@example.org;oui;Luc Martin;père;+44 20 7946 0958;;non\n"
    "f2;Hugo;Petit;02/01/2010;3eA;M;;;;;;;;;;;;\n"
)


async def test_a_csv_with_french_headers_and_values_imports_the_new_fields(
    client: Client,
) -> None:
    response = await client.post(
        "/api/v1/students/import",
        content=FRENCH_CSV.encode(),
        headers={"content-type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    lea = (await client.get(f"{API}/f1")).json()
    assert (lea["sex"], lea["ine"], lea["birthplace"]) == ("F", "1234567890A", "Saint-Étienne")
    assert lea["guardians"] == [
        {
            "name": "Anne Martin",
            "relationship": "mother",
            "phone": "+33612345678",
            "email": "anne@example.org",
            "parental_authority": True,
        },
        {
            "name": "Luc Martin",
            "relationship": "father",
            "phone": "+442079460958",
            "email": None,
            "parental_authority": False,
        },
    ]
    hugo = (await client.get(f"{API}/f2")).json()
    assert (hugo["sex"], hugo["ine"], hugo["guardians"]) == ("M", None, None)


async def test_an_import_row_with_a_taken_ine_fails_naming_the_ine(client: Client) -> None:
    await client.post(API, json=french_fields(id="s1"))
    data = "id,first_name,last_name,birth_date,course,ine\nz1,Zoé,Roux,2010-01-02,3eA,1234567890A\n"
    response = await client.post(
        "/api/v1/students/import", content=data.encode(), headers={"content-type": "text/csv"}
    )
    report = response.json()
    assert report["failed"] == 1, report
    assert report["failures"][0]["errors"][0]["path"] == "ine"
    dry = await client.post(
        "/api/v1/students/import",
        content=data.encode(),
        headers={"content-type": "text/csv"},
        params={"dry_run": "true"},
    )
    assert dry.json()["failures"][0]["errors"][0]["path"] == "ine"


async def test_csv_and_ndjson_exports_import_back_unchanged(
    client: Client, store: RedisStore
) -> None:
    await client.post(API, json=french_fields(id="s1"))
    await client.post(
        API,
        json=student_body(
            id="s2",
            first_name="Noé",
            sex="M",
            ine="987654321XY",
            guardians=[{**FATHER, "name": "=cmd", "phone": "+1 202 555 0143"}],
        ),
    )
    await client.post(API, json=student_body(id="s3", first_name="Ana"))
    # NDJSON carries all four guardians.
    four = [MOTHER, FATHER, {**FATHER, "relationship": "guardian"}, {**FATHER, "name": "Ève"}]
    await client.post(API, json=student_body(id="s4", first_name="Zia", guardians=four))

    def comparable(student: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in student.items() if k not in ("created_at", "updated_at")}

    before = {s["id"]: comparable(s) for s in (await client.get(API)).json()["items"]}
    for fmt in ("ndjson", "csv"):
        exported = (await client.get(f"/api/v1/students.{fmt}")).content
        for student_id in before:
            assert (await client.delete(f"{API}/{student_id}")).status_code == 204
        response = await client.post(
            "/api/v1/students/import",
            content=exported,
            headers={"content-type": f"text/{fmt}" if fmt == "csv" else "application/x-ndjson"},
            params={"allow_duplicates": "true"},
        )
        assert response.status_code == 200, response.text
        after = {s["id"]: comparable(s) for s in (await client.get(API)).json()["items"]}
        if fmt == "csv":
            # CSV has columns for two guardians.
            expected = {
                **before,
                "s4": {**before["s4"], "guardians": before["s4"]["guardians"][:2]},
            }
        else:
            expected = before
        assert after == expected, fmt
        await assert_indexes_consistent(store)


def test_the_cli_imports_french_columns_and_exports_them_back(
    tmp_path: Path, redis_url: str
) -> None:
    source = tmp_path / "rentree.csv"
    source.write_text(FRENCH_CSV, encoding="utf-8")
    imported = CliRunner().invoke(cli_app, ["import", str(source), "--redis-url", redis_url])
    assert imported.exit_code == 0, imported.stdout
    exported = CliRunner().invoke(
        cli_app, ["export", "--format", "ndjson", "--redis-url", redis_url]
    )
    assert exported.exit_code == 0, exported.stdout
    lea = msgspec.json.decode(exported.stdout.splitlines()[0])
    assert lea["ine"] == "1234567890A"
    assert [g["relationship"] for g in lea["guardians"]] == ["mother", "father"]


async def test_parental_authority_must_be_a_json_boolean(client: Client) -> None:
    for written in ("true", 1):
        guardians = [{**FATHER, "parental_authority": written}]
        response = await client.post(API, json=student_body(id="s1", guardians=guardians))
        assert field_errors(response) == {
            "guardians[0].parental_authority": "must be true or false"
        }
    await client.post(API, json=student_body(id="s1"))
    response = await client.patch(
        f"{API}/s1", json={"guardians": [{**FATHER, "parental_authority": "false"}]}
    )
    assert field_errors(response) == {"guardians[0].parental_authority": "must be true or false"}
