"""The API describes itself: OpenAPI 3.1 at /openapi.json and a documentation page at /docs."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from student_registry.app import create_app
from student_registry.settings import Settings

Client = AsyncTestClient[Litestar]


async def test_openapi_json_is_an_openapi_3_1_document_of_the_api(client: Client) -> None:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    document = response.json()
    assert document["openapi"].startswith("3.1")
    assert document["info"]["title"] == "Student Registry"
    paths = document["paths"]
    assert set(paths["/api/v1/students"]) >= {"get", "post"}
    assert set(paths["/api/v1/students/{student_id}"]) >= {"get", "patch", "delete"}
    assert "/healthz" in paths
    assert "/readyz" in paths


async def test_openapi_document_carries_the_field_rules(client: Client) -> None:
    schemas = (await client.get("/openapi.json")).json()["components"]["schemas"]
    [create] = [s for name, s in schemas.items() if name.endswith("StudentCreate")]
    assert set(create["required"]) == {"first_name", "last_name", "birth_date", "course"}
    assert create["properties"]["first_name"]["minLength"] == 1


async def test_openapi_json_is_the_same_document_the_docs_page_loads(client: Client) -> None:
    served = (await client.get("/openapi.json")).json()
    assert served == (await client.get("/docs/openapi.json")).json()


async def test_docs_page_is_an_interactive_html_page(client: Client) -> None:
    response = await client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<script" in response.text
    assert "/api/v1/students" in response.text or "openapi.json" in response.text


async def test_openapi_documents_every_error_as_a_problem_document(client: Client) -> None:
    document = (await client.get("/openapi.json")).json()
    expected = {
        ("/api/v1/students", "post"): {"409", "413", "415", "422", "503"},
        ("/api/v1/students", "get"): {"400", "422", "503"},
        ("/api/v1/students/{student_id}", "get"): {"404", "503"},
        ("/api/v1/students/{student_id}", "patch"): {"404", "409", "412", "415", "422", "503"},
        ("/api/v1/students/{student_id}", "delete"): {"404", "412", "503"},
        ("/readyz", "get"): {"503"},
        ("/api/v1/students/import", "post"): {"400", "413", "415", "422", "503"},
        ("/api/v1/students.csv", "get"): {"400", "422", "503"},
        ("/api/v1/students.ndjson", "get"): {"400", "422", "503"},
    }
    for (path, method), statuses in expected.items():
        responses = document["paths"][path][method]["responses"]
        assert statuses <= set(responses), (path, method)
        for status, response in responses.items():
            if status.startswith(("4", "5")):
                assert list(response["content"]) == ["application/problem+json"], (path, status)
    problem = document["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail"}


def document() -> dict[str, Any]:
    """The OpenAPI document, built without a running app."""
    schema: dict[str, Any] = create_app(Settings()).openapi_schema.to_schema()
    return schema


DOCUMENT = document()


@pytest.mark.parametrize("model", ["StudentCreate", "StudentPatch"])
def test_input_models_state_that_unknown_fields_are_refused(model: str) -> None:
    assert DOCUMENT["components"]["schemas"][model]["additionalProperties"] is False


def test_the_cursor_is_described_as_opaque_with_its_400() -> None:
    operation = DOCUMENT["paths"]["/api/v1/students"]["get"]
    [cursor] = [p for p in operation["parameters"] if p["name"] == "cursor"]
    assert "Opaque" in cursor["description"]
    assert "400" in cursor["description"]
    assert "400" in operation["responses"]


def test_if_match_says_how_tags_are_compared() -> None:
    for method in ("patch", "delete"):
        operation = DOCUMENT["paths"]["/api/v1/students/{student_id}"][method]
        [if_match] = [p for p in operation["parameters"] if p["name"] == "If-Match"]
        assert "compared strongly" in if_match["description"]
        assert "412" in operation["responses"]


def test_the_import_documents_each_body_type() -> None:
    content = DOCUMENT["paths"]["/api/v1/students/import"]["post"]["requestBody"]["content"]
    assert content["text/csv"]["schema"]["type"] == "string"
    assert content["application/x-ndjson"]["schema"]["type"] == "string"
    assert content["application/json"]["schema"]["type"] == "array"
    form = content["multipart/form-data"]["schema"]
    assert (form["type"], form["required"]) == ("object", ["file"])
    assert {name: part["format"] for name, part in form["properties"].items()} == {
        "file": "binary",
        "guardians": "binary",
    }


def test_the_import_documents_withdraw_missing() -> None:
    operation = DOCUMENT["paths"]["/api/v1/students/import"]["post"]
    [withdraw] = [p for p in operation["parameters"] if p["name"] == "withdraw_missing"]
    assert (withdraw["in"], withdraw["schema"]["type"]) == ("query", "boolean")
    assert "never deletes" in withdraw["description"]
    assert "withdraw_missing" in operation["responses"]["422"]["description"]


def test_only_the_api_operations_ask_for_a_token() -> None:
    for path, operations in DOCUMENT["paths"].items():
        for method, operation in operations.items():
            asks = operation.get("security") == [{"token": []}]
            assert asks == path.startswith("/api/"), (method, path)
    assert "security" not in DOCUMENT
