"""Refusals through the API: every error is a problem document, a 422 names every bad field."""

from __future__ import annotations

import json

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from student_registry.api.students import MAX_JSON_BODY
from student_registry.domain import rules
from tests.builders import API, DUPLICATES_ALLOWED, student_body
from tests.integration.support import assert_problem, field_errors

Client = AsyncTestClient[Litestar]


async def test_invalid_registration_lists_every_invalid_field_with_a_message(
    client: Client,
) -> None:
    response = await client.post(
        API,
        json={
            "id": "a b",
            "first_name": "",
            "last_name": "x" * 101,
            "birth_date": "2999-01-01",
            "course": 3,
            "email": "nope",
            "nickname": "Lou",
        },
    )
    assert field_errors(response) == {
        "id": rules.MESSAGES["id"],
        "first_name": rules.MESSAGES["first_name"],
        "last_name": rules.MESSAGES["last_name"],
        "birth_date": rules.FUTURE_BIRTH_DATE,
        "course": rules.MESSAGES["course"],
        "email": rules.MESSAGES["email"],
        "nickname": rules.UNKNOWN,
    }
    assert (await client.get(API)).json()["total"] == 0


async def test_missing_fields_are_each_named_as_required(client: Client) -> None:
    assert field_errors(await client.post(API, json={})) == {
        "first_name": rules.REQUIRED,
        "last_name": rules.REQUIRED,
        "birth_date": rules.REQUIRED,
        "course": rules.REQUIRED,
    }


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("id", "x" * 65, rules.MESSAGES["id"]),
        ("id", "abc\n", rules.MESSAGES["id"]),
        ("id", "é", rules.MESSAGES["id"]),
        ("first_name", "   ", rules.MESSAGES["first_name"]),
        ("last_name", "a\u0000b", rules.MESSAGES["last_name"]),
        ("course", "", rules.MESSAGES["course"]),
        ("birth_date", "17/04/2009", rules.MESSAGES["birth_date"]),
        ("birth_date", "1899-12-31", rules.EARLY_BIRTH_DATE),
        ("email", "a@b@c", rules.MESSAGES["email"]),
    ],
)
async def test_one_bad_field_is_named_with_its_rule(
    client: Client, field: str, value: str, message: str
) -> None:
    response = await client.post(API, json=student_body(**{field: value}))
    assert field_errors(response) == {field: message}


@pytest.mark.parametrize("body", [b"[]", b'"student"', b"3", b"null"])
async def test_body_that_is_not_an_object_is_422_at_the_root(client: Client, body: bytes) -> None:
    headers = {"Content-Type": "application/json"}
    assert list(field_errors(await client.post(API, content=body, headers=headers))) == ["$"]
    patched = await client.patch(f"{API}/s1", content=body, headers=headers)
    assert list(field_errors(patched)) == ["$"]


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "text/plain"},
        {"Content-Type": "application/x-www-form-urlencoded"},
        {"Content-Type": "multipart/form-data; boundary=x"},
        {},
    ],
)
async def test_body_not_declared_as_json_is_415(client: Client, headers: dict[str, str]) -> None:
    response = await client.post(API, content=b"first_name=Lea", headers=headers)
    assert_problem(response, 415)
    patched = await client.patch(f"{API}/s1", content=b"first_name=Lea", headers=headers)
    assert_problem(patched, 415)


@pytest.mark.parametrize("content", [b"{bad", b"first_name=Lea", b"", b'{"a": 1} trailing'])
async def test_body_that_is_not_json_is_415(client: Client, content: bytes) -> None:
    headers = {"Content-Type": "application/json"}
    assert_problem(await client.post(API, content=content, headers=headers), 415)
    assert_problem(await client.patch(f"{API}/s1", content=content, headers=headers), 415)


async def test_json_content_type_with_charset_or_suffix_is_accepted(client: Client) -> None:
    for content_type in ("application/json; charset=utf-8", "application/merge-patch+json"):
        body = json.dumps(student_body()).encode()
        response = await client.post(
            API,
            content=body,
            headers={"Content-Type": content_type},
            params=DUPLICATES_ALLOWED,
        )
        assert response.status_code == 201, content_type


async def test_body_above_the_limit_is_413(client: Client) -> None:
    big = student_body(first_name="x" * MAX_JSON_BODY)
    assert_problem(await client.post(API, json=big), 413)
    assert_problem(await client.patch(f"{API}/s1", json={"first_name": "x" * MAX_JSON_BODY}), 413)


async def test_body_just_under_the_limit_is_read(client: Client) -> None:
    head = b'{"first_name": "L\\u00e9a", "last_name": "Durand", "birth_date": "2009-04-17", '
    head += b'"course": "3eB"'
    padded = head + b" " * (MAX_JSON_BODY - len(head) - 1) + b"}"
    assert len(padded) == MAX_JSON_BODY
    response = await client.post(API, content=padded, headers={"Content-Type": "application/json"})
    assert response.status_code == 201


async def test_unknown_api_route_is_404_problem(client: Client) -> None:
    assert_problem(await client.get("/api/v1/teachers"), 404)
    assert_problem(await client.get("/api/v2/students"), 404)


async def test_wrong_method_is_405_problem_with_allow(client: Client) -> None:
    response = await client.put(API, json=student_body())
    assert_problem(response, 405)
    assert "POST" in response.headers["allow"]
    assert_problem(await client.post(f"{API}/s1", json=student_body()), 405)


async def test_problem_instance_is_the_request_path(client: Client) -> None:
    body = assert_problem(await client.get(f"{API}/nobody"), 404)
    assert body["instance"] == f"{API}/nobody"


async def test_each_error_kind_has_its_own_problem_type(client: Client) -> None:
    await client.post(API, json=student_body(id="s1"))
    types = {
        assert_problem(await client.get(f"{API}/nobody"), 404)["type"],
        assert_problem(await client.post(API, json=student_body(id="s1")), 409)["type"],
        assert_problem(await client.post(API, json={}), 422)["type"],
        assert_problem(await client.get(API, params={"cursor": "@@"}), 400)["type"],
        assert_problem(await client.patch(f"{API}/s1", json={}, headers={"If-Match": '"0"'}), 412)[
            "type"
        ],
    }
    assert len(types) == 5


@pytest.mark.parametrize("accept", ["application/json", "application/problem+json"])
async def test_unknown_route_outside_the_api_is_a_problem_for_a_json_client(
    client: Client, accept: str
) -> None:
    assert_problem(await client.get("/nope", headers={"Accept": accept}), 404)


async def test_unknown_route_outside_the_api_is_a_page_for_a_browser(client: Client) -> None:
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = await client.get("/nope", headers={"Accept": accept})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
