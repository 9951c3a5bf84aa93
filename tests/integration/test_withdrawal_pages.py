"""Withdrawing and reinstating from the student's page, and the list's status filter."""

from __future__ import annotations

import re

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from student_registry.domain.accounts import Role
from tests.accounts import SESSION_COOKIE, sign_up
from tests.builders import API, student_body

Client = AsyncTestClient[Litestar]


def form_token(html: str) -> str:
    found = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert found, "the form carries no anti-forgery token"
    return found.group(1)


def revision_in(html: str) -> str:
    found = re.search(r'name="revision" value="([^"]+)"', html)
    assert found
    return found.group(1)


async def register(client: Client, student_id: str, **fields: str) -> None:
    body = student_body(id=student_id, entry_date="2024-09-02", **fields)
    response = await client.post(API, json=body, params={"allow_duplicate": "true"})
    assert response.status_code == 201, response.text


async def withdraw_form(client: Client, student_id: str, **form: str) -> tuple[int, str]:
    page = (await client.get(f"/students/{student_id}")).text
    data = {"_csrf_token": form_token(page), "revision": revision_in(page), **form}
    response = await client.post(f"/students/{student_id}/withdraw", data=data)
    return response.status_code, response.text


async def test_the_withdraw_form_withdraws_with_a_day_first_date_and_says_so(
    client: Client,
) -> None:
    await register(client, "s1")
    status, html = await withdraw_form(client, "s1", exit_date="14/02/2025", exit_reason="Moved")
    assert status == 200
    assert "Withdrawn." in html
    assert 'id="withdrawn-mark"' in html
    assert "Moved" in html
    assert "/students/s1/reinstate" in html
    assert "/students/s1/withdraw" not in html
    student = (await client.get(f"{API}/s1")).json()
    assert (student["status"], student["exit_date"]) == ("withdrawn", "2025-02-14")


async def test_the_withdraw_form_names_each_missing_or_wrong_field(client: Client) -> None:
    await register(client, "s1")
    status, html = await withdraw_form(client, "s1", exit_date="31/02/2025")
    assert status == 422
    assert 'id="exit_date-error"' in html
    assert 'id="exit_reason-error"' in html
    status, html = await withdraw_form(client, "s1", exit_date="01/01/2020", exit_reason="x")
    assert status == 422
    assert "must not be before the entry date" in html
    assert (await client.get(f"{API}/s1")).json()["status"] == "enrolled"


async def test_a_withdraw_form_without_its_token_is_refused(client: Client) -> None:
    await register(client, "s1")
    page = (await client.get("/students/s1")).text
    data = {"revision": revision_in(page), "exit_date": "2025-02-14", "exit_reason": "Moved"}
    response = await client.post("/students/s1/withdraw", data=data)
    assert response.status_code == 403
    assert (await client.get(f"{API}/s1")).json()["status"] == "enrolled"


async def test_the_reinstate_form_enrols_the_student_again(client: Client) -> None:
    await register(client, "s1")
    await withdraw_form(client, "s1", exit_date="2025-02-14", exit_reason="Moved")
    page = (await client.get("/students/s1")).text
    data = {"_csrf_token": form_token(page), "revision": revision_in(page)}
    response = await client.post("/students/s1/reinstate", data=data)
    assert response.status_code == 200
    assert "Reinstated." in response.text
    assert 'id="withdrawn-mark"' not in response.text
    assert (await client.get(f"{API}/s1")).json()["status"] == "enrolled"


async def test_a_stale_reinstate_form_changes_nothing(client: Client) -> None:
    await register(client, "s1")
    await withdraw_form(client, "s1", exit_date="2025-02-14", exit_reason="Moved")
    page = (await client.get("/students/s1")).text
    await client.patch(f"{API}/s1", json={"exit_reason": "Moved away"})
    data = {"_csrf_token": form_token(page), "revision": revision_in(page)}
    response = await client.post("/students/s1/reinstate", data=data)
    assert response.status_code == 412
    assert (await client.get(f"{API}/s1")).json()["status"] == "withdrawn"


async def test_the_list_shows_enrolled_students_and_filters_by_status(client: Client) -> None:
    await register(client, "s1", last_name="Aubert")
    await register(client, "s2", last_name="Bernard")
    await withdraw_form(client, "s2", exit_date="2025-02-14", exit_reason="Moved")
    default = (await client.get("/")).text
    assert "/students/s1" in default
    assert "/students/s2" not in default
    withdrawn = (await client.get("/", params={"status": "withdrawn"})).text
    assert "/students/s2" in withdrawn
    assert "/students/s1" not in withdrawn
    assert '<option value="withdrawn" selected>' in withdrawn
    every = (await client.get("/", params={"status": "all"})).text
    assert "/students/s1" in every
    assert "/students/s2" in every
    assert every.count('class="badge"') == 1


@pytest.mark.parametrize(("role", "shown"), [("staff", False), ("admin", True)])
async def test_only_administrators_see_the_delete_button_while_staff_see_withdraw(
    client: Client, redis_url: str, role: Role, shown: bool
) -> None:
    await register(client, "s1")
    person = await sign_up(redis_url, f"{role}2@example.org", role)
    client.cookies.set(SESSION_COOKIE, person.session_id, domain="testserver.local")
    html = (await client.get("/students/s1")).text
    assert ("/students/s1/delete" in html) is shown
    assert "/students/s1/withdraw" in html


async def test_the_page_export_links_follow_the_status_filter(client: Client) -> None:
    await register(client, "s1", last_name="Aubert")
    await register(client, "s2", last_name="Bernard")
    await withdraw_form(client, "s2", exit_date="2025-02-14", exit_reason="Moved")
    html = (await client.get("/", params={"status": "withdrawn"})).text
    assert 'href="/students.csv?status=withdrawn"' in html
    exported = (await client.get("/students.csv", params={"status": "withdrawn"})).text
    assert [line.split(",")[0] for line in exported.lstrip("\ufeff").splitlines()[1:]] == ["s2"]
    default = (await client.get("/students.csv")).text
    assert [line.split(",")[0] for line in default.lstrip("\ufeff").splitlines()[1:]] == ["s1"]
