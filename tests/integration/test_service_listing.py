"""A walk keeps its place when students change between its pages, or says it lost it."""

from __future__ import annotations

import pytest

from student_registry.domain.models import StudentCreate, StudentPatch
from student_registry.domain.service import Registry
from student_registry.domain.validation import parse
from student_registry.errors import StaleCursor
from tests.builders import student_body

LAST_NAMES = ["Mab", "Mac", "Mad", "Mae", "Maf", "Mag"]


@pytest.fixture
async def students(registry: Registry) -> None:
    for last in LAST_NAMES:
        data = parse(student_body(id=last.lower(), last_name=last), StudentCreate)
        await registry.register_student(data)


@pytest.mark.usefixtures("students")
@pytest.mark.parametrize("q", ["", "ma"])
async def test_students_renamed_or_removed_between_pages_do_not_make_others_skipped(
    registry: Registry, q: str
) -> None:
    first = await registry.list_students(limit=2, q=q)
    assert [s.id for s in first.items] == ["mab", "mac"]
    await registry.update_student("mae", StudentPatch(last_name="Maa"))  # now before the page
    await registry.delete_student("maf")
    await registry.update_student("mag", StudentPatch(last_name="Mah"))
    seen = []
    cursor = first.next_cursor
    while cursor is not None:
        page = await registry.list_students(limit=2, cursor=cursor, q=q)
        seen += [s.id for s in page.items]
        cursor = page.next_cursor
    assert seen == ["mad", "mag"]


@pytest.mark.usefixtures("students")
@pytest.mark.parametrize("q", ["", "ma"])
@pytest.mark.parametrize("which", ["next_cursor", "previous_cursor"])
async def test_a_page_whose_starting_student_was_removed_is_refused_as_stale(
    registry: Registry, q: str, which: str
) -> None:
    first = await registry.list_students(limit=2, q=q)
    second = await registry.list_students(limit=2, cursor=first.next_cursor, q=q)
    cursor = getattr(second, which)
    await registry.delete_student("mad" if which == "previous_cursor" else "mae")
    with pytest.raises(StaleCursor):
        await registry.list_students(limit=2, cursor=cursor, q=q)


@pytest.mark.usefixtures("students")
@pytest.mark.parametrize("q", ["", "ma"])
async def test_a_page_whose_starting_student_was_renamed_is_refused_as_stale(
    registry: Registry, q: str
) -> None:
    first = await registry.list_students(limit=2, q=q)
    await registry.update_student("mac", StudentPatch(last_name="Maz"))
    with pytest.raises(StaleCursor):
        await registry.list_students(limit=2, cursor=first.next_cursor, q=q)


@pytest.mark.usefixtures("students")
async def test_a_change_that_keeps_the_names_keeps_the_page(registry: Registry) -> None:
    first = await registry.list_students(limit=2)
    await registry.update_student("mac", StudentPatch(course="4e", first_name="Éloïse"))
    page = await registry.list_students(limit=2, cursor=first.next_cursor)
    assert [s.id for s in page.items] == ["mad", "mae"]
