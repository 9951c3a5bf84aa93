"""Generated junk sent to the API is refused with a problem, never a server error."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.builders import API, student_body
from tests.integration.support import PROBLEM_JSON

FIELDS = ["id", "first_name", "last_name", "birth_date", "course", "email"]
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=5,
)
bodies = (
    st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=6), json_values, max_size=7)
    | st.builds(
        lambda field, value: student_body(**{field: value}), st.sampled_from(FIELDS), json_values
    )
    | json_values
)
api_settings = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def assert_answered(response: Any, allowed: set[int]) -> None:
    assert response.status_code in allowed, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith(PROBLEM_JSON)
        assert response.json()["status"] == response.status_code


@api_settings
@given(body=bodies)
async def test_junk_registration_is_refused_never_a_500(
    client: AsyncTestClient[Litestar], body: Any
) -> None:
    content = msgspec.json.encode(body)
    response = await client.post(API, content=content, headers={"Content-Type": "application/json"})
    assert_answered(response, {201, 409, 422})


@api_settings
@given(body=bodies, raw=st.binary(max_size=40))
async def test_junk_change_is_refused_never_a_500(
    client: AsyncTestClient[Litestar], body: Any, raw: bytes
) -> None:
    await client.post(API, json=student_body(id="s1"))
    headers = {"Content-Type": "application/json"}
    response = await client.patch(f"{API}/s1", content=msgspec.json.encode(body), headers=headers)
    assert_answered(response, {200, 409, 422})
    assert_answered(await client.patch(f"{API}/s1", content=raw, headers=headers), {200, 415, 422})


@api_settings
@given(
    params=st.dictionaries(
        st.sampled_from(["limit", "cursor", "course", "q"]), st.text(max_size=30), max_size=4
    ),
    # The router decodes %2F and folds leading and trailing slashes, so an id of slashes alone
    # addresses the collection (where DELETE is 405) and "import" the bulk route (see the test
    # below): neither names one student. Ids never contain a slash.
    student_id=st.text(min_size=1, max_size=30).filter(
        lambda s: s not in {".", ".."} and s.strip("/") not in {"", "import"}
    ),
    if_match=st.text('"W/*0123456789abc, ', max_size=10),
)
async def test_junk_queries_paths_and_headers_are_refused_never_a_500(
    client: AsyncTestClient[Litestar],
    params: dict[str, str],
    student_id: str,
    if_match: str,
) -> None:
    assert_answered(await client.get(API, params=params), {200, 400, 422})
    path = f"{API}/{quote(student_id, safe='')}"
    assert_answered(await client.get(path), {200, 404})
    assert_answered(await client.delete(path, headers={"If-Match": if_match}), {204, 404, 412})


async def test_the_id_import_is_reserved_for_the_bulk_route(
    client: AsyncTestClient[Litestar],
) -> None:
    response = await client.post(API, json=student_body(id="import"))
    assert_answered(response, {422})
    assert response.json()["errors"][0]["path"] == "id"
    assert_answered(await client.get(f"{API}/import"), {405})
