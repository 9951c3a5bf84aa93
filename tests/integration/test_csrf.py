"""Forms need the anti-forgery token; only the original app's exact route goes without."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.builders import API, student_body

Client = AsyncTestClient[Litestar]

LEGACY_FORM = {
    "Id": "2024-0042",
    "First name": "Éloïse",
    "Last name": "Durand",
    "Date of Birth": "2009-04-17",
    "Course": "3eB",
}


@pytest.mark.parametrize("student_id", ["handle_data_7", "handle_data", "x-handle_data"])
async def test_delete_without_a_token_is_refused_even_when_the_path_names_the_legacy_route(
    client: Client, student_id: str
) -> None:
    assert (await client.post(API, json=student_body(id=student_id))).status_code == 201

    response = await client.post(f"/students/{student_id}/delete", data={})

    assert response.status_code == 403
    assert (await client.get(f"{API}/{student_id}")).status_code == 200


async def test_edit_without_a_token_is_refused_under_a_legacy_looking_id(client: Client) -> None:
    assert (await client.post(API, json=student_body(id="handle_data"))).status_code == 201

    response = await client.post(
        "/students/handle_data", data={**student_body(), "first_name": "Forged"}
    )

    assert response.status_code == 403
    assert (await client.get(f"{API}/handle_data")).json()["first_name"] != "Forged"


async def test_the_original_apps_form_registers_without_a_token(client: Client) -> None:
    response = await client.post("/handle_data", data=LEGACY_FORM, follow_redirects=False)

    assert response.status_code == 303
    assert (await client.get(f"{API}/2024-0042")).json()["first_name"] == "Éloïse"


@pytest.mark.parametrize("path", ["/handle_data_7", "/x/handle_data", "/students/handle_data"])
async def test_only_the_exact_legacy_path_goes_without_a_token(client: Client, path: str) -> None:
    response = await client.post(path, data=LEGACY_FORM, follow_redirects=False)

    assert response.status_code in {403, 404, 405}
    assert (await client.get(f"{API}/2024-0042")).status_code == 404
